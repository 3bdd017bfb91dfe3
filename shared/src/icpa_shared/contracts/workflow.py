"""The small state the state machine carries between steps: references and decisions only.

The claim itself and its documents live in S3 and DynamoDB; the state holds ids, S3 URIs and
the decisions each step made, so it stays far below Step Functions' payload limit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Annotated, Final, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from icpa_shared.contracts.adjudication import Adjudication
from icpa_shared.contracts.audit import AuditHead
from icpa_shared.contracts.fraud import FraudAssessment
from icpa_shared.contracts.money import Money
from icpa_shared.contracts.review import ReviewDecision
from icpa_shared.contracts.routing import DecidedBy, Outcome, RoutingDecision
from icpa_shared.contracts.types import (
    SCHEMA_VERSION,
    ClaimId,
    MemberId,
    Npi,
    ProcedureCode,
    ReasonCode,
    S3BucketName,
    S3Key,
    S3Uri,
    ServiceVersion,
    Sha256Hex,
)


class SourceObject(BaseModel):
    """The uploaded object that started the workflow (from the EventBridge event)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bucket: S3BucketName
    key: S3Key  # as S3 stores it: the EventBridge event carries the key unencoded
    etag: Annotated[str, StringConstraints(max_length=200)] | None = None
    version_id: Annotated[str, StringConstraints(max_length=1024)] | None = None
    size: int | None = Field(default=None, ge=0)
    event_time: AwareDatetime | None = None

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class DeliveryRole(StrEnum):
    OWNER = "OWNER"  # this execution decides the object
    DUPLICATE = "DUPLICATE"  # another execution does: this one ends with its decision


class Delivery(BaseModel):
    """Which execution decides the uploaded object. EventBridge delivers at least once, so one
    upload can start several executions: the first to claim the object on its claim record owns
    the decision; any other (a DUPLICATE) ends with the owner's decision and adds nothing."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: DeliveryRole
    owner_execution_id: Annotated[str, StringConstraints(min_length=1, max_length=400)]
    reason: ReasonCode | None = None  # duplicates: ALREADY_DECIDED, or DUPLICATE_DELIVERY while undecided
    outcome: Outcome | None = None  # duplicates: the claim's outcome when this execution looked


class IntakeResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    claim_id: ClaimId
    claim_uri: S3Uri
    claim_digest: Sha256Hex
    source_format: Literal["icpa", "fhir", "x12"]
    line_count: int = Field(ge=1, le=50)
    total_charge: Money
    received_date: date
    service_version: ServiceVersion
    delivery: Delivery | None = None  # set per execution (the rest is once per object)
    audit_head: AuditHead | None = None  # the audit event this step appended (absent: read the chain)


class FinalDecision(BaseModel):
    """Set by the ASL's Pass states once a route or a reviewer has decided."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    outcome: Outcome
    decided_by: DecidedBy


MAX_ERROR_NAME: Final = 256
MAX_CAUSE: Final = 32768
"""Step Functions' own limit for an error's Cause."""
TRUNCATED: Final = "...[TRUNCATED]"


def _fit(limit: int) -> Callable[[object], object]:
    def fit(value: object) -> object:
        # The error handler must never fail on the error it handles: an over-long cause is cut
        # (deterministically, with a marker), not refused.
        if isinstance(value, str) and len(value) > limit:
            return value[: limit - len(TRUNCATED)] + TRUNCATED
        return value

    return fit


class StepError(BaseModel):
    """What a Catch puts in state: the error's class name and its cause."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    error: Annotated[str, BeforeValidator(_fit(MAX_ERROR_NAME))] = Field(alias="Error", max_length=MAX_ERROR_NAME)
    cause: Annotated[str, BeforeValidator(_fit(MAX_CAUSE))] = Field(default="", alias="Cause", max_length=MAX_CAUSE)


class EscalationResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    review_id: str | None = None
    notified: bool
    reason_codes: list[ReasonCode] = Field(max_length=10)


class IndexedLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    procedure_code: ProcedureCode
    units: int = Field(ge=1, le=999)
    charge: Money
    service_date: date


class ClaimIndexEntry(BaseModel):
    """What Intake writes to the claims table for history lookups (Fraud's duplicate and
    frequency signals). The table has GSIs on (member_id, service_date) and
    (provider_npi, service_date): lookups are keyed queries, never scans."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    claim_id: ClaimId
    member_id: MemberId
    provider_npi: Npi
    service_date: date
    lines: list[IndexedLine] = Field(min_length=1, max_length=50)
    total_charge: Money
    received_date: date
    # When the inbox received the upload (the S3 event's time, as the workflow input carries it):
    # Fraud orders duplicates by it, so only the later-received claim of a pair is the duplicate.
    received_at: AwareDatetime | None = None


class QuarantineResult(BaseModel):
    """The error-handling step's output: where the original went and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    claim_id: ClaimId
    outcome: Outcome
    reason_codes: list[ReasonCode] = Field(min_length=1, max_length=60)
    quarantine_uri: S3Uri
    delivery: Delivery | None = None  # set per execution: a DUPLICATE ends with the owner's outcome


class WorkflowState(BaseModel):
    """The document each Task reads and adds to (each Task's ResultPath is one field)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    source: SourceObject
    intake: IntakeResult | None = None
    fraud: FraudAssessment | None = None
    adjudication: Adjudication | None = None
    routing: RoutingDecision | None = None
    review: ReviewDecision | None = None
    escalation: EscalationResult | None = None
    final: FinalDecision | None = None
    error: StepError | None = None
    quarantine: QuarantineResult | None = None


class StepInput(BaseModel):
    """What every Lambda task receives (the ASL's Parameters): the state and its context."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    state: WorkflowState
    execution_id: Annotated[str, StringConstraints(min_length=1, max_length=400)]
    task_token: Annotated[str, StringConstraints(min_length=1, max_length=8192)] | None = None


class ClaimRecord(BaseModel):
    """A claim's row in the claims table: its current outcome, for status queries."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    claim_id: ClaimId
    outcome: Outcome
    decided_by: DecidedBy
    reason_codes: list[ReasonCode] = Field(default_factory=list, max_length=60)
    payable: Money | None = None
    source_uri: S3Uri
    claim_uri: S3Uri | None = None
    quarantine_uri: S3Uri | None = None
    execution_id: Annotated[str, StringConstraints(max_length=400)] | None = None
    service_version: ServiceVersion
    updated_at: AwareDatetime
