"""RecordDecision: the claim's final record, built from the state the workflow carried.

The ASL's Pass states set `final`; this checks that it agrees with the route and the review
that led to it (a wiring bug must not record a wrong outcome), then builds the ClaimRecord.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from icpa_router.domain import codes
from icpa_shared.contracts import (
    ClaimRecord,
    DecidedBy,
    FinalDecision,
    Money,
    Outcome,
    ReviewDecision,
    ReviewVerdict,
    Route,
    WorkflowState,
)
from icpa_shared.contracts import reasons as rc
from icpa_shared.errors import ContractViolationError

MAX_REASON_CODES: Final = 60  # ClaimRecord.reason_codes

_AUTO_ROUTE: Final = {Outcome.APPROVED: Route.AUTO_APPROVE, Outcome.DENIED: Route.AUTO_DENY}
_VERDICT: Final = {Outcome.APPROVED: ReviewVerdict.APPROVE, Outcome.DENIED: ReviewVerdict.DENY}


@dataclass(frozen=True)
class DecisionRecord:
    """The record to store, plus what the audit event needs beyond it."""

    record: ClaimRecord
    route: Route
    reviewer_id: str | None = None
    rationale: str | None = None


def record_decision(
    state: WorkflowState, *, execution_id: str, service_version: str, updated_at: datetime
) -> DecisionRecord:
    intake, routing, adjudication, final = state.intake, state.routing, state.adjudication, state.final
    if intake is None or routing is None or adjudication is None or final is None:
        missing = [n for n in ("intake", "routing", "adjudication", "final") if getattr(state, n) is None]
        raise ContractViolationError(f"RecordDecision needs state.{', state.'.join(missing)}")
    claim_id = intake.claim_id
    for part in (routing, adjudication, state.fraud, state.review):
        if part is not None and part.claim_id != claim_id:
            raise ContractViolationError(f"state.{type(part).__name__} is for another claim")

    reasons = list(routing.reasons)
    reviewer_id = rationale = None
    if final.decided_by is DecidedBy.AUTO:
        _check_auto(final, routing.route)
    elif final.decided_by is DecidedBy.HUMAN:
        review = _check_human(final, routing.route, state.review)
        reasons.append(codes.REVIEWER_APPROVED if review.decision is ReviewVerdict.APPROVE else codes.REVIEWER_DENIED)
        reviewer_id, rationale = review.reviewer_id, review.rationale
    else:
        _check_pended(final, routing.route)
        reasons += state.escalation.reason_codes if state.escalation else []
        reasons.append(rc.REVIEW_TIMED_OUT)  # the only way to PENDED (ARCHITECTURE.md)

    currency = adjudication.totals.payable.currency
    record = ClaimRecord(
        claim_id=claim_id,
        outcome=final.outcome,
        decided_by=final.decided_by,
        reason_codes=list(dict.fromkeys(reasons))[:MAX_REASON_CODES],
        payable=adjudication.totals.payable if final.outcome is Outcome.APPROVED else Money.zero(currency),
        source_uri=state.source.uri,
        claim_uri=intake.claim_uri,
        execution_id=execution_id,
        service_version=service_version,
        updated_at=updated_at,
    )
    return DecisionRecord(record=record, route=routing.route, reviewer_id=reviewer_id, rationale=rationale)


def _check_auto(final: FinalDecision, route: Route) -> None:
    if _AUTO_ROUTE.get(final.outcome) is not route:
        raise ContractViolationError(f"an AUTO {final.outcome.value} does not follow route {route.value}")


def _check_human(final: FinalDecision, route: Route, review: ReviewDecision | None) -> ReviewDecision:
    if route is not Route.HUMAN_REVIEW:
        raise ContractViolationError(f"a HUMAN decision does not follow route {route.value}")
    if review is None:
        raise ContractViolationError("a HUMAN decision needs state.review")
    if _VERDICT.get(final.outcome) is not review.decision:
        raise ContractViolationError(
            f"outcome {final.outcome.value} contradicts the reviewer's {review.decision.value}"
        )
    return review


def _check_pended(final: FinalDecision, route: Route) -> None:
    if final.outcome is not Outcome.PENDED or final.decided_by is not DecidedBy.NONE:
        raise ContractViolationError(
            f"outcome {final.outcome.value} decided by {final.decided_by.value} is not a final decision"
        )
    if route is not Route.HUMAN_REVIEW:
        raise ContractViolationError(f"a PENDED claim does not follow route {route.value}")
