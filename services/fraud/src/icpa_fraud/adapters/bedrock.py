"""Bedrock Agent Runtime as a ModelProvider (`ICPA_FRAUD_MODEL_PROVIDER=bedrock`).

`invoke_agent` gets the de-identified summary as `inputText` (domain/summary.py: no names, birth
dates or member ids) and a session id derived from the claim id (a hash: the claim id itself
never reaches the agent). The answer streams back as `completion` chunks; joined, they must hold
one JSON object `{"score": 0..1, "rationale": "..."}`.

The call itself (client configuration: one attempt, bounded timeouts; the event-stream reader;
the error classification) is icpa_shared.adapters.bedrock_agent's, shared with adjudication.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from icpa_fraud.domain.summary import ClaimSummary, prompt
from icpa_shared.adapters.bedrock_agent import DEFAULT_READ_TIMEOUT_SECONDS, BedrockAgentInvoker
from icpa_shared.contracts import ModelJudgement
from icpa_shared.errors import MalformedModelResponseError
from icpa_shared.observability.redaction import redact_text

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
    def __init__(
        self,
        agent_id: str,
        agent_alias_id: str,
        *,
        timeout_seconds: int = DEFAULT_READ_TIMEOUT_SECONDS,
        client: Any = None,
    ) -> None:
        self.agent_id = agent_id
        self.agent_alias_id = agent_alias_id
        self.timeout_seconds = timeout_seconds
        self.agent = BedrockAgentInvoker(agent_id, agent_alias_id, read_timeout_seconds=timeout_seconds, client=client)
        self.model_id = self.agent.model_id
        self.model_version = agent_alias_id

    def judge(self, summary: ClaimSummary, *, session_key: str) -> ModelJudgement:
        text = self.agent.invoke(prompt(summary), session_id=session_id_for(session_key))
        score, rationale = parse_answer(text)
        return ModelJudgement(
            model_id=self.model_id, model_version=self.model_version, score=round(score, 4), rationale=rationale
        )
