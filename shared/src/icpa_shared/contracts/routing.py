"""Router's output and the final outcome vocabulary of a claim."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from icpa_shared.contracts.audit import AuditHead
from icpa_shared.contracts.types import SCHEMA_VERSION, ClaimId, ReasonCode, ServiceVersion


class Route(StrEnum):
    AUTO_APPROVE = "AUTO_APPROVE"
    AUTO_DENY = "AUTO_DENY"
    HUMAN_REVIEW = "HUMAN_REVIEW"


class Outcome(StrEnum):
    """Where a claim ended (or stands): the one status every tool reports."""

    APPROVED = "APPROVED"
    DENIED = "DENIED"
    REJECTED = "REJECTED"  # invalid input, quarantined with its reasons
    PENDED = "PENDED"  # human review timed out: escalated to supervisors
    PENDING_REVIEW = "PENDING_REVIEW"  # waiting for a reviewer
    ERROR = "ERROR"  # unexpected failure, quarantined with its reason
    IN_PROGRESS = "IN_PROGRESS"  # accepted by Intake, no decision yet


class DecidedBy(StrEnum):
    AUTO = "AUTO"
    HUMAN = "HUMAN"
    NONE = "NONE"


class RoutingDecision(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    claim_id: ClaimId
    route: Route
    reasons: list[ReasonCode] = Field(min_length=1, max_length=30)
    policy_version: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    service_version: ServiceVersion
    decided_at: AwareDatetime
    audit_head: AuditHead | None = None  # the audit event this step appended (absent: read the chain)
