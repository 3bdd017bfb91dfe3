"""The review desk's own models: the stored review, what reviewers see, what handlers return.

PHI stays out by construction: the snapshot is built from the workflow state (which holds no
PHI by contract) taking only scores, codes and amounts, and the claim summary copies named
fields of the claim (never `patient`, `member_id`, `subscriber_id` or `policy_id`). The task
token is a `SecretStr` everywhere: it renders as '**********' if a model is ever printed,
dumped or logged, and only the Step Functions adapter unwraps it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr, StringConstraints

from icpa_shared.contracts import (
    AdjudicationOutcome,
    AdjudicationTotals,
    Claim,
    ClaimType,
    FraudSignal,
    LineAdjudication,
    ModelJudgement,
    Money,
    ReviewDecision,
    ReviewStatus,
    ReviewVerdict,
    Route,
)
from icpa_shared.contracts.review import Rationale
from icpa_shared.contracts.types import (
    SCHEMA_VERSION,
    ClaimId,
    Icd10CmCode,
    Modifier,
    Npi,
    ProcedureCode,
    ReasonCode,
    ReviewerId,
    ReviewId,
    S3Uri,
    Score,
)

ExecutionId = Annotated[str, StringConstraints(min_length=1, max_length=400)]


class FraudView(BaseModel):
    """Why fraud scored the claim as it did: the composite, the rules, each signal's evidence."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    score: Score
    rules_score: Score
    signals: list[FraudSignal] = Field(default_factory=list, max_length=50)
    model: ModelJudgement | None = None


class AdjudicationView(BaseModel):
    """What the benefit rules would pay, line by line (the policy id is left out on purpose)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    outcome: AdjudicationOutcome
    lines: list[LineAdjudication] = Field(min_length=1, max_length=50)
    totals: AdjudicationTotals
    reason_codes: list[ReasonCode] = Field(default_factory=list, max_length=50)
    explanation: Annotated[str, StringConstraints(max_length=4000)] | None = None


class RoutingView(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    route: Route
    reasons: list[ReasonCode] = Field(min_length=1, max_length=30)


class ReviewSnapshot(BaseModel):
    """The workflow's findings at the time of the request, kept with the review."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    claim_uri: S3Uri
    total_charge: Money
    fraud: FraudView
    adjudication: AdjudicationView
    routing: RoutingView

    @property
    def payable(self) -> Money:
        return self.adjudication.totals.payable


class ReviewRecord(BaseModel):
    """One row of the reviews table (see adapters/reviews_table.py for the item layout)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    review_id: ReviewId
    claim_id: ClaimId
    execution_id: ExecutionId
    status: ReviewStatus
    created_at: AwareDatetime
    updated_at: AwareDatetime
    due_by: AwareDatetime
    # None when the record was read without it (listings) or after the review timed out.
    task_token: SecretStr | None = Field(default=None, repr=False)
    snapshot: ReviewSnapshot
    decision: ReviewDecision | None = None
    timed_out_at: AwareDatetime | None = None
    escalation_notified_at: AwareDatetime | None = None


# --- what handlers and the API return --------------------------------------------------------


class ReviewRequested(BaseModel):
    """The request handler's result (the waiting workflow ignores it; it is for the logs)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    review_id: ReviewId
    claim_id: ClaimId
    status: ReviewStatus
    due_by: AwareDatetime


class EscalationNotice(BaseModel):
    """Published to the supervisors' topic when a review times out. PHI-free and token-free:
    ids, codes and amounts only."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    event: Literal["review.escalated"] = "review.escalated"
    review_id: ReviewId
    claim_id: ClaimId
    reason_codes: list[ReasonCode] = Field(min_length=1, max_length=10)
    timeout: Annotated[str, StringConstraints(max_length=64)] | None = None
    previous_status: ReviewStatus | None = None
    routing_reasons: list[ReasonCode] = Field(default_factory=list, max_length=30)
    fraud_score: Score | None = None
    payable: Money | None = None
    due_by: AwareDatetime | None = None
    timed_out_at: AwareDatetime


class ReviewSummary(BaseModel):
    """One line of the pending-reviews list."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    review_id: ReviewId
    claim_id: ClaimId
    status: ReviewStatus
    created_at: AwareDatetime
    due_by: AwareDatetime
    reasons: list[ReasonCode]
    fraud_score: Score
    payable: Money


class ReviewPage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    reviews: list[ReviewSummary]
    next: str | None = None


class DecidedReview(ReviewSummary):
    """One line of the decided-reviews list: the summary, and who decided what and why."""

    decision: ReviewDecision


class DecidedPage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    reviews: list[DecidedReview]
    next: str | None = None


class AuditEntry(BaseModel):
    """One event of a claim's audit chain as a reviewer reads it: what happened, by which
    service, with which reasons, and (for a human decision) who and why. The digests and
    hashes stay in the chain; `intact` on the timeline says whether they check out."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sequence: int
    occurred_at: AwareDatetime
    service: str
    step: str
    decision: str
    reason_codes: list[ReasonCode]
    reviewer_id: ReviewerId | None = None
    rationale: str | None = None


class AuditTimeline(BaseModel):
    """The audit chain of a review's claim, oldest first (at most `MAX_TIMELINE_EVENTS`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    review_id: ReviewId
    claim_id: ClaimId
    intact: bool
    problem: str | None = None
    events: list[AuditEntry]
    omitted: int = 0


class ClaimLineView(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    line_number: int
    procedure_code: ProcedureCode
    modifiers: list[Modifier]
    units: int
    charge: Money
    service_date: date
    diagnosis_codes: list[Icd10CmCode]


class ClaimSummary(BaseModel):
    """The claim as a reviewer needs it: dates, codes and amounts; no patient identity."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    claim_id: ClaimId
    claim_type: ClaimType
    provider_npi: Npi
    service_date_from: date
    service_date_to: date
    received_date: date
    diagnosis_codes: list[Icd10CmCode]
    lines: list[ClaimLineView]
    total_charge: Money

    @classmethod
    def of(cls, claim: Claim) -> ClaimSummary:
        return cls(
            claim_id=claim.claim_id,
            claim_type=claim.claim_type,
            provider_npi=claim.provider_npi,
            service_date_from=claim.service_date_from,
            service_date_to=claim.service_date_to,
            received_date=claim.received_date,
            diagnosis_codes=list(claim.diagnosis_codes),
            lines=[
                ClaimLineView(
                    line_number=line.line_number,
                    procedure_code=line.procedure_code,
                    modifiers=list(line.modifiers),
                    units=line.units,
                    charge=line.charge,
                    service_date=line.service_date,
                    diagnosis_codes=[claim.diagnosis_codes[p - 1] for p in line.diagnosis_pointers],
                )
                for line in claim.lines
            ],
            total_charge=claim.total_charge,
        )


def _rationale_constraints() -> StringConstraints:
    return next(m for m in get_args(Rationale)[1:] if isinstance(m, StringConstraints))


class DecisionRule(BaseModel):
    """What a decision must be, read from the contract the API validates against, so a
    reviewer (and the console) sees the rule before submitting, not only in a 422."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    verdicts: list[ReviewVerdict]
    rationale_min_length: int
    rationale_max_length: int
    # Spaces at either end do not count toward the minimum.
    rationale_trimmed: bool

    @classmethod
    def of_contract(cls) -> DecisionRule:
        constraints = _rationale_constraints()
        return cls(
            verdicts=list(ReviewVerdict),
            rationale_min_length=constraints.min_length or 0,
            rationale_max_length=constraints.max_length or 0,
            rationale_trimmed=bool(constraints.strip_whitespace),
        )


class ReviewDetail(BaseModel):
    """One review as the reviewer opens it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    review_id: ReviewId
    claim_id: ClaimId
    status: ReviewStatus
    created_at: AwareDatetime
    due_by: AwareDatetime
    # None when the normalized claim document cannot be found; the findings still show.
    claim: ClaimSummary | None
    fraud: FraudView
    adjudication: AdjudicationView
    routing: RoutingView
    decision: ReviewDecision | None = None
    decision_rule: DecisionRule = Field(default_factory=DecisionRule.of_contract)


class DecisionAccepted(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    review_id: ReviewId
    claim_id: ClaimId
    status: ReviewStatus
    decision: ReviewDecision


class FieldProblem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str
    problem: str


class ApiError(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    status: int
    error: str
    message: str
    details: list[FieldProblem] = Field(default_factory=list)
