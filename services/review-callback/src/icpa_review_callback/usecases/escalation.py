"""Escalating a review the workflow stopped waiting for (AwaitHumanReview's timeout Catch).

Idempotency: supervisors hear about a timed-out review once. The record keeps
`escalation_notified_at`; the notice goes out only while it is unset and is set right after
the publish. So a retry after a failed publish notifies (nothing was sent), a retry after a
successful one does not, and a review the API already marked TIMED_OUT (a heartbeat or
callback answered TaskTimedOut) is still escalated, because this step is what pends the
claim. The window between publish and marker can repeat a notice: at least once, never zero.
"""

from __future__ import annotations

from datetime import datetime

from icpa_review_callback.domain.ids import review_id_for
from icpa_review_callback.domain.models import EscalationNotice, ReviewRecord, ReviewSnapshot
from icpa_review_callback.domain.ports import ReviewPorts
from icpa_review_callback.domain.snapshot import claim_id_of, snapshot_of
from icpa_shared.contracts import EscalationResult, ReviewStatus, StepInput, WorkflowState
from icpa_shared.contracts.reasons import REVIEW_TIMED_OUT
from icpa_shared.errors import ContractViolationError
from icpa_shared.observability.logging import get_logger

REVIEW_ESCALATED_EVENT = "review.escalated"


def escalate_review(step: StepInput, ports: ReviewPorts, *, now: datetime) -> EscalationResult:
    log = get_logger()
    claim_id = claim_id_of(step.state)
    review_id = review_id_for(step.execution_id)
    timeout = step.state.error.error if step.state.error else None

    previous = ports.store.get(review_id)
    # DECIDED counts too: the workflow only gets here when no callback succeeded, so a
    # DECIDED record is a decision that never reached it (its callback failed or is late
    # and will be answered TaskTimedOut). The record must say what the claim's outcome says.
    record = ports.store.mark_timed_out(
        review_id, now=now, from_statuses=(ReviewStatus.PENDING, ReviewStatus.DECIDED)
    ) or ports.store.get(review_id)

    already_notified = record is not None and record.escalation_notified_at is not None
    if already_notified:
        log.info("review.escalation_already_notified", review_id=review_id)
    else:
        notice = _notice(step.state, review_id, claim_id, record, previous, timeout=timeout, now=now)
        ports.supervisor_topic.publish(notice, event_type=REVIEW_ESCALATED_EVENT)
        if record is not None:
            ports.store.mark_escalation_notified(review_id, now)
        log.warning(
            "review.escalated",
            review_id=review_id,
            timeout=timeout,
            previous_status=previous.status.value if previous else None,
            record_found=record is not None,
        )

    # `notified` says supervisors have the notice, whether this attempt or an earlier one sent it.
    result = EscalationResult(review_id=review_id, notified=True, reason_codes=[REVIEW_TIMED_OUT])
    ports.audit.record(
        claim_id=claim_id,
        step="review_escalated",
        decision="PENDED",
        input_value=step.state,
        output_value=result,
        occurred_at=now,
        reason_codes=[REVIEW_TIMED_OUT],
        execution_id=step.execution_id,
    )
    return result


def _snapshot_or_none(state: WorkflowState) -> ReviewSnapshot | None:
    try:
        return snapshot_of(state)
    except ContractViolationError:
        return None


def _notice(
    state: WorkflowState,
    review_id: str,
    claim_id: str,
    record: ReviewRecord | None,
    previous: ReviewRecord | None,
    *,
    timeout: str | None,
    now: datetime,
) -> EscalationNotice:
    # No record means the request step never stored one; the notice still goes out (the
    # claim is pended either way) with what the workflow state knows.
    snapshot = record.snapshot if record else _snapshot_or_none(state)
    return EscalationNotice(
        review_id=review_id,
        claim_id=claim_id,
        reason_codes=[REVIEW_TIMED_OUT],
        timeout=timeout,
        previous_status=previous.status if previous else None,
        routing_reasons=list(snapshot.routing.reasons) if snapshot else [],
        fraud_score=snapshot.fraud.score if snapshot else None,
        payable=snapshot.payable if snapshot else None,
        due_by=record.due_by if record else None,
        timed_out_at=(record.timed_out_at if record and record.timed_out_at else now),
    )
