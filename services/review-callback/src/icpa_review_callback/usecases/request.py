"""Opening a review when the workflow waits for a human (AwaitHumanReview).

One review per execution: the id is derived from the execution id, so a retried invoke or a
redriven execution finds the review it already has and only swaps the task token. A review
already decided resumes the new wait with the stored decision, so a decision is never asked
for twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import SecretStr

from icpa_review_callback.domain.errors import TaskClosedError
from icpa_review_callback.domain.ids import review_id_for
from icpa_review_callback.domain.models import ReviewRecord, ReviewRequested, ReviewSnapshot
from icpa_review_callback.domain.ports import ReviewPorts
from icpa_review_callback.domain.snapshot import claim_id_of, snapshot_of
from icpa_shared.contracts import ReviewNotice, ReviewStatus, StepInput
from icpa_shared.errors import ContractViolationError, TransientDependencyError
from icpa_shared.observability.logging import get_logger

REVIEW_REQUESTED_EVENT = "review.requested"
# Between a read and a conditional write, another attempt may change the record; a few
# rounds settle it, more means something is wrong and the ASL's retry is the better judge.
_ROUNDS = 3


def request_review(step: StepInput, ports: ReviewPorts, *, now: datetime, timeout: timedelta) -> ReviewRequested:
    log = get_logger()
    if step.task_token is None:
        raise ContractViolationError("AwaitHumanReview must pass the task token")
    snapshot = snapshot_of(step.state)
    claim_id = claim_id_of(step.state)
    review_id = review_id_for(step.execution_id)
    token = SecretStr(step.task_token)
    due_by = now + timeout

    record, rearmed = _open(
        ports, review_id=review_id, step=step, claim_id=claim_id, snapshot=snapshot, token=token, now=now, due_by=due_by
    )
    if record.status is ReviewStatus.DECIDED:
        return _resume_decided(step, ports, record, token, now)

    notice = ReviewNotice(
        review_id=review_id,
        claim_id=claim_id,
        reasons=list(snapshot.routing.reasons),
        fraud_score=snapshot.fraud.score,
        payable=snapshot.payable,
        due_by=record.due_by,
    )
    # At least once: a retry after a failed publish must publish, so every attempt that
    # leaves the review PENDING publishes; reviewers' tools dedupe on review_id.
    ports.reviewer_topic.publish(notice, event_type=REVIEW_REQUESTED_EVENT)
    result = ReviewRequested(review_id=review_id, claim_id=claim_id, status=ReviewStatus.PENDING, due_by=record.due_by)
    ports.audit.record(
        claim_id=claim_id,
        step="review_requested",
        decision="PENDING_REVIEW",
        input_value=step.state,
        output_value=result,
        occurred_at=now,
        reason_codes=snapshot.routing.reasons,
        execution_id=step.execution_id,
        # A wait re-armed while its review was PENDING (a retried invoke, a resumed execution)
        # is the same request with a new token: the chain keeps the first event.
        once_per_execution=rearmed,
    )
    log.info("review.requested", review_id=review_id, due_by=record.due_by.isoformat())
    return result


def _open(
    ports: ReviewPorts,
    *,
    review_id: str,
    step: StepInput,
    claim_id: str,
    snapshot: ReviewSnapshot,
    token: SecretStr,
    now: datetime,
    due_by: datetime,
) -> tuple[ReviewRecord, bool]:
    """Create the review, or re-arm the one this execution already has; returns it as stored,
    and whether it was re-armed while PENDING."""
    log = get_logger()
    for _ in range(_ROUNDS):
        existing = ports.store.get(review_id)
        if existing is None:
            fresh = ReviewRecord(
                review_id=review_id,
                claim_id=claim_id,
                execution_id=step.execution_id,
                status=ReviewStatus.PENDING,
                created_at=now,
                updated_at=now,
                due_by=due_by,
                task_token=token,
                snapshot=snapshot,
            )
            if ports.store.create(fresh):
                log.info("review.created", review_id=review_id)
                return fresh, False
            continue  # another attempt created it meanwhile: take the existing path
        if existing.status is ReviewStatus.DECIDED:
            return existing, False
        # PENDING: a retried invoke or a redriven execution brings a new token; the old one
        # is dead. TIMED_OUT: the execution waits again (redrive), so the review reopens.
        reopened = ports.store.reopen(review_id, task_token=token, snapshot=snapshot, due_by=due_by, now=now)
        if reopened is not None:
            log.info("review.rearmed", review_id=review_id, previous_status=existing.status.value)
            return reopened, existing.status is ReviewStatus.PENDING
    raise TransientDependencyError(f"review {review_id} kept changing while it was being opened")


def _resume_decided(
    step: StepInput, ports: ReviewPorts, record: ReviewRecord, token: SecretStr, now: datetime
) -> ReviewRequested:
    """The reviewer already decided (e.g. before the execution was redriven): hand the stored
    decision to the new wait instead of asking again."""
    decision = record.decision
    if decision is None:
        raise ContractViolationError(f"review {record.review_id} is DECIDED without a decision")
    result = ReviewRequested(
        review_id=record.review_id, claim_id=record.claim_id, status=ReviewStatus.DECIDED, due_by=record.due_by
    )
    try:
        ports.tasks.send_success(token, decision.model_dump_json())
    except TaskClosedError:
        # This wait is closed already: the reviewer's own callback answered it (a retried
        # invoke after the decision), or the execution stopped. Nothing is left to resume, and
        # failing the invoke would only fail a task that is over (AWS answers TaskTimedOut).
        get_logger().info("review.resume_not_needed", review_id=record.review_id)
        return result
    ports.audit.record(
        claim_id=record.claim_id,
        step="review_resumed",
        decision=decision.decision.value,
        input_value=step.state,
        output_value=decision,
        occurred_at=now,
        execution_id=step.execution_id,
        reviewer_id=decision.reviewer_id,
    )
    get_logger().info("review.resumed_with_decision", review_id=record.review_id, decision=decision.decision.value)
    return result
