"""The audit event: one immutable record per step that decides or changes something."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from icpa_shared.contracts.types import (
    SCHEMA_VERSION,
    ClaimId,
    ReasonCode,
    ReviewerId,
    ServiceVersion,
    Sha256Hex,
)

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.-]{1,63}$")]


class AuditEvent(BaseModel):
    """Each claim's events form a hash chain: `hash` covers every other field, including
    `previous_hash`, so a changed, removed or reordered event is detectable.

    `canonical` names how `hash`, `input_digest` and `output_digest` were computed: "jcs" is
    RFC 8785 (every event written now); absent (None) is the sorted-keys form of events
    written before it (still verifiable: icpa_shared.digest.LEGACY_FORM)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    canonical: Literal["jcs"] | None = None
    claim_id: ClaimId
    sequence: int = Field(ge=1, le=100_000)
    step: Name
    service: Name
    service_version: ServiceVersion
    execution_id: Annotated[str, StringConstraints(max_length=400)] | None = None
    input_digest: Sha256Hex
    output_digest: Sha256Hex
    decision: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{1,63}$")]
    reason_codes: list[ReasonCode] = Field(default_factory=list, max_length=50)
    model_id: Annotated[str, StringConstraints(max_length=200)] | None = None
    model_version: Annotated[str, StringConstraints(max_length=100)] | None = None
    reviewer_id: ReviewerId | None = None
    rationale: Annotated[str, StringConstraints(max_length=2000)] | None = None
    occurred_at: AwareDatetime
    previous_hash: Sha256Hex | None = None
    hash: Sha256Hex


class AuditHead(BaseModel):
    """The event a step appended, as the step's result carries it in the workflow state: the
    next step builds its event on it (an append with no read of the chain first). Only a hint:
    the append stays conditional on its sequence being free, and a step whose head is stale
    (another event appended meanwhile, a retry after its own write) reads the chain instead.
    The event's output digest covers the step's result with `audit_head` null: the head is the
    event's own hash, so it cannot be inside what that hash covers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sequence: int = Field(ge=1, le=100_000)
    hash: Sha256Hex
