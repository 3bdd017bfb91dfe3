"""An explainer that asks a Bedrock agent to draft the explanation (bedrock-agent-runtime
InvokeAgent). The agent sees the computed result without PHI and only writes the words: the
outcome and every amount stay the ones `adjudicate` computed, and a draft that states an
amount the result does not contain is rejected as malformed.

The call (one SDK attempt, connect/read timeouts below the function's, the event-stream reader,
the error classification) is icpa_shared.adapters.bedrock_agent's, shared with fraud.
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
from icpa_shared.adapters.bedrock_agent import DEFAULT_READ_TIMEOUT_SECONDS, BedrockAgentInvoker
from icpa_shared.contracts import Adjudication
from icpa_shared.digest import sha256_hex
from icpa_shared.errors import MalformedModelResponseError

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
    def __init__(
        self,
        agent_id: str,
        agent_alias_id: str,
        bedrock_agent_runtime: Any = None,
        *,
        timeout_seconds: int = DEFAULT_READ_TIMEOUT_SECONDS,
    ) -> None:
        self.agent_id = agent_id
        self.agent_alias_id = agent_alias_id
        self.agent = BedrockAgentInvoker(
            agent_id, agent_alias_id, read_timeout_seconds=timeout_seconds, client=bedrock_agent_runtime
        )

    @property
    def model_id(self) -> str:
        return self.agent.model_id

    def explain(self, adjudication: Adjudication) -> Explanation:
        facts = explanation_facts(adjudication)
        text = self.agent.invoke(
            f"{INSTRUCTIONS}\n\n{json.dumps(facts, sort_keys=True)}",
            # A session per adjudication, named by a digest: retries reuse it, and no id leaks.
            session_id=sha256_hex({"claim": adjudication.claim_id, "at": adjudication.adjudicated_at})[:48],
        )
        draft = _parse(text)
        foreign = foreign_amounts(draft, adjudication)
        if foreign:
            raise MalformedModelResponseError(
                f"the agent's explanation states {len(foreign)} amount(s) the adjudication does not contain"
            )
        return Explanation(text=draft, model_id=self.model_id, model_version=self.agent_alias_id)


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
