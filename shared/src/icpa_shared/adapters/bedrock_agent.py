"""Bedrock Agent Runtime's InvokeAgent for every service: one client configuration, one reader
of the completion event stream, one error classification. Each service keeps its own prompt
and its own parsing of the answer; this module only turns text in into text out.

Client: one SDK attempt (Step Functions owns retries, with backoff and jitter) and connect/read
timeouts below the Lambda functions' Timeout, so a slow agent ends as a typed, retryable error
the ASL can see instead of a function timeout.

Errors, as the ASL's Retry/Catch expect them (codes arrive capitalized from the HTTP response
and camel-cased from the event stream, so they are compared lower-cased):
- throttling (ThrottlingException, ServiceQuotaExceededException, ...) -> ModelThrottledError;
- other transient failures (5xx-style codes, a session conflict, timeouts, dropped
  connections) -> TransientDependencyError;
- an answer that is too long or not UTF-8 -> MalformedModelResponseError;
- any other refusal by the service (access denied, validation, unknown agent or alias) ->
  ModelConfigurationError: permanent, not retried, quarantined with outcome ERROR.
Anything that is not an AWS error (a bug) is raised as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from icpa_shared.adapters.aws import error_code, raise_if_transient
from icpa_shared.errors import (
    MalformedModelResponseError,
    ModelConfigurationError,
    ModelThrottledError,
    TransientDependencyError,
)

if TYPE_CHECKING:
    from types_boto3_bedrock_agent_runtime.client import AgentsforBedrockRuntimeClient

THROTTLED_CODES: Final = frozenset(
    {"throttlingexception", "throttling", "toomanyrequestsexception", "servicequotaexceededexception"}
)
TRANSIENT_CODES: Final = frozenset(
    {
        "internalserverexception",
        "badgatewayexception",
        "dependencyfailedexception",
        "modelnotreadyexception",
        "serviceunavailableexception",
        "serviceunavailable",
        "internalfailure",
        # Two calls in one session at once (a retry while the timed-out attempt still runs).
        "conflictexception",
    }
)
MAX_ANSWER_BYTES: Final = 64 * 1024
CONNECT_TIMEOUT_SECONDS: Final = 10
DEFAULT_READ_TIMEOUT_SECONDS: Final = 60


AgentError = ModelThrottledError | TransientDependencyError | ModelConfigurationError


def client_config(*, read_timeout_seconds: int, connect_timeout_seconds: int = CONNECT_TIMEOUT_SECONDS) -> Any:
    """botocore Config for bedrock-agent-runtime: one attempt, bounded connect and read."""
    from botocore.config import Config  # lazy: keeps module import cheap (cold start)

    return Config(
        connect_timeout=connect_timeout_seconds,
        read_timeout=read_timeout_seconds,
        retries={"total_max_attempts": 1},
    )


def classify(exc: BaseException) -> AgentError | None:
    """The typed error an InvokeAgent failure becomes, or None for a non-AWS exception."""
    code = error_code(exc)
    lowered = code.lower()
    if lowered in THROTTLED_CODES:
        return ModelThrottledError(f"bedrock agent throttled: {code}")
    if lowered in TRANSIENT_CODES:
        return TransientDependencyError(f"bedrock agent unavailable: {code}")
    try:
        raise_if_transient(exc, "bedrock agent unreachable")
    except TransientDependencyError as typed:
        return typed
    if code:  # the service answered and refused: retrying the same request cannot help
        return ModelConfigurationError(f"bedrock agent refused the request: {code}")
    return None


def read_completion(response: Mapping[str, Any], *, max_bytes: int = MAX_ANSWER_BYTES) -> str:
    """The completion stream's chunks joined into text. Errors can arrive in the stream too
    (after the HTTP 200): they are raised while iterating and classified by the caller."""
    parts: list[bytes] = []
    size = 0
    for event in response["completion"]:
        data = (event.get("chunk") or {}).get("bytes") or b""
        size += len(data)
        if size > max_bytes:
            raise MalformedModelResponseError(f"the agent's answer is longer than {max_bytes} bytes")
        parts.append(data)
    try:
        return b"".join(parts).decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedModelResponseError("the agent's answer is not UTF-8") from None


class BedrockAgentInvoker:
    """One agent alias: `invoke(input_text, session_id) -> answer text`. Tests pass a client
    (botocore with an HTTP hook); otherwise one is built on first use with `client_config`."""

    def __init__(
        self,
        agent_id: str,
        agent_alias_id: str,
        *,
        read_timeout_seconds: int = DEFAULT_READ_TIMEOUT_SECONDS,
        connect_timeout_seconds: int = CONNECT_TIMEOUT_SECONDS,
        client: AgentsforBedrockRuntimeClient | None = None,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        self.agent_id = agent_id
        self.agent_alias_id = agent_alias_id
        self.read_timeout_seconds = read_timeout_seconds
        self.connect_timeout_seconds = connect_timeout_seconds
        self.max_answer_bytes = max_answer_bytes
        self._client = client

    @property
    def model_id(self) -> str:
        return f"bedrock-agent/{self.agent_id}"

    @property
    def client(self) -> AgentsforBedrockRuntimeClient:
        if self._client is None:
            import boto3  # lazy, as icpa_shared.adapters.aws.client is

            self._client = boto3.client(
                "bedrock-agent-runtime",
                config=client_config(
                    read_timeout_seconds=self.read_timeout_seconds,
                    connect_timeout_seconds=self.connect_timeout_seconds,
                ),
            )
        return self._client

    def invoke(self, input_text: str, *, session_id: str) -> str:
        try:
            response = self.client.invoke_agent(
                agentId=self.agent_id,
                agentAliasId=self.agent_alias_id,
                sessionId=session_id,
                inputText=input_text,
                enableTrace=False,
            )
            return read_completion(response, max_bytes=self.max_answer_bytes)
        except MalformedModelResponseError:
            raise
        except Exception as exc:
            typed = classify(exc)
            if typed is None:
                raise
            raise typed from exc
