"""The Router's settings (env prefix ICPA_), validated at cold start, read nowhere else."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Annotated, Self

from pydantic import Field, StringConstraints, model_validator

from icpa_shared.payer import PayerIdentity
from icpa_shared.settings import MetricsSettings, ServiceSettings


class RouterSettings(ServiceSettings, MetricsSettings):
    """Overrides of the bundled routing policy: ICPA_ROUTING_POLICY_VERSION,
    ICPA_FRAUD_LOW_THRESHOLD, ICPA_FRAUD_HIGH_THRESHOLD, ICPA_AUTO_APPROVE_MAX_PAYABLE,
    ICPA_MODEL_DISAGREEMENT_DELTA; POWERTOOLS_METRICS_NAMESPACE turns metrics on. Plus the
    base: ICPA_CLAIMS_TABLE, ICPA_AUDIT_TABLE, ICPA_LOG_LEVEL, ..."""

    routing_policy_version: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,39}$")] | None = (
        None
    )
    fraud_low_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    fraud_high_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    auto_approve_max_payable: Decimal | None = Field(default=None, ge=Decimal("0"), decimal_places=2)
    model_disagreement_delta: float | None = Field(default=None, gt=0.0, le=1.0)
    # ICPA_PAYER (JSON): who answers in the 835 (name, ids, address, contact); default: the
    # fictitious local plan, marked as test data.
    payer: PayerIdentity = Field(default_factory=PayerIdentity)

    @model_validator(mode="after")
    def _overrides_are_versioned(self) -> Self:
        overridden = [
            name
            for name in (
                "fraud_low_threshold",
                "fraud_high_threshold",
                "auto_approve_max_payable",
                "model_disagreement_delta",
            )
            if getattr(self, name) is not None
        ]
        # A decision names the policy version that made it; changed thresholds are a new version.
        if overridden and self.routing_policy_version is None:
            raise ValueError(f"overriding {', '.join(overridden)} needs ICPA_ROUTING_POLICY_VERSION too")
        return self


@cache
def get_settings() -> RouterSettings:
    return RouterSettings()
