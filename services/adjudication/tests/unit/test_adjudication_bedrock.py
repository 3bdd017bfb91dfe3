"""The Bedrock agent explainer against a real botocore client: Stubber for HTTP errors, and
event-stream frames on the wire for answers (so botocore's own parsing runs)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from adjudication_testkit import adjudicated
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from icpa_adjudication.adapters.bedrock_explainer import BedrockAgentExplainer
from icpa_shared.contracts import Adjudication
from icpa_shared.errors import (
    MalformedModelResponseError,
    ModelConfigurationError,
    ModelThrottledError,
    TransientDependencyError,
)
from icpa_shared.testing.bedrock import RawBody, chunk, frame, stream_exception
from icpa_shared.testing.builders import a_claim, a_line, a_policy, usd

pytestmark = pytest.mark.unit

AGENT, ALIAS = "AGENT00001", "ALIAS00001"


class Wire:
    """A bedrock-agent-runtime client whose HTTP layer answers with the given frames."""

    def __init__(self, *frames: bytes) -> None:
        self.body = b"".join(frames)
        self.requests: list[dict[str, Any]] = []
        self.client = boto3.client(
            "bedrock-agent-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
        )
        self.client.meta.events.register(
            "before-send.bedrock-agent-runtime.InvokeAgent",
            self._send,  # type: ignore[arg-type]  # botocore's stubs say hooks return None; before-send may answer
        )

    def _send(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        body = request.body if isinstance(request.body, bytes | str) else b"{}"
        self.requests.append({"url": request.url, "body": json.loads(body or b"{}")})
        headers = {"content-type": "application/vnd.amazon.eventstream"}
        return AWSResponse(request.url, 200, headers, RawBody(self.body))  # type: ignore[arg-type]


@pytest.fixture
def result() -> Adjudication:
    # 99213 at 92.00, deductible met: coinsurance 18.40, pays 73.60; 97110 not covered
    claim = a_claim(claim_id="CLM-7731", lines=[a_line(1), a_line(2, procedure_code="97110", charge=usd("50.00"))])
    return adjudicated(claim, a_policy(deductible_met=usd("500.00")))


GOOD = (
    "Partially approved. Line 1 (99213) is covered: allowed 92.00, coinsurance 18.40, the plan pays 73.60. "
    "Line 2 (97110) is not a covered service and pays 0.00."
)


def test_the_agents_text_becomes_the_explanation_amounts_untouched(result: Adjudication) -> None:
    answer = json.dumps({"explanation": GOOD})
    wire = Wire(chunk(answer[:40]), chunk(answer[40:]))  # an answer split across two events
    explanation = BedrockAgentExplainer(AGENT, ALIAS, wire.client).explain(result)
    assert explanation.text == GOOD
    assert (explanation.model_id, explanation.model_version) == (f"bedrock-agent/{AGENT}", ALIAS)


def test_the_request_names_the_agent_and_carries_no_identifiers(result: Adjudication) -> None:
    wire = Wire(chunk(json.dumps({"explanation": GOOD})))
    BedrockAgentExplainer(AGENT, ALIAS, wire.client).explain(result)
    (request,) = wire.requests
    assert f"/agents/{AGENT}/agentAliases/{ALIAS}/sessions/" in request["url"]
    prompt = request["body"]["inputText"]
    assert '"outcome": "PARTIAL"' in prompt and '"payable": "73.60"' in prompt
    for identifier in ("CLM-7731", "POL-GOLD001", "MBR000001", "SUB000001"):
        assert identifier not in prompt and identifier not in request["url"]


def test_a_fenced_json_answer_is_accepted(result: Adjudication) -> None:
    wire = Wire(chunk("```json\n" + json.dumps({"explanation": GOOD}) + "\n```"))
    assert BedrockAgentExplainer(AGENT, ALIAS, wire.client).explain(result).text == GOOD


@pytest.mark.parametrize(
    "answer",
    [
        "The claim is partially approved.",  # not JSON
        json.dumps({"text": GOOD}),  # wrong field
        json.dumps({"explanation": "ok"}),  # too short to explain anything
        json.dumps({"explanation": "x" * 4001}),  # longer than the contract allows
        "",  # nothing at all
    ],
)
def test_an_answer_outside_the_agreed_shape_is_malformed(result: Adjudication, answer: str) -> None:
    wire = Wire(chunk(answer)) if answer else Wire()
    with pytest.raises(MalformedModelResponseError):
        BedrockAgentExplainer(AGENT, ALIAS, wire.client).explain(result)


def test_an_explanation_inventing_an_amount_is_malformed(result: Adjudication) -> None:
    invented = GOOD.replace("the plan pays 73.60", "the plan pays 110.40")  # no such amount
    wire = Wire(chunk(json.dumps({"explanation": invented})))
    with pytest.raises(MalformedModelResponseError, match="amount"):
        BedrockAgentExplainer(AGENT, ALIAS, wire.client).explain(result)


def test_http_throttling_is_model_throttled(result: Adjudication) -> None:
    client = boto3.client(
        "bedrock-agent-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    with Stubber(client) as stub:
        stub.add_client_error("invoke_agent", service_error_code="ThrottlingException", http_status_code=429)
        with pytest.raises(ModelThrottledError):
            BedrockAgentExplainer(AGENT, ALIAS, client).explain(result)
        stub.assert_no_pending_responses()


def test_quota_exceeded_is_model_throttled_too(result: Adjudication) -> None:
    client = boto3.client(
        "bedrock-agent-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    with Stubber(client) as stub:
        stub.add_client_error("invoke_agent", service_error_code="ServiceQuotaExceededException", http_status_code=400)
        with pytest.raises(ModelThrottledError):
            BedrockAgentExplainer(AGENT, ALIAS, client).explain(result)


def test_throttling_inside_the_event_stream_is_model_throttled(result: Adjudication) -> None:
    wire = Wire(chunk('{"explanation": "Partially'), stream_exception("throttlingException"))
    with pytest.raises(ModelThrottledError):
        BedrockAgentExplainer(AGENT, ALIAS, wire.client).explain(result)


def test_a_server_error_in_the_stream_is_transient(result: Adjudication) -> None:
    wire = Wire(stream_exception("internalServerException"))
    with pytest.raises(TransientDependencyError):
        BedrockAgentExplainer(AGENT, ALIAS, wire.client).explain(result)


def test_access_denied_is_not_disguised_as_retryable(result: Adjudication) -> None:
    client = boto3.client(
        "bedrock-agent-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    with Stubber(client) as stub:
        stub.add_client_error("invoke_agent", service_error_code="AccessDeniedException", http_status_code=403)
        with pytest.raises(ModelConfigurationError) as info:
            BedrockAgentExplainer(AGENT, ALIAS, client).explain(result)
    assert not isinstance(info.value, ModelThrottledError | TransientDependencyError)
    assert not info.value.retryable and isinstance(info.value.__cause__, ClientError)


def test_a_bad_gateway_before_the_stream_is_transient(result: Adjudication) -> None:
    # Fraud mapped this code already; adjudication now shares the one classification.
    client = boto3.client(
        "bedrock-agent-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    with Stubber(client) as stub:
        stub.add_client_error("invoke_agent", service_error_code="BadGatewayException", http_status_code=502)
        with pytest.raises(TransientDependencyError):
            BedrockAgentExplainer(AGENT, ALIAS, client).explain(result)


def test_an_answer_that_is_not_utf8_is_malformed_not_mangled(result: Adjudication) -> None:
    payload = json.dumps({"bytes": "6Q=="}).encode()  # base64 of the Latin-1 byte b"\xe9"
    wire = Wire(frame({":message-type": "event", ":event-type": "chunk", ":content-type": "application/json"}, payload))
    with pytest.raises(MalformedModelResponseError, match="UTF-8"):
        BedrockAgentExplainer(AGENT, ALIAS, wire.client).explain(result)
