"""Fraud's configuration: one settings model, validated when the handler first runs."""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Literal, Self

from pydantic import Field, model_validator

from icpa_shared.settings import BedrockAgentSettings, MetricsSettings, PoliciesTableSettings, ServiceSettings


class FraudSettings(ServiceSettings, PoliciesTableSettings, BedrockAgentSettings, MetricsSettings):
    """Environment variables (prefix ICPA_): ICPA_CLAIMS_TABLE, ICPA_AUDIT_TABLE,
    ICPA_DOCUMENTS_BUCKET (from ServiceSettings), and the ones below."""

    fraud_model_provider: Literal["deterministic", "bedrock", "none"] = "deterministic"
    # score = (1 - w) * rules_score + w * model score, when a model is consulted
    fraud_model_weight: float = Field(default=0.3, ge=0.0, le=1.0)

    fraud_duplicate_window_days: int = Field(default=3, ge=0, le=30)
    fraud_near_duplicate_amount_pct: Decimal = Field(default=Decimal("10"), ge=0, le=100)
    fraud_member_daily_claim_limit: int = Field(default=3, ge=1, le=100)
    fraud_provider_daily_procedure_limit: int = Field(default=50, ge=1, le=10_000)
    fraud_extreme_charge_ratio: Decimal = Field(default=Decimal("2"), gt=1, le=100)
    # Items read per history lookup at most (each of the two GSI queries).
    fraud_history_max_items: int = Field(default=500, ge=10, le=10_000)

    @model_validator(mode="after")
    def _bedrock_needs_an_agent(self) -> Self:
        if self.fraud_model_provider == "bedrock" and not (self.bedrock_agent_id and self.bedrock_agent_alias_id):
            raise ValueError("ICPA_FRAUD_MODEL_PROVIDER=bedrock needs ICPA_BEDROCK_AGENT_ID and _ALIAS_ID")
        return self


@functools.cache
def get_settings() -> FraudSettings:
    """Read once per container (validated at cold start); wiring.reset() forgets it."""
    return FraudSettings()
