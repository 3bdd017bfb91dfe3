"""Human review: what a reviewer decided, and the PHI-free notice reviewers receive."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from icpa_shared.contracts.money import Money
from icpa_shared.contracts.types import SCHEMA_VERSION, ClaimId, ReasonCode, ReviewerId, ReviewId


class ReviewVerdict(StrEnum):
    APPROVE = "APPROVE"
    DENY = "DENY"


Rationale = Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=2000)]


class ReviewDecision(BaseModel):
    """The reviewer's answer; what the callback sends back to the waiting workflow."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    review_id: ReviewId
    claim_id: ClaimId
    reviewer_id: ReviewerId
    decision: ReviewVerdict
    rationale: Rationale
    decided_at: AwareDatetime


class ReviewStatus(StrEnum):
    PENDING = "PENDING"
    DECIDED = "DECIDED"
    TIMED_OUT = "TIMED_OUT"


class ReviewNotice(BaseModel):
    """Published to the reviewers' SNS topic. PHI-free and token-free by construction."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    review_id: ReviewId
    claim_id: ClaimId
    reasons: list[ReasonCode] = Field(max_length=30)
    fraud_score: float = Field(ge=0.0, le=1.0)
    payable: Money
    due_by: AwareDatetime
