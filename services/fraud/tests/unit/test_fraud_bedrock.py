"""The Bedrock agent adapter against botocore's real response parsing.

botocore's Stubber cannot stub `invoke_agent`'s event stream, so these tests answer at the HTTP
layer instead (a `before-send` hook): the bytes are AWS event-stream frames, and botocore's own
parser turns them into `completion` chunks or raises the in-stream exceptions, as it does
against Bedrock.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from fraud_testkit import PATIENT_BIRTH_DATE, PATIENT_NAME

from icpa_fraud.adapters.bedrock import BedrockAgentModel, parse_answer, session_id_for
from icpa_fraud.adapters.reference_data import load_reference_data
from icpa_fraud.domain.signals import ClaimHistory
from icpa_fraud.domain.summary import ClaimSummary, summarize
from icpa_shared.contracts import Patient
from icpa_shared.errors import (
    MalformedModelResponseError,
    ModelConfigurationError,
    ModelThrottledError,
    TransientDependencyError,
)
from icpa_shared.testing.bedrock import RawBody, chunk, stream_exception
from icpa_shared.testing.builders import a_claim


class FakeBedrock:
    """A real bedrock-agent-runtime client whose HTTP answers the test decides."""

    def __init__(self) -> None:
        self.client = boto3.client(
            "bedrock-agent-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
        )
        self.status = 200
        self.headers: dict[str, str] = {"x-amz-bedrock-agent-session-id": "s"}
        self.body = b""
        self.requests: list[dict[str, Any]] = []
        events: Any = self.client.meta.events
        events.register("before-send.bedrock-agent-runtime.InvokeAgent", self._send)

    def answer(self, *frames: bytes) -> None:
        self.status, self.body = 200, b"".join(frames)

    def fail(self, status: int, code: str) -> None:
        self.status = status
        self.headers = {"x-amzn-ErrorType": code, "content-type": "application/json"}
        self.body = json.dumps({"message": "no"}).encode()

    def _send(self, request: Any, **_: Any) -> AWSResponse:
        self.requests.append({"url": request.url, "body": json.loads(request.body)})
        headers: Any = dict(self.headers)
        return AWSResponse(request.url, self.status, headers, RawBody(self.body))


@pytest.fixture
def bedrock() -> FakeBedrock:
    return FakeBedrock()


def summary() -> ClaimSummary:
    claim = a_claim(patient=Patient(name=PATIENT_NAME, birth_date=PATIENT_BIRTH_DATE))
    return summarize(claim, signals=[], rules=0.0, history=ClaimHistory(), reference=load_reference_data())


def model(bedrock: FakeBedrock) -> BedrockAgentModel:
    return BedrockAgentModel("AGENT12345", "ALIAS12345", client=bedrock.client)


def test_streamed_chunks_are_joined_and_parsed(bedrock: FakeBedrock) -> None:
    bedrock.answer(chunk('Here you go: ```json\n{"score": 0.'), chunk('42, "rationale": "Typical visit."}\n```'))

    judgement = model(bedrock).judge(summary(), session_key="CLM-0001")

    assert (judgement.score, judgement.rationale) == (0.42, "Typical visit.")
    assert (judgement.model_id, judgement.model_version) == ("bedrock-agent/AGENT12345", "ALIAS12345")


def test_the_request_names_the_agent_and_carries_only_the_redacted_summary(bedrock: FakeBedrock) -> None:
    bedrock.answer(chunk('{"score": 0.1}'))

    model(bedrock).judge(summary(), session_key="CLM-0001")

    request = bedrock.requests[0]
    assert "/agents/AGENT12345/agentAliases/ALIAS12345/sessions/" in request["url"]
    assert session_id_for("CLM-0001") in request["url"]
    assert "CLM-0001" not in request["url"]
    text = request["body"]["inputText"]
    assert '"procedure_code":"99213"' in text and '"rules_score":0.0' in text
    for phi in (PATIENT_NAME, PATIENT_BIRTH_DATE, "MBR000001", "SUB000001", "J06.9", "2026-03-01"):
        assert phi not in text


def test_throttling_in_the_stream_is_model_throttled(bedrock: FakeBedrock) -> None:
    bedrock.answer(chunk('{"score"'), stream_exception("throttlingException"))

    with pytest.raises(ModelThrottledError):
        model(bedrock).judge(summary(), session_key="CLM-0001")


@pytest.mark.parametrize(("status", "code"), [(429, "ThrottlingException"), (429, "ServiceQuotaExceededException")])
def test_throttling_before_the_stream_is_model_throttled(bedrock: FakeBedrock, status: int, code: str) -> None:
    bedrock.fail(status, code)

    with pytest.raises(ModelThrottledError):
        model(bedrock).judge(summary(), session_key="CLM-0001")


def test_a_server_error_in_the_stream_is_transient(bedrock: FakeBedrock) -> None:
    bedrock.answer(stream_exception("internalServerException"))

    with pytest.raises(TransientDependencyError):
        model(bedrock).judge(summary(), session_key="CLM-0001")


def test_a_bad_gateway_before_the_stream_is_transient(bedrock: FakeBedrock) -> None:
    bedrock.fail(502, "BadGatewayException")

    with pytest.raises(TransientDependencyError):
        model(bedrock).judge(summary(), session_key="CLM-0001")


def test_access_denied_is_a_permanent_configuration_error(bedrock: FakeBedrock) -> None:
    bedrock.fail(403, "AccessDeniedException")

    with pytest.raises(ModelConfigurationError) as caught:
        model(bedrock).judge(summary(), session_key="CLM-0001")

    # Not retried by the ASL; the AWS error stays visible as the cause.
    assert not caught.value.retryable and "AccessDeniedException" in str(caught.value)
    assert type(caught.value.__cause__).__name__ == "AccessDeniedException"


@pytest.mark.parametrize(
    "answer",
    ["I think it is fine.", '{"score": 1.5}', '{"score": "high"}', '{"score": true}', '{"rationale": "x"}', "[0.5]",
     '{"score": 0.5, "rationale": 7}', '{"score": 0.5'],
)  # fmt: skip
def test_an_answer_that_is_not_the_agreed_json_is_malformed(bedrock: FakeBedrock, answer: str) -> None:
    bedrock.answer(chunk(answer))

    with pytest.raises(MalformedModelResponseError):
        model(bedrock).judge(summary(), session_key="CLM-0001")


def test_parse_answer_redacts_what_the_agent_wrote() -> None:
    score, rationale = parse_answer('{"score": 0.9, "rationale": "Member MBR000001 seen 2026-03-01."}')

    assert score == 0.9
    assert "MBR000001" not in rationale and "2026-03-01" not in rationale


def test_the_session_id_is_stable_per_claim_and_valid_for_bedrock() -> None:
    session = session_id_for("CLM-0001")

    assert session == session_id_for("CLM-0001") != session_id_for("CLM-0002")
    assert 2 <= len(session) <= 100 and session.replace("-", "").isalnum()
