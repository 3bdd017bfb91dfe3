"""The shared InvokeAgent invoker against botocore's real request and event-stream parsing: the
HTTP layer answers (a `before-send` hook) with the status, headers and frames each test picks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from icpa_shared.adapters.bedrock_agent import BedrockAgentInvoker, classify
from icpa_shared.errors import (
    MalformedModelResponseError,
    ModelConfigurationError,
    ModelThrottledError,
    PermanentError,
    TransientDependencyError,
)
from icpa_shared.testing.aws import patched_aws_env
from icpa_shared.testing.bedrock import RawBody, chunk, stream_exception

pytestmark = pytest.mark.unit

AGENT, ALIAS = "AGENT00001", "ALIAS00001"


class Wire:
    """What bedrock-agent-runtime answers over HTTP, hooked into a real botocore client."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.status = 200
        self.headers: dict[str, str] = {"content-type": "application/vnd.amazon.eventstream"}
        self.body = b""
        self.raise_instead: Exception | None = None
        self.requests: list[dict[str, Any]] = []
        client.meta.events.register("before-send.bedrock-agent-runtime.InvokeAgent", self._send)

    def answer(self, *frames: bytes) -> None:
        self.status, self.body = 200, b"".join(frames)

    def fail(self, status: int, code: str) -> None:
        self.status = status
        self.headers = {"x-amzn-ErrorType": code, "content-type": "application/json"}
        self.body = json.dumps({"message": "no"}).encode()

    def _send(self, request: Any, **_: Any) -> AWSResponse:
        self.requests.append({"url": request.url, "body": json.loads(request.body or b"{}")})
        if self.raise_instead is not None:
            raise self.raise_instead
        headers: Any = dict(self.headers)
        return AWSResponse(request.url, self.status, headers, RawBody(self.body))


def a_client() -> Any:
    return boto3.client(
        "bedrock-agent-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )


@pytest.fixture
def wire() -> Wire:
    return Wire(a_client())


def invoker(wire: Wire) -> BedrockAgentInvoker:
    return BedrockAgentInvoker(AGENT, ALIAS, client=wire.client)


def test_the_streamed_chunks_are_joined_into_the_answer(wire: Wire) -> None:
    wire.answer(chunk('{"score": 0.'), chunk("42}"))

    assert invoker(wire).invoke("judge this", session_id="s-1") == '{"score": 0.42}'


def test_the_request_names_the_agent_alias_session_and_text(wire: Wire) -> None:
    wire.answer(chunk("ok"))

    invoker(wire).invoke("judge this", session_id="icpa-abc")

    (request,) = wire.requests
    assert request["url"].endswith(f"/agents/{AGENT}/agentAliases/{ALIAS}/sessions/icpa-abc/text")
    assert request["body"] == {"inputText": "judge this", "enableTrace": False}


def test_an_empty_stream_is_an_empty_answer(wire: Wire) -> None:
    wire.answer()

    assert invoker(wire).invoke("x", session_id="s-1") == ""


@pytest.mark.parametrize(("status", "code"), [(429, "ThrottlingException"), (400, "ServiceQuotaExceededException")])
def test_throttling_before_the_stream_is_model_throttled(wire: Wire, status: int, code: str) -> None:
    wire.fail(status, code)

    with pytest.raises(ModelThrottledError):
        invoker(wire).invoke("x", session_id="s-1")


def test_throttling_inside_the_stream_is_model_throttled(wire: Wire) -> None:
    wire.answer(chunk('{"score"'), stream_exception("throttlingException"))

    with pytest.raises(ModelThrottledError):
        invoker(wire).invoke("x", session_id="s-1")


@pytest.mark.parametrize(
    ("status", "code"),
    [(502, "BadGatewayException"), (500, "InternalServerException"), (424, "DependencyFailedException"),
     (503, "ServiceUnavailableException"), (409, "ConflictException")],
)  # fmt: skip
def test_server_side_failures_before_the_stream_are_transient(wire: Wire, status: int, code: str) -> None:
    wire.fail(status, code)

    with pytest.raises(TransientDependencyError):
        invoker(wire).invoke("x", session_id="s-1")


@pytest.mark.parametrize("kind", ["internalServerException", "dependencyFailedException", "badGatewayException",
                                  "modelNotReadyException", "conflictException"])  # fmt: skip
def test_server_side_failures_inside_the_stream_are_transient(wire: Wire, kind: str) -> None:
    wire.answer(chunk("{"), stream_exception(kind))

    with pytest.raises(TransientDependencyError):
        invoker(wire).invoke("x", session_id="s-1")


@pytest.mark.parametrize(
    "error",
    [ReadTimeoutError(endpoint_url="https://bedrock"), EndpointConnectionError(endpoint_url="https://bedrock")],
)
def test_timeouts_and_lost_connections_are_transient(wire: Wire, error: Exception) -> None:
    wire.raise_instead = error

    with pytest.raises(TransientDependencyError) as caught:
        invoker(wire).invoke("x", session_id="s-1")

    assert caught.value.__cause__ is error


@pytest.mark.parametrize(
    ("status", "code"),
    [(403, "AccessDeniedException"), (400, "ValidationException"), (404, "ResourceNotFoundException")],
)
def test_a_refused_request_is_a_permanent_configuration_error(wire: Wire, status: int, code: str) -> None:
    wire.fail(status, code)

    with pytest.raises(ModelConfigurationError) as caught:
        invoker(wire).invoke("x", session_id="s-1")

    assert isinstance(caught.value, PermanentError) and not caught.value.retryable
    assert code in str(caught.value) and isinstance(caught.value.__cause__, ClientError)


def test_access_denied_inside_the_stream_is_permanent_too(wire: Wire) -> None:
    wire.answer(stream_exception("accessDeniedException", "not allowed"))

    with pytest.raises(ModelConfigurationError):
        invoker(wire).invoke("x", session_id="s-1")


def test_an_answer_longer_than_the_limit_is_malformed(wire: Wire) -> None:
    wire.answer(chunk("a" * 600), chunk("b" * 600))

    with pytest.raises(MalformedModelResponseError, match="longer"):
        BedrockAgentInvoker(AGENT, ALIAS, client=wire.client, max_answer_bytes=1000).invoke("x", session_id="s-1")


def test_an_answer_that_is_not_utf8_is_malformed(wire: Wire) -> None:
    # chunk() base64-encodes text; build the frame from raw Latin-1 bytes instead
    from icpa_shared.testing.bedrock import frame

    payload = json.dumps({"bytes": "6Q=="}).encode()  # base64 of b"\xe9"
    wire.answer(frame({":message-type": "event", ":event-type": "chunk", ":content-type": "application/json"}, payload))

    with pytest.raises(MalformedModelResponseError, match="UTF-8"):
        invoker(wire).invoke("x", session_id="s-1")


def test_an_exception_that_is_not_from_aws_is_left_as_it_is() -> None:
    assert classify(KeyError("completion")) is None


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with patched_aws_env(monkeypatch):
        yield


@pytest.mark.usefixtures("aws_env")
def test_the_built_client_makes_one_attempt_with_bounded_timeouts() -> None:
    # Given the invoker's own client (no client passed) and a service that keeps failing
    built = BedrockAgentInvoker(AGENT, ALIAS, read_timeout_seconds=45, connect_timeout_seconds=5)
    wire = Wire(built.client)
    wire.fail(503, "ServiceUnavailableException")

    # When it is invoked, Then it fails typed after exactly one request: Step Functions retries
    with pytest.raises(TransientDependencyError):
        built.invoke("x", session_id="s-1")
    assert len(wire.requests) == 1
    config = built.client.meta.config
    assert (config.read_timeout, config.connect_timeout) == (45, 5)  # type: ignore[attr-defined]  # set by Config(**kwargs), unstubbed
