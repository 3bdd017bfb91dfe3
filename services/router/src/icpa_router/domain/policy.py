"""The routing policy: versioned thresholds, so every decision names the policy that made it."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from icpa_shared.contracts import Money
from icpa_shared.contracts.types import Score

PolicyVersion = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,39}$")]


class RoutingPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: PolicyVersion
    description: Annotated[str, StringConstraints(max_length=500)] = ""
    fraud_low: Score
    fraud_high: Score
    auto_approve_max_payable: Money
    disagreement_delta: Annotated[float, Field(gt=0.0, le=1.0, allow_inf_nan=False)]

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.fraud_low > self.fraud_high:
            raise ValueError("fraud_low is above fraud_high")
        return self

    def with_changes(self, **changes: Any) -> RoutingPolicy:
        """A copy with some values replaced, validated like the original."""
        return RoutingPolicy.model_validate({**self.model_dump(), **changes})

    @property
    def delta(self) -> Decimal:
        return Decimal(str(self.disagreement_delta))
