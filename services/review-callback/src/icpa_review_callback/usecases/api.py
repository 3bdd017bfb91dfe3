"""The reviewers' desk: list pending reviews, open one, decide it. Returns status + body;
the API handler only turns that into an HTTP response.

A decision is single use: PENDING -> DECIDED is a conditional write, and only its winner
calls SendTaskSuccess. If that call fails transiently the write is undone (conditionally) and
the reviewer gets a 503 to retry, so a decision is neither lost nor applied twice. If Step
Functions answers that it no longer waits on the token, the review is TIMED_OUT (410).

Every decision attempt, accepted or refused, leaves an audit event on the claim's chain
(attempts on unknown reviews on a chain of their own).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, ValidationError

from icpa_review_callback.domain.errors import InvalidCursorError, TaskTokenGoneError
from icpa_review_callback.domain.identity import AuthError, Reviewer, ReviewerAccess, identify
from icpa_review_callback.domain.ids import is_review_id
from icpa_review_callback.domain.models import (
    ApiError,
    ClaimSummary,
    DecisionAccepted,
    FieldProblem,
    ReviewDetail,
    ReviewPage,
    ReviewRecord,
    ReviewSummary,
)
from icpa_review_callback.domain.ports import ReviewPorts
from icpa_review_callback.handlers.api_body import BodyProblem, read_json_object
from icpa_shared.contracts import ReviewDecision, ReviewStatus, ReviewVerdict
from icpa_shared.contracts.reasons import REVIEW_TIMED_OUT
from icpa_shared.contracts.review import Rationale
from icpa_shared.errors import ClaimNotFoundError, TransientDependencyError
from icpa_shared.observability.logging import bind_claim, get_logger

UNMATCHED_CHAIN: Final = "unmatched-review-attempts"
DEFAULT_PAGE_SIZE: Final = 25
MAX_PAGE_SIZE: Final = 100
RETRY_AFTER_SECONDS: Final = "5"

# Machine-readable error per status: the API's `error` field and the audit reason code.
ERROR_CODES: Final[dict[int, str]] = {
    400: "MALFORMED_BODY",
    401: "UNAUTHENTICATED",
    403: "NOT_A_REVIEWER",
    404: "REVIEW_NOT_FOUND",
    409: "REVIEW_ALREADY_DECIDED",
    410: REVIEW_TIMED_OUT,
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "INVALID_DECISION",
    500: "INTERNAL_ERROR",
    503: "DEPENDENCY_UNAVAILABLE",
}


class DecisionRequest(BaseModel):
    """The body of POST /reviews/{id}/decision. The reviewer is who calls, never a field."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    decision: ReviewVerdict
    rationale: Rationale


@dataclass(frozen=True)
class ApiResult:
    status: int
    body: BaseModel
    headers: Mapping[str, str] = field(default_factory=dict)
    # For an accepted decision: how long the claim waited for a human (the ReviewWaitTime metric).
    review_wait_seconds: float | None = None


def refusal(
    status: int, message: str, details: list[FieldProblem] | None = None, *, error: str | None = None
) -> ApiResult:
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if status == 503 else {}
    body = ApiError(status=status, error=error or ERROR_CODES[status], message=message, details=details or [])
    return ApiResult(status, body, headers)


# --- GET /reviews ------------------------------------------------------------------------------


def list_pending_reviews(
    *, request_context: Mapping[str, Any] | None, query: Mapping[str, str], ports: ReviewPorts, access: ReviewerAccess
) -> ApiResult:
    who = identify(request_context, access)
    if isinstance(who, AuthError):
        return refusal(who.status, who.reason)
    limit_text = query.get("limit", str(DEFAULT_PAGE_SIZE))
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_PAGE_SIZE:
        return refusal(400, f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}", error="INVALID_QUERY")
    try:
        records, cursor = ports.store.list_pending(limit=int(limit_text), cursor=query.get("next") or None)
    except InvalidCursorError:
        return refusal(400, "next is not a page token this API issued", error="INVALID_QUERY")
    return ApiResult(200, ReviewPage(reviews=[summary_of(r) for r in records], next=cursor))


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


# --- GET /reviews/{review_id} ------------------------------------------------------------------


def open_review(
    review_id: str,
    *,
    request_context: Mapping[str, Any] | None,
    ports: ReviewPorts,
    access: ReviewerAccess,
    now: datetime,
) -> ApiResult:
    log = get_logger()
    who = identify(request_context, access)
    if isinstance(who, AuthError):
        return refusal(who.status, who.reason)
    record = ports.store.get(review_id) if is_review_id(review_id) else None
    if record is None:
        return refusal(404, "no such review")
    bind_claim(record.claim_id)

    if record.status is ReviewStatus.PENDING and record.task_token is not None:
        # Opening a review is picking it up: the heartbeat tells the waiting task a reviewer
        # is on it (the ASL's HeartbeatSeconds). A transient failure propagates as a 503.
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
    return ApiResult(
        200,
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
        ),
    )


# --- POST /reviews/{review_id}/decision --------------------------------------------------------


@dataclass(frozen=True)
class _Body:
    text: str | None
    is_base64: bool
    content_type: str | None


@dataclass(frozen=True)
class _Outcome:
    result: ApiResult
    record: ReviewRecord | None
    decision: ReviewDecision | None = None


def submit_decision(
    review_id: str,
    *,
    request_context: Mapping[str, Any] | None,
    body: str | None,
    is_base64: bool,
    content_type: str | None,
    ports: ReviewPorts,
    access: ReviewerAccess,
    now: datetime,
) -> ApiResult:
    who = identify(request_context, access)
    record: ReviewRecord | None = None
    try:
        record = ports.store.get(review_id) if is_review_id(review_id) else None
        if record is not None:
            bind_claim(record.claim_id)
        outcome = _decide(who, review_id, record, _Body(body, is_base64, content_type), ports, now)
    except TransientDependencyError:
        outcome = _Outcome(refusal(503, "a dependency is unavailable; retry the decision"), record)
    except Exception:
        # Audited too, then left to the API handler's 500.
        _audit_attempt(ports, who, review_id, body, _Outcome(refusal(500, "internal error"), record), now)
        raise
    _audit_attempt(ports, who, review_id, body, outcome, now)
    return outcome.result


def _decide(
    who: Reviewer | AuthError,
    review_id: str,
    record: ReviewRecord | None,
    body: _Body,
    ports: ReviewPorts,
    now: datetime,
) -> _Outcome:
    log = get_logger()
    # Identity before existence: an unauthenticated caller learns nothing about review ids.
    if isinstance(who, AuthError):
        return _Outcome(refusal(who.status, who.reason), record)
    # The envelope (media type, size, depth, one JSON object) before any rule of the desk.
    data = read_json_object(body.text, is_base64=body.is_base64, content_type=body.content_type)
    if isinstance(data, BodyProblem):
        return _Outcome(refusal(data.status, data.message, error=data.error), record)
    if record is None:
        return _Outcome(refusal(404, "no such review"), None)
    parsed = parse_decision(data)
    if isinstance(parsed, ApiResult):
        return _Outcome(parsed, record)
    if record.status is not ReviewStatus.PENDING:
        return _Outcome(_refusal_for(record), record)

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
        return _Outcome(_refusal_for(latest), latest)

    try:
        if written.task_token is None:
            raise TaskTokenGoneError(f"review {review_id} has no task token")
        ports.tasks.send_success(written.task_token, decision.model_dump_json())
    except TaskTokenGoneError:
        log.warning("review.decision_too_late", review_id=review_id)
        latest = ports.store.mark_timed_out(
            review_id, now=now, from_statuses=(ReviewStatus.DECIDED,), decided_at=now
        ) or ports.store.get(review_id)
        return _Outcome(refusal(410, "the review timed out; the claim went to supervisors"), latest)
    except TransientDependencyError:
        if ports.store.revert_decision(review_id, decided_at=now, now=now):
            log.warning("review.decision_reverted", review_id=review_id)
            return _Outcome(
                refusal(503, "the workflow could not be resumed; the decision was not applied, retry"), written
            )
        latest = ports.store.get(review_id)
        return _Outcome(_refusal_for(latest), latest)
    except Exception:
        # Unknown failure: undo the write so the review stays decidable, then fail loudly.
        ports.store.revert_decision(review_id, decided_at=now, now=now)
        raise

    log.info("review.decided", review_id=review_id, decision=decision.decision.value, reviewer_id=who.reviewer_id)
    accepted = DecisionAccepted(
        review_id=decision.review_id, claim_id=decision.claim_id, status=ReviewStatus.DECIDED, decision=decision
    )
    waited = max((decision.decided_at - written.created_at).total_seconds(), 0.0)
    return _Outcome(ApiResult(200, accepted, review_wait_seconds=waited), written, decision)


def _refusal_for(record: ReviewRecord | None) -> ApiResult:
    """Why a review cannot take a decision now, from its current status."""
    if record is None:
        return refusal(404, "no such review")
    if record.status is ReviewStatus.DECIDED:
        return refusal(409, "the review has already been decided")
    if record.status is ReviewStatus.TIMED_OUT:
        return refusal(410, "the review timed out; the claim went to supervisors")
    return refusal(503, "the review changed while deciding; retry")


def parse_decision(data: dict[str, Any]) -> DecisionRequest | ApiResult:
    """422 when the JSON object is not a decision (request_body refused what is not one)."""
    if "reviewer_id" in data:
        return refusal(
            422,
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
        return refusal(422, "the decision is not valid", problems)


def _audit_attempt(
    ports: ReviewPorts,
    who: Reviewer | AuthError,
    review_id: str,
    body: str | None,
    outcome: _Outcome,
    now: datetime,
) -> None:
    """Accepted: step review_decision with reviewer and rationale. Refused: step
    review_refused with the HTTP status as a reason code. The input digest covers the path's
    review id and the raw body, so a disputed attempt can be matched to what was sent."""
    record = outcome.record
    reviewer_id = who.reviewer_id if isinstance(who, Reviewer) else who.principal
    attempt = {"review_id": review_id, "body": body or ""}
    result = outcome.result
    try:
        if outcome.decision is not None:
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
            ports.audit.record(
                claim_id=record.claim_id if record else UNMATCHED_CHAIN,
                step="review_refused",
                decision="REFUSED",
                input_value=attempt,
                output_value=result.body,
                occurred_at=now,
                reason_codes=[f"HTTP_{result.status}", _error_code(result)],
                execution_id=record.execution_id if record else None,
                reviewer_id=reviewer_id,
            )
    except Exception as exc:
        # The attempt's outcome stands (a resumed workflow cannot be un-resumed); a missing
        # audit event is an alarm, not a reason to answer differently.
        get_logger().error("review.audit_failed", review_id=review_id, status=result.status, error=type(exc).__name__)


def _error_code(result: ApiResult) -> str:
    """The refusal's own code (BODY_TOO_DEEP, not just the status's MALFORMED_BODY)."""
    if isinstance(result.body, ApiError):
        return result.body.error
    return ERROR_CODES.get(result.status, "REFUSED")
