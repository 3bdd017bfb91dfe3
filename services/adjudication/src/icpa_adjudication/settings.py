"""Adjudication's settings (env prefix ICPA_), validated at cold start, read nowhere else."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Literal, Self

from pydantic import Field, StringConstraints, model_validator

from icpa_shared.settings import ServiceSettings

AgentId = Annotated[str, StringConstraints(pattern=r"^[0-9a-zA-Z]{10}$")]


class AdjudicationSettings(ServiceSettings):
    """ICPA_POLICIES_TABLE, ICPA_EXPLAINER, ICPA_BEDROCK_AGENT_ID, ICPA_BEDROCK_AGENT_ALIAS_ID,
    ICPA_BEDROCK_TIMEOUT_SECONDS (plus the base: ICPA_DOCUMENTS_BUCKET, ICPA_AUDIT_TABLE, ICPA_LOG_LEVEL, ...)."""

    policies_table: str = Field(default="icpa-policies", min_length=3, max_length=255)
    # "template" writes the explanation from the result; "bedrock-agent" has an agent draft it.
    explainer: Literal["template", "bedrock-agent"] = "template"
    bedrock_agent_id: AgentId | None = None
    bedrock_agent_alias_id: AgentId | None = None
    # The agent's read timeout: below the function's Timeout (template: 100 s), as Fraud's.
    bedrock_timeout_seconds: int = Field(default=60, ge=5, le=90)

    @model_validator(mode="after")
    def _agent_configured(self) -> Self:
        if self.explainer == "bedrock-agent" and not (self.bedrock_agent_id and self.bedrock_agent_alias_id):
            raise ValueError("explainer=bedrock-agent needs ICPA_BEDROCK_AGENT_ID and ICPA_BEDROCK_AGENT_ALIAS_ID")
        return self


@cache
def get_settings() -> AdjudicationSettings:
    return AdjudicationSettings()
