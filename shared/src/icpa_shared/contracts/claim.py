"""The normalized claim: what Intake produces from any accepted input format."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Final, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from icpa_shared.contracts.money import Money, total
from icpa_shared.contracts.policy import Policy, PolicySnapshot
from icpa_shared.contracts.types import (
    SCHEMA_VERSION,
    ClaimId,
    Icd10CmCode,
    MemberId,
    Modifier,
    Npi,
    PolicyId,
    ProcedureCode,
    S3Uri,
    SubscriberId,
)

MAX_LINES = 50
MAX_DIAGNOSES = 12

MIN_CLAIM_DATE: Final = date(1900, 1, 1)
ClaimDate = Annotated[date, Field(ge=MIN_CLAIM_DATE, json_schema_extra={"formatMinimum": MIN_CLAIM_DATE.isoformat()})]
"""A date on a claim (service, receipt, birth): never before 1900. A year-1 service period is a
typo or an attack (date arithmetic downstream overflows), not a claim."""


class ClaimType(StrEnum):
    PROFESSIONAL = "professional"
    INSTITUTIONAL = "institutional"


class Address(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    line: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=4
    )
    city: Annotated[str, StringConstraints(max_length=100)] | None = None
    state: Annotated[str, StringConstraints(max_length=50)] | None = None
    postal_code: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z -]{3,10}$")] | None = None


class Patient(BaseModel):
    """Patient demographics. All of it is PHI: kept in encrypted storage, never in state or logs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    birth_date: ClaimDate
    gender: Literal["male", "female", "other", "unknown"] = "unknown"
    address: Address | None = None


class ClaimLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    line_number: int = Field(ge=1, le=MAX_LINES)
    procedure_code: ProcedureCode
    modifiers: list[Modifier] = Field(default_factory=list, max_length=4)
    units: int = Field(ge=1, le=999)
    charge: Money
    service_date: ClaimDate
    diagnosis_pointers: list[Annotated[int, Field(ge=1, le=MAX_DIAGNOSES)]] = Field(
        default_factory=lambda: [1], min_length=1, max_length=4
    )

    @model_validator(mode="after")
    def _positive_charge(self) -> Self:
        if self.charge.amount <= 0:
            raise ValueError("line charge must be positive")
        return self


SourceFormatName = Literal["icpa-json", "fhir-claim", "x12-837p", "x12-837i"]

_X12Id = Annotated[str, StringConstraints(min_length=1, max_length=80)]
"""An identifier copied from an X12 element (control numbers, ids, codes, names): X12 caps its
longest such element (NM103) at 60, so 80 is generous; no claim needs more."""


class ClaimSource(BaseModel):
    """Where a claim came from: the input format and, for X12, the envelope identifiers an answer
    in the industry's shapes (X12 835, FHIR ClaimResponse) must echo. Only `format` is set for
    ICPA JSON and FHIR claims."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: SourceFormatName
    interchange_control_number: _X12Id | None = None
    """ISA13."""
    group_control_number: _X12Id | None = None
    """GS06."""
    transaction_set_control_number: _X12Id | None = None
    """ST02."""
    claim_position: int | None = Field(default=None, ge=1)
    """1-based index of the CLM loop in the interchange."""
    patient_control_number: _X12Id | None = None
    """CLM01: the provider's own claim number."""
    sender_id: _X12Id | None = None
    """ISA06."""
    receiver_id: _X12Id | None = None
    """ISA08."""
    payer_name: _X12Id | None = None
    """2010BB NM1*PR NM103."""
    payer_id: _X12Id | None = None
    """2010BB NM1*PR NM109."""
    billing_provider_name: _X12Id | None = None
    """2010AA NM1*85 NM103."""
    billing_provider_npi: Npi | None = None
    """2010AA NM1*85 NM109 (XX)."""
    facility_type_code: _X12Id | None = None
    """CLM05-1 (place of service for 837P, type of bill's facility code for 837I)."""
    claim_frequency_code: _X12Id | None = None
    """CLM05-3 (1 original, 7 replacement, 8 void)."""


class Claim(BaseModel):
    """A normalized health claim. Documents never travel with it: attachments are S3 URIs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    claim_id: ClaimId
    claim_type: ClaimType = ClaimType.PROFESSIONAL
    member_id: MemberId
    subscriber_id: SubscriberId
    policy_id: PolicyId
    provider_npi: Npi
    patient: Patient | None = None
    service_date_from: ClaimDate
    service_date_to: ClaimDate
    received_date: ClaimDate
    diagnosis_codes: list[Icd10CmCode] = Field(min_length=1, max_length=MAX_DIAGNOSES)
    lines: list[ClaimLine] = Field(min_length=1, max_length=MAX_LINES)
    total_charge: Money
    attachments: list[S3Uri] = Field(default_factory=list, max_length=20)
    source: ClaimSource | None = None
    """Provenance: the input format and, for X12, its envelope; None on claims written before 1.1."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.service_date_from > self.service_date_to:
            raise ValueError("service_date_from is after service_date_to")
        if self.service_date_to > self.received_date:
            raise ValueError("service dates end after the claim was received")
        numbers = [line.line_number for line in self.lines]
        if len(set(numbers)) != len(numbers):
            raise ValueError("line numbers repeat")
        for line in self.lines:
            if not self.service_date_from <= line.service_date <= self.service_date_to:
                raise ValueError(f"line {line.line_number} service date is outside the claim's")
            if line.charge.currency != self.total_charge.currency:
                raise ValueError(f"line {line.line_number} currency differs from the total's")
            if max(line.diagnosis_pointers) > len(self.diagnosis_codes):
                raise ValueError(f"line {line.line_number} points at a missing diagnosis")
        computed = total((line.charge for line in self.lines), self.total_charge.currency)
        if computed != self.total_charge:
            raise ValueError(f"total_charge {self.total_charge} is not the sum of lines {computed}")
        return self


class ClaimDocument(Claim):
    """The normalized claim document Intake writes to S3 (`claims/<claim_id>.json`): the claim,
    and the snapshot of the policy Intake validated it against, so that Fraud and Adjudication,
    which read this document anyway, decide on that policy without reading the table again.
    Not an input format: a submitted claim is a `Claim` (a file cannot bring its own policy).
    `policy_snapshot` is None on documents written before Intake 1.2.0."""

    policy_snapshot: PolicySnapshot | None = None

    @classmethod
    def of(cls, claim: Claim, snapshot: PolicySnapshot | None) -> ClaimDocument:
        return cls.model_validate({**claim.model_dump(), "policy_snapshot": snapshot})

    @property
    def snapshot_policy(self) -> Policy | None:
        """The policy to decide the claim on, when the document holds it (else: the table's)."""
        return self.policy_snapshot.policy if self.policy_snapshot is not None else None

    @model_validator(mode="after")
    def _snapshot_is_the_claims_policy(self) -> Self:
        if self.policy_snapshot is not None and self.policy_snapshot.policy.policy_id != self.policy_id:
            raise ValueError("policy_snapshot is not the claim's policy")
        return self
