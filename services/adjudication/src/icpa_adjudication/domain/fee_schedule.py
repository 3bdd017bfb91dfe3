"""A fee schedule: the most the plan recognizes for one unit of each procedure."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from icpa_shared.contracts import Money
from icpa_shared.contracts.types import Currency, ProcedureCode

FeeScheduleId = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9-]{2,40}$")]


class FeeSchedule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal["1.0"] = "1.0"
    fee_schedule_id: FeeScheduleId
    currency: Currency = "USD"
    description: Annotated[str, StringConstraints(max_length=500)] = ""
    allowed_per_unit: dict[ProcedureCode, Decimal] = Field(min_length=1)

    @model_validator(mode="after")
    def _positive_rates(self) -> Self:
        for code, rate in self.allowed_per_unit.items():
            if rate <= 0 or rate != rate.quantize(Decimal("0.01")):
                raise ValueError(f"rate for {code} must be a positive amount in cents")
        return self

    def rate_for(self, procedure_code: str) -> Money | None:
        """The allowed amount for one unit, or None when the schedule does not price the code."""
        rate = self.allowed_per_unit.get(procedure_code)
        return None if rate is None else Money(amount=rate, currency=self.currency)
