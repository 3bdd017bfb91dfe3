"""EscalateReview: the review becomes TIMED_OUT, supervisors hear about it exactly once
(at least once under failures), and the escalation is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from review_callback_builders import (
    EXECUTION_ID,
    REVIEW_TIMEOUT,
    REVIEWER_SUB,
    TASK_TOKEN,
    a_review_state,
    a_review_step,
    an_escalation_step,
)
from review_callback_fakes import Desk

from icpa_review_callback.domain.ids import review_id_for
from icpa_review_callback.domain.models import EscalationNotice
from icpa_review_callback.handlers import escalation as escalation_handler
from icpa_review_callback.handlers import request as request_handler
from icpa_shared.contracts import EscalationResult, ReviewDecision, ReviewStatus
from icpa_shared.contracts.reasons import REVIEW_TIMED_OUT
from icpa_shared.errors import ContractViolationError, TransientDependencyError
from icpa_shared.testing.builders import FIXED_NOW

REVIEW_ID = review_id_for(EXECUTION_ID)
LATER = REVIEW_TIMEOUT + timedelta(seconds=1)


def requested_desk() -> Desk:
    desk = Desk()
    request_handler.handle(a_review_step(), desk.deps)
    desk.clock.advance(LATER)
    return desk


def notices(desk: Desk) -> list[EscalationNotice]:
    return [EscalationNotice.model_validate_json(m) for _, m in desk.supervisor_topic.messages]


def test_a_pending_review_times_out_and_supervisors_are_notified() -> None:
    desk = requested_desk()

    result = escalation_handler.handle(an_escalation_step(), desk.deps)

    assert result == EscalationResult(review_id=REVIEW_ID, notified=True, reason_codes=[REVIEW_TIMED_OUT])
    record = desk.store.records[REVIEW_ID]
    assert record.status is ReviewStatus.TIMED_OUT
    assert record.task_token is None  # a dead token is not kept
    assert record.timed_out_at == FIXED_NOW + LATER
    assert record.escalation_notified_at == FIXED_NOW + LATER
    [(event_type, message)] = desk.supervisor_topic.messages
    assert event_type == "review.escalated"
    [notice] = notices(desk)
    assert notice.review_id == REVIEW_ID
    assert notice.claim_id == "CLM-0001"
    assert notice.reason_codes == [REVIEW_TIMED_OUT]
    assert notice.timeout == "States.Timeout"
    assert notice.previous_status is ReviewStatus.PENDING
    assert notice.routing_reasons == ["FRAUD_SCORE_HIGH", "NEAR_DUPLICATE"]
    assert notice.fraud_score == 0.72
    assert notice.due_by == FIXED_NOW + REVIEW_TIMEOUT
    for secret in (TASK_TOKEN, "Jane", "1961-07-04", "MBR000001"):
        assert secret not in message


def test_the_escalation_is_audited_as_pended() -> None:
    desk = requested_desk()

    escalation_handler.handle(an_escalation_step(), desk.deps)

    event = desk.audit("CLM-0001")[-1]
    assert event.step == "review_escalated"
    assert event.decision == "PENDED"
    assert event.reason_codes == [REVIEW_TIMED_OUT]
    assert event.execution_id == EXECUTION_ID


def test_a_retry_after_success_does_not_notify_twice() -> None:
    desk = requested_desk()
    escalation_handler.handle(an_escalation_step(), desk.deps)

    again = escalation_handler.handle(an_escalation_step(), desk.deps)

    assert again.notified is True
    assert len(desk.supervisor_topic.messages) == 1


def test_a_retry_after_a_failed_publish_does_notify() -> None:
    desk = requested_desk()
    desk.supervisor_topic.fail_next = TransientDependencyError("sns.publish: Throttling")

    with pytest.raises(TransientDependencyError):
        escalation_handler.handle(an_escalation_step(), desk.deps)
    assert desk.store.records[REVIEW_ID].status is ReviewStatus.TIMED_OUT
    escalation_handler.handle(an_escalation_step(), desk.deps)

    assert len(desk.supervisor_topic.messages) == 1
    assert desk.store.records[REVIEW_ID].escalation_notified_at is not None


def test_a_review_the_api_already_found_timed_out_is_still_escalated() -> None:
    desk = requested_desk()
    desk.store.mark_timed_out(REVIEW_ID, now=FIXED_NOW + LATER, from_statuses=(ReviewStatus.PENDING,))

    escalation_handler.handle(an_escalation_step(error="States.HeartbeatTimeout"), desk.deps)

    [notice] = notices(desk)
    assert notice.previous_status is ReviewStatus.TIMED_OUT
    assert notice.timeout == "States.HeartbeatTimeout"


def test_a_decision_that_never_reached_the_workflow_is_escalated_too() -> None:
    desk = requested_desk()
    decision = ReviewDecision(
        review_id=REVIEW_ID,
        claim_id="CLM-0001",
        reviewer_id=REVIEWER_SUB,
        decision="APPROVE",
        rationale="Follow-up visit, documented.",
        decided_at=FIXED_NOW,
    )
    desk.store.mark_decided(decision, FIXED_NOW)

    escalation_handler.handle(an_escalation_step(), desk.deps)

    assert desk.store.records[REVIEW_ID].status is ReviewStatus.TIMED_OUT
    [notice] = notices(desk)
    assert notice.previous_status is ReviewStatus.DECIDED


def test_without_a_stored_review_the_notice_comes_from_the_state() -> None:
    desk = Desk()

    result = escalation_handler.handle(an_escalation_step(), desk.deps)

    assert result.notified is True
    [notice] = notices(desk)
    assert notice.previous_status is None
    assert notice.fraud_score == 0.72
    assert notice.routing_reasons == ["FRAUD_SCORE_HIGH", "NEAR_DUPLICATE"]
    assert notice.due_by is None
    assert desk.store.records == {}


def test_an_escalation_without_a_claim_id_is_a_contract_violation() -> None:
    with pytest.raises(ContractViolationError):
        escalation_handler.handle(an_escalation_step(a_review_state(intake=None)), Desk().deps)
