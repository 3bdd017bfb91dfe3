"""Adjudication's output, shaped after FHIR ClaimResponse.item.adjudication.

Each line carries the FHIR adjudication categories as amounts (submitted, eligible/allowed,
deductible, copay, coinsurance, benefit/payable) plus reason codes.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from icpa_shared.contracts.audit import AuditHead
from icpa_shared.contracts.money import Money, total
from icpa_shared.contracts.types import (
    SCHEMA_VERSION,
    ClaimId,
    PolicyId,
    ProcedureCode,
    ReasonCode,
    ServiceVersion,
)


class AdjudicationOutcome(StrEnum):
    APPROVED = "APPROVED"
    PARTIAL = "PARTIAL"
    DENIED = "DENIED"


class LineAdjudication(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    line_number: int = Field(ge=1, le=50)
    procedure_code: ProcedureCode
    eligible: bool
    covered: bool
    submitted: Money
    allowed: Money
    deductible: Money
    copay: Money
    coinsurance: Money
    payable: Money
    reason_codes: list[ReasonCode] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _amounts_add_up(self) -> Self:
        if self.allowed.amount > self.submitted.amount:
            raise ValueError("allowed exceeds submitted")
        member_share = self.deductible + self.copay + self.coinsurance
        if self.payable + member_share != self.allowed:
            raise ValueError("payable + member share must equal allowed")
        if not (self.eligible and self.covered) and self.payable.amount != 0:
            raise ValueError("an ineligible or uncovered line pays nothing")
        return self


class AdjudicationTotals(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    submitted: Money
    allowed: Money
    deductible: Money
    copay: Money
    coinsurance: Money
    payable: Money


class Adjudication(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    claim_id: ClaimId
    policy_id: PolicyId
    outcome: AdjudicationOutcome
    lines: list[LineAdjudication] = Field(min_length=1, max_length=50)
    totals: AdjudicationTotals
    reason_codes: list[ReasonCode] = Field(default_factory=list, max_length=50)
    explanation: Annotated[str, StringConstraints(max_length=4000)] | None = None
    explanation_model_id: Annotated[str, StringConstraints(max_length=200)] | None = None
    service_version: ServiceVersion
    adjudicated_at: AwareDatetime
    audit_head: AuditHead | None = None  # the audit event this step appended (absent: read the chain)

    @model_validator(mode="after")
    def _totals_are_sums(self) -> Self:
        cur = self.totals.payable.currency
        for name in ("submitted", "allowed", "deductible", "copay", "coinsurance", "payable"):
            summed = total((getattr(line, name) for line in self.lines), cur)
            if summed != getattr(self.totals, name):
                raise ValueError(f"totals.{name} is not the sum of the lines")
        return self
