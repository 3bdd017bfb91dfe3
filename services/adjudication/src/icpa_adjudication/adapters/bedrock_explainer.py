"""An explainer that asks a Bedrock agent to draft the explanation (bedrock-agent-runtime
InvokeAgent). The agent sees the computed result without PHI and only writes the words: the
outcome and every amount stay the ones `adjudicate` computed, and a draft that states an
amount the result does not contain is rejected as malformed.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from icpa_adjudication.domain.explanation import (
    MAX_EXPLANATION_CHARS,
    Explanation,
    explanation_facts,
    foreign_amounts,
)
from icpa_shared.adapters.aws import LazyClient, error_code
from icpa_shared.contracts import Adjudication
from icpa_shared.digest import sha256_hex
from icpa_shared.errors import MalformedModelResponseError, ModelThrottledError, TransientDependencyError

# Error codes arrive capitalized from the HTTP response and camel-cased from the event stream.
_THROTTLED: Final = frozenset({"throttlingexception", "servicequotaexceededexception", "toomanyrequestsexception"})
_TRANSIENT: Final = frozenset(
    {
        "internalserverexception",
        "badgatewayexception",
        "dependencyfailedexception",
        "modelnotreadyexception",
        "serviceunavailableexception",
        "conflictexception",
    }
)

INSTRUCTIONS: Final = (
    "You explain a health-claim adjudication to a claims reviewer. The JSON below is the final, "
    "computed result; do not change or recompute it. Write plain English, at most 1500 characters: "
    "the outcome, then each line with what was paid and why, using the reason codes. Mention only "
    "amounts that appear in the JSON, written as 1234.56. Answer with JSON only: "
    '{"explanation": "<text>"}'
)

_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    explanation: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=20, max_length=MAX_EXPLANATION_CHARS)
    ]


class BedrockAgentExplainer:
    _runtime = LazyClient("bedrock-agent-runtime")

    def __init__(self, agent_id: str, agent_alias_id: str, bedrock_agent_runtime: Any = None) -> None:
        self.agent_id = agent_id
        self.agent_alias_id = agent_alias_id
        self._client = bedrock_agent_runtime

    @property
    def model_id(self) -> str:
        return f"bedrock-agent/{self.agent_id}"

    def explain(self, adjudication: Adjudication) -> Explanation:
        facts = explanation_facts(adjudication)
        text = self._invoke(
            # A session per adjudication, named by a digest: retries reuse it, and no id leaks.
            session_id=sha256_hex({"claim": adjudication.claim_id, "at": adjudication.adjudicated_at})[:48],
            input_text=f"{INSTRUCTIONS}\n\n{json.dumps(facts, sort_keys=True)}",
        )
        draft = _parse(text)
        foreign = foreign_amounts(draft, adjudication)
        if foreign:
            raise MalformedModelResponseError(
                f"the agent's explanation states {len(foreign)} amount(s) the adjudication does not contain"
            )
        return Explanation(text=draft, model_id=self.model_id, model_version=self.agent_alias_id)

    def _invoke(self, *, session_id: str, input_text: str) -> str:
        parts: list[bytes] = []
        try:
            response = self._runtime.invoke_agent(
                agentId=self.agent_id,
                agentAliasId=self.agent_alias_id,
                sessionId=session_id,
                inputText=input_text,
                enableTrace=False,
            )
            # The completion is an event stream: errors can also arrive while reading it.
            for event in response["completion"]:
                chunk = event.get("chunk")
                if chunk and chunk.get("bytes"):
                    parts.append(chunk["bytes"])
        except Exception as exc:
            _raise_typed(exc)
            raise
        return b"".join(parts).decode("utf-8", errors="replace")


def _raise_typed(exc: BaseException) -> None:
    code = error_code(exc).lower()
    if code in _THROTTLED:
        raise ModelThrottledError(f"bedrock agent throttled: {error_code(exc)}") from exc
    if code in _TRANSIENT:
        raise TransientDependencyError(f"bedrock agent unavailable: {error_code(exc)}") from exc
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import HTTPClientError

    if isinstance(exc, BotoConnectionError | HTTPClientError):  # connect/read timeouts, resets
        raise TransientDependencyError(f"bedrock agent unreachable: {type(exc).__name__}") from exc


def _parse(text: str) -> str:
    body = _FENCE.sub("", text.strip())
    if not body:
        raise MalformedModelResponseError("the agent returned no text")
    try:
        return _Answer.model_validate_json(body).explanation
    except ValidationError as exc:
        raise MalformedModelResponseError(
            f"the agent's answer is not the agreed JSON: {exc.error_count()} error(s)"
        ) from exc
