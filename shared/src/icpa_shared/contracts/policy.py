"""A member's policy as stored in the policies table (read by Intake), and the snapshot of it
Intake validated the claim against, which Fraud and Adjudication decide on."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from icpa_shared.contracts.money import Money
from icpa_shared.contracts.types import SCHEMA_VERSION, MemberId, PolicyId, ProcedureCode, Sha256Hex, SubscriberId
from icpa_shared.digest import sha256_hex


class PolicyStatus(StrEnum):
    ACTIVE = "ACTIVE"
    LAPSED = "LAPSED"
    CANCELLED = "CANCELLED"


class Policy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    policy_id: PolicyId
    plan_code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9-]{2,20}$")]
    status: PolicyStatus
    effective_from: date
    effective_to: date
    subscriber_id: SubscriberId
    members: list[MemberId] = Field(min_length=1, max_length=20)
    annual_deductible: Money
    deductible_met: Money
    coinsurance_rate: Decimal = Field(ge=Decimal("0"), le=Decimal("1"), decimal_places=4)
    copays: dict[ProcedureCode, Money] = Field(default_factory=dict)
    covered_procedures: list[ProcedureCode] = Field(min_length=1)
    excluded_procedures: list[ProcedureCode] = Field(default_factory=list)
    annual_benefit_max: Money
    benefits_paid_to_date: Money
    per_procedure_limits: dict[ProcedureCode, Money] = Field(default_factory=dict)
    waiting_periods_days: dict[ProcedureCode, Annotated[int, Field(ge=0, le=730)]] = Field(default_factory=dict)
    prior_auth_required: list[ProcedureCode] = Field(default_factory=list)
    prior_authorizations: list[ProcedureCode] = Field(default_factory=list)
    fee_schedule_id: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9-]{2,40}$")]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.effective_from > self.effective_to:
            raise ValueError("effective_from is after effective_to")
        if self.deductible_met.amount > self.annual_deductible.amount:
            raise ValueError("deductible_met exceeds annual_deductible")
        return self

    def covers_member(self, member_id: str) -> bool:
        return member_id in self.members


class PolicySnapshot(BaseModel):
    """The policy as Intake read it when it accepted the claim (DECISIONS: point-in-time policy):
    the claim is screened and adjudicated on this, not on whatever the table holds later.
    `digest` is the policy's version: the sha256 of its canonical JSON (the table keeps no
    version attribute), so two claims decided on the same terms say so, and an altered
    snapshot does not parse."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy: Policy
    digest: Sha256Hex
    read_at: AwareDatetime

    @classmethod
    def of(cls, policy: Policy, read_at: AwareDatetime) -> PolicySnapshot:
        return cls(policy=policy, digest=sha256_hex(policy), read_at=read_at)

    @model_validator(mode="after")
    def _digest_is_the_policys(self) -> Self:
        if sha256_hex(self.policy) != self.digest:
            raise ValueError("digest is not the policy's")
        return self
