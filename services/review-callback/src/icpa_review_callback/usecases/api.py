"""The reviewers' desk: list pending (or decided) reviews, open one, read its claim's audit
trail, decide it. Returns outcomes
(domain/outcomes.py); the API handler turns them into HTTP responses.

A decision is single use: PENDING -> DECIDED is a conditional write, and only its winner
calls SendTaskSuccess. If that call fails transiently the write is undone (conditionally) and
the reviewer is told to retry, so a decision is neither lost nor applied twice. If Step
Functions answers that it no longer waits on the token, the review is TIMED_OUT (Expired).

Every decision attempt, accepted or refused, leaves an audit event on the claim's chain
(attempts on unknown reviews on a chain of their own). A refused attempt is recorded as it
was answered: the handler's `answer` gives its reason codes and body.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, ValidationError

from icpa_review_callback.domain.errors import InvalidCursorError, TaskTokenGoneError
from icpa_review_callback.domain.identity import AuthError, Reviewer, ReviewerAccess, identify
from icpa_review_callback.domain.ids import is_review_id
from icpa_review_callback.domain.models import (
    AuditEntry,
    AuditTimeline,
    ClaimSummary,
    DecidedPage,
    DecidedReview,
    FieldProblem,
    ReviewDetail,
    ReviewPage,
    ReviewRecord,
    ReviewSummary,
)
from icpa_review_callback.domain.outcomes import (
    Accepted,
    AlreadyDecided,
    Answer,
    DecisionOutcome,
    Expired,
    Failed,
    InvalidDecision,
    InvalidQuery,
    Listed,
    ListOutcome,
    Malformed,
    NotAllowed,
    NotFound,
    Opened,
    OpenOutcome,
    Timeline,
    TimelineOutcome,
    Unavailable,
)
from icpa_review_callback.domain.ports import ReviewPorts
from icpa_shared.audit import verify_chain
from icpa_shared.contracts import ReviewDecision, ReviewStatus, ReviewVerdict
from icpa_shared.contracts.review import Rationale
from icpa_shared.errors import ClaimNotFoundError, ContractViolationError, TransientDependencyError
from icpa_shared.observability.logging import bind_claim, get_logger

UNMATCHED_CHAIN: Final = "unmatched-review-attempts"


class DecisionRequest(BaseModel):
    """The body of POST /reviews/{id}/decision. The reviewer is who calls, never a field."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    decision: ReviewVerdict
    rationale: Rationale


# --- GET /reviews ------------------------------------------------------------------------------


def list_reviews(
    *,
    request_context: Mapping[str, Any] | None,
    status: ReviewStatus | InvalidQuery,
    limit: int | InvalidQuery,
    cursor: str | None,
    ports: ReviewPorts,
    access: ReviewerAccess,
) -> ListOutcome:
    """PENDING reviews oldest first (the queue), or DECIDED ones newest first with who decided
    and why. `status` and `limit` are what the handler read from the query, or why it could not."""
    who = identify(request_context, access)
    if isinstance(who, AuthError):
        return NotAllowed(who)
    if isinstance(status, InvalidQuery):
        return status
    if isinstance(limit, InvalidQuery):
        return limit
    try:
        if status is ReviewStatus.DECIDED:
            records, next_cursor = ports.store.list_decided(limit=limit, cursor=cursor)
            return Listed(DecidedPage(reviews=[decided_of(r) for r in records], next=next_cursor))
        records, next_cursor = ports.store.list_pending(limit=limit, cursor=cursor)
    except InvalidCursorError:
        return InvalidQuery("next is not a page token this API issued for this status")
    return Listed(ReviewPage(reviews=[summary_of(r) for r in records], next=next_cursor))


def decided_of(record: ReviewRecord) -> DecidedReview:
    if record.decision is None:  # the store's DECIDED items carry their decision
        raise ContractViolationError(f"review {record.review_id} is DECIDED without a decision")
    return DecidedReview(**summary_of(record).model_dump(), decision=record.decision)


def summary_of(record: ReviewRecord) -> ReviewSummary:
    return ReviewSummary(
        review_id=record.review_id,
        claim_id=record.claim_id,
        status=record.status,
        created_at=record.created_at,
        due_by=record.due_by,
        reasons=list(record.snapshot.routing.reasons),
        fraud_score=record.snapshot.fraud.score,
        payable=record.snapshot.payable,
    )


def _reviewer_and_review(
    review_id: str, request_context: Mapping[str, Any] | None, ports: ReviewPorts, access: ReviewerAccess
) -> tuple[Reviewer, ReviewRecord] | NotAllowed | NotFound:
    """Who calls (checked first: an unauthenticated caller learns nothing about review ids) and
    the review they asked for."""
    who = identify(request_context, access)
    if isinstance(who, AuthError):
        return NotAllowed(who)
    record = ports.store.get(review_id) if is_review_id(review_id) else None
    if record is None:
        return NotFound()
    bind_claim(record.claim_id)
    return who, record


# --- GET /reviews/{review_id} ------------------------------------------------------------------


def open_review(
    review_id: str,
    *,
    request_context: Mapping[str, Any] | None,
    ports: ReviewPorts,
    access: ReviewerAccess,
    now: datetime,
) -> OpenOutcome:
    log = get_logger()
    found = _reviewer_and_review(review_id, request_context, ports, access)
    if isinstance(found, NotAllowed | NotFound):
        return found
    who, record = found

    if record.status is ReviewStatus.PENDING and record.task_token is not None:
        # Opening a review is picking it up: the heartbeat tells the waiting task a reviewer
        # is on it (the ASL's HeartbeatSeconds). A transient failure propagates (unavailable).
        try:
            ports.tasks.send_heartbeat(record.task_token)
        except TaskTokenGoneError:
            log.warning("review.heartbeat_found_wait_gone", review_id=review_id)
            record = (
                ports.store.mark_timed_out(review_id, now=now, from_statuses=(ReviewStatus.PENDING,))
                or ports.store.get(review_id)
                or record
            )

    claim: ClaimSummary | None = None
    try:
        claim = ClaimSummary.of(ports.claims.get(record.snapshot.claim_uri))
    except ClaimNotFoundError:
        log.warning("review.claim_document_missing", review_id=review_id)
    except ValidationError as exc:
        log.error("review.claim_document_invalid", review_id=review_id, errors=exc.error_count())

    log.info("review.opened", review_id=review_id, status=record.status.value, reviewer_id=who.reviewer_id)
    snapshot = record.snapshot
    return Opened(
        ReviewDetail(
            review_id=record.review_id,
            claim_id=record.claim_id,
            status=record.status,
            created_at=record.created_at,
            due_by=record.due_by,
            claim=claim,
            fraud=snapshot.fraud,
            adjudication=snapshot.adjudication,
            routing=snapshot.routing,
            decision=record.decision,
        )
    )


# --- GET /reviews/{review_id}/audit ------------------------------------------------------------

MAX_TIMELINE_EVENTS: Final = 500


def review_timeline(
    review_id: str,
    *,
    request_context: Mapping[str, Any] | None,
    ports: ReviewPorts,
    access: ReviewerAccess,
) -> TimelineOutcome:
    """The audit chain of the review's claim. Reached through a review id only: a reviewer reads
    the trail of a claim that came to review, not of any claim id they can guess."""
    found = _reviewer_and_review(review_id, request_context, ports, access)
    if isinstance(found, NotAllowed | NotFound):
        return found
    _, record = found
    events = ports.audit.store.events(record.claim_id)
    verification = verify_chain(events)
    shown = events[:MAX_TIMELINE_EVENTS]
    return Timeline(
        AuditTimeline(
            review_id=record.review_id,
            claim_id=record.claim_id,
            intact=verification.ok,
            problem=verification.problem,
            events=[AuditEntry.model_validate(e.model_dump(include=set(AuditEntry.model_fields))) for e in shown],
            omitted=len(events) - len(shown),
        )
    )


# --- POST /reviews/{review_id}/decision --------------------------------------------------------


def submit_decision(
    review_id: str,
    *,
    request_context: Mapping[str, Any] | None,
    body: Mapping[str, Any] | Malformed,
    raw_body: str | None,
    ports: ReviewPorts,
    access: ReviewerAccess,
    now: datetime,
    answer: Callable[[DecisionOutcome], Answer],
) -> DecisionOutcome:
    """`body` is the JSON object the handler decoded, or why it refused it; `raw_body` is what
    was sent (the audit's input digest); `answer` says how a refusal was answered."""
    who = identify(request_context, access)
    record: ReviewRecord | None = None
    outcome: DecisionOutcome
    try:
        record = ports.store.get(review_id) if is_review_id(review_id) else None
        if record is not None:
            bind_claim(record.claim_id)
        outcome, record = _decide(who, review_id, record, body, ports, now)
    except TransientDependencyError:
        outcome = Unavailable("a dependency is unavailable; retry the decision")
    except Exception:
        # Audited too, then left to the API handler's 500.
        _audit_attempt(ports, who, review_id, raw_body, Failed(), record, answer, now)
        raise
    _audit_attempt(ports, who, review_id, raw_body, outcome, record, answer, now)
    return outcome


def _decide(
    who: Reviewer | AuthError,
    review_id: str,
    record: ReviewRecord | None,
    body: Mapping[str, Any] | Malformed,
    ports: ReviewPorts,
    now: datetime,
) -> tuple[DecisionOutcome, ReviewRecord | None]:
    """The outcome, and the review as it stands after it (whose chain the attempt is audited on)."""
    log = get_logger()
    # Identity before existence: an unauthenticated caller learns nothing about review ids.
    if isinstance(who, AuthError):
        return NotAllowed(who), record
    # The envelope (media type, size, depth, one JSON object) before any rule of the desk.
    if isinstance(body, Malformed):
        return body, record
    if record is None:
        return NotFound(), None
    parsed = parse_decision(body)
    if isinstance(parsed, InvalidDecision):
        return parsed, record
    if record.status is not ReviewStatus.PENDING:
        return _refusal_for(record), record

    decision = ReviewDecision(
        review_id=record.review_id,
        claim_id=record.claim_id,
        reviewer_id=who.reviewer_id,
        decision=parsed.decision,
        rationale=parsed.rationale,
        decided_at=now,
    )
    written = ports.store.mark_decided(decision, now)
    if written is None:  # another decision (or the timeout) got there between read and write
        latest = ports.store.get(review_id)
        return _refusal_for(latest), latest

    try:
        if written.task_token is None:
            raise TaskTokenGoneError(f"review {review_id} has no task token")
        ports.tasks.send_success(written.task_token, decision.model_dump_json())
    except TaskTokenGoneError:
        log.warning("review.decision_too_late", review_id=review_id)
        latest = ports.store.mark_timed_out(
            review_id, now=now, from_statuses=(ReviewStatus.DECIDED,), decided_at=now
        ) or ports.store.get(review_id)
        return Expired(), latest
    except TransientDependencyError:
        if ports.store.revert_decision(review_id, decided_at=now, now=now):
            log.warning("review.decision_reverted", review_id=review_id)
            return Unavailable("the workflow could not be resumed; the decision was not applied, retry"), written
        latest = ports.store.get(review_id)
        return _refusal_for(latest), latest
    except Exception:
        # Unknown failure: undo the write so the review stays decidable, then fail loudly.
        ports.store.revert_decision(review_id, decided_at=now, now=now)
        raise

    log.info("review.decided", review_id=review_id, decision=decision.decision.value, reviewer_id=who.reviewer_id)
    waited = max((decision.decided_at - written.created_at).total_seconds(), 0.0)
    return Accepted(decision, waited_seconds=waited), written


def _refusal_for(record: ReviewRecord | None) -> NotFound | AlreadyDecided | Expired | Unavailable:
    """Why a review cannot take a decision now, from its current status."""
    if record is None:
        return NotFound()
    if record.status is ReviewStatus.DECIDED:
        return AlreadyDecided()
    if record.status is ReviewStatus.TIMED_OUT:
        return Expired()
    return Unavailable("the review changed while deciding; retry")


def parse_decision(data: Mapping[str, Any]) -> DecisionRequest | InvalidDecision:
    """InvalidDecision when the JSON object is not a decision (the handler refused what is not one)."""
    if "reviewer_id" in data:
        return InvalidDecision(
            "the reviewer is the authenticated caller",
            [FieldProblem(field="reviewer_id", problem="not accepted in the body")],
        )
    try:
        return DecisionRequest.model_validate(data)
    except ValidationError as exc:
        problems = [
            FieldProblem(field=".".join(str(p) for p in err["loc"]) or "body", problem=err["msg"])
            for err in exc.errors(include_url=False, include_input=False)
        ]
        return InvalidDecision("the decision is not valid", problems)


def _audit_attempt(
    ports: ReviewPorts,
    who: Reviewer | AuthError,
    review_id: str,
    raw_body: str | None,
    outcome: DecisionOutcome,
    record: ReviewRecord | None,
    answer: Callable[[DecisionOutcome], Answer],
    now: datetime,
) -> None:
    """Accepted: step review_decision with reviewer and rationale. Refused: step
    review_refused with the answer's reason codes. The input digest covers the path's
    review id and the raw body, so a disputed attempt can be matched to what was sent."""
    reviewer_id = who.reviewer_id if isinstance(who, Reviewer) else who.principal
    attempt = {"review_id": review_id, "body": raw_body or ""}
    try:
        if isinstance(outcome, Accepted):
            ports.audit.record(
                claim_id=outcome.decision.claim_id,
                step="review_decision",
                decision=outcome.decision.decision.value,
                input_value=attempt,
                output_value=outcome.decision,
                occurred_at=now,
                execution_id=record.execution_id if record else None,
                reviewer_id=outcome.decision.reviewer_id,
                rationale=outcome.decision.rationale,
            )
        else:
            answered = answer(outcome)
            ports.audit.record(
                claim_id=record.claim_id if record else UNMATCHED_CHAIN,
                step="review_refused",
                decision="REFUSED",
                input_value=attempt,
                output_value=answered.body,
                occurred_at=now,
                reason_codes=answered.reason_codes,
                execution_id=record.execution_id if record else None,
                reviewer_id=reviewer_id,
            )
    except Exception as exc:
        # The attempt's outcome stands (a resumed workflow cannot be un-resumed); a missing
        # audit event is an alarm, not a reason to answer differently.
        get_logger().error(
            "review.audit_failed", review_id=review_id, outcome=type(outcome).__name__, error=type(exc).__name__
        )
