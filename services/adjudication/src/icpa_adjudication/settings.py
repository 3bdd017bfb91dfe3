"""Adjudication's settings (env prefix ICPA_), validated at cold start, read nowhere else."""

from __future__ import annotations

from functools import cache
from typing import Literal, Self

from pydantic import model_validator

from icpa_shared.settings import BedrockAgentSettings, PoliciesTableSettings, ServiceSettings


class AdjudicationSettings(ServiceSettings, PoliciesTableSettings, BedrockAgentSettings):
    """ICPA_POLICIES_TABLE, ICPA_EXPLAINER, ICPA_BEDROCK_AGENT_ID, ICPA_BEDROCK_AGENT_ALIAS_ID,
    ICPA_BEDROCK_TIMEOUT_SECONDS (plus the base: ICPA_DOCUMENTS_BUCKET, ICPA_AUDIT_TABLE, ICPA_LOG_LEVEL, ...)."""

    # "template" writes the explanation from the result; "bedrock-agent" has an agent draft it.
    explainer: Literal["template", "bedrock-agent"] = "template"

    @model_validator(mode="after")
    def _agent_configured(self) -> Self:
        if self.explainer == "bedrock-agent" and not (self.bedrock_agent_id and self.bedrock_agent_alias_id):
            raise ValueError("explainer=bedrock-agent needs ICPA_BEDROCK_AGENT_ID and ICPA_BEDROCK_AGENT_ALIAS_ID")
        return self


@cache
def get_settings() -> AdjudicationSettings:
    return AdjudicationSettings()
