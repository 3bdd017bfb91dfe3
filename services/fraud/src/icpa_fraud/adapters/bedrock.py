"""Bedrock Agent Runtime as a ModelProvider (`ICPA_FRAUD_MODEL_PROVIDER=bedrock`).

`invoke_agent` gets the de-identified summary as `inputText` (domain/summary.py: no names, birth
dates or member ids) and a session id derived from the claim id (a hash: the claim id itself
never reaches the agent). The answer streams back as `completion` chunks; joined, they must hold
one JSON object `{"score": 0..1, "rationale": "..."}`.

Errors, as the ASL's Retry/Catch expect them:
- throttling (HTTP `ThrottlingException`, in-stream `throttlingException`, service quota
  exceeded) -> ModelThrottledError;
- other transient failures (5xx-style exceptions, timeouts, dropped connections) ->
  TransientDependencyError;
- an answer that is not the agreed JSON -> MalformedModelResponseError;
- anything else (access denied, validation, unknown agent) is a configuration error and is
  raised as it is.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from icpa_fraud.domain.summary import ClaimSummary, prompt
from icpa_shared.adapters.aws import error_code, is_transient
from icpa_shared.contracts import ModelJudgement
from icpa_shared.errors import MalformedModelResponseError, ModelThrottledError, TransientDependencyError
from icpa_shared.observability.redaction import redact_text

_THROTTLED = frozenset(
    {"throttlingexception", "throttling", "toomanyrequestsexception", "servicequotaexceededexception"}
)
_TRANSIENT = frozenset(
    {
        "internalserverexception",
        "badgatewayexception",
        "dependencyfailedexception",
        "modelnotreadyexception",
        "serviceunavailableexception",
        "serviceunavailable",
        "internalfailure",
    }
)
MAX_ANSWER_BYTES = 64 * 1024
MAX_RATIONALE = 2000


def session_id_for(claim_id: str) -> str:
    """Stable per claim (a retry continues the same session), and not the claim id itself."""
    return "icpa-fraud-" + hashlib.sha256(claim_id.encode()).hexdigest()[:40]


def parse_answer(text: str) -> tuple[float, str]:
    """The first `{` to the last `}` must be a JSON object with a numeric `score` in [0, 1] and
    an optional string `rationale` (agents sometimes wrap JSON in prose or code fences)."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        raise MalformedModelResponseError("the agent's answer holds no JSON object")
    try:
        answer = json.loads(text[start : end + 1])
    except ValueError:
        raise MalformedModelResponseError("the agent's answer is not valid JSON") from None
    if not isinstance(answer, dict):
        raise MalformedModelResponseError("the agent's answer is not a JSON object")
    score = answer.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0.0 <= float(score) <= 1.0:
        raise MalformedModelResponseError("the agent's score is missing or outside 0..1")
    rationale = answer.get("rationale", "")
    if not isinstance(rationale, str):
        raise MalformedModelResponseError("the agent's rationale is not text")
    return float(score), redact_text(rationale)[:MAX_RATIONALE]


class BedrockAgentModel:
    def __init__(self, agent_id: str, agent_alias_id: str, *, timeout_seconds: int = 60, client: Any = None) -> None:
        self.agent_id = agent_id
        self.agent_alias_id = agent_alias_id
        self.timeout_seconds = timeout_seconds
        self._client = client
        self.model_id = f"bedrock-agent/{agent_id}"
        self.model_version = agent_alias_id

    @property
    def _agents(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            # One attempt: Step Functions owns retries (with backoff) for throttling and failures.
            self._client = boto3.client(
                "bedrock-agent-runtime",
                config=Config(read_timeout=self.timeout_seconds, connect_timeout=10, retries={"total_max_attempts": 1}),
            )
        return self._client

    def judge(self, summary: ClaimSummary, *, session_key: str) -> ModelJudgement:
        text = self._invoke(prompt(summary), session_id_for(session_key))
        score, rationale = parse_answer(text)
        return ModelJudgement(
            model_id=self.model_id, model_version=self.model_version, score=round(score, 4), rationale=rationale
        )

    def _invoke(self, input_text: str, session_id: str) -> str:
        from botocore.exceptions import ConnectionError as BotoConnectionError
        from botocore.exceptions import ReadTimeoutError

        try:
            response = self._agents.invoke_agent(
                agentId=self.agent_id,
                agentAliasId=self.agent_alias_id,
                sessionId=session_id,
                inputText=input_text,
                enableTrace=False,
            )
            chunks: list[bytes] = []
            size = 0
            for event in response["completion"]:
                data = event.get("chunk", {}).get("bytes", b"")
                size += len(data)
                if size > MAX_ANSWER_BYTES:
                    raise MalformedModelResponseError("the agent's answer is too long")
                chunks.append(data)
        except (MalformedModelResponseError, ModelThrottledError, TransientDependencyError):
            raise
        except (ReadTimeoutError, BotoConnectionError) as exc:
            raise TransientDependencyError(f"bedrock agent unreachable: {type(exc).__name__}") from exc
        except Exception as exc:
            _raise_typed(exc)
            raise
        try:
            return b"".join(chunks).decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedModelResponseError("the agent's answer is not UTF-8") from None


def _raise_typed(exc: BaseException) -> None:
    code = error_code(exc)
    if code.lower() in _THROTTLED:
        raise ModelThrottledError(f"bedrock agent throttled: {code}") from exc
    if code.lower() in _TRANSIENT or is_transient(exc):
        raise TransientDependencyError(f"bedrock agent failed: {code}") from exc
