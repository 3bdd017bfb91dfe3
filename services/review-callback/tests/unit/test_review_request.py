"""AwaitHumanReview: one review per execution, the token swapped on retries, a decided review
resumes the new wait, reviewers get a PHI-free notice."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from pydantic import SecretStr
from review_callback_builders import (
    EXECUTION_ID,
    OTHER_TOKEN,
    REVIEW_TIMEOUT,
    REVIEWER_SUB,
    TASK_TOKEN,
    a_human_review_routing,
    a_review_state,
    a_review_step,
)
from review_callback_fakes import Desk, InMemoryReviewStore

from icpa_review_callback.domain.ids import review_id_for
from icpa_review_callback.domain.models import ReviewRecord
from icpa_review_callback.handlers import request as request_handler
from icpa_shared.contracts import ReviewDecision, ReviewNotice, ReviewStatus
from icpa_shared.errors import ContractViolationError, TransientDependencyError
from icpa_shared.testing.builders import FIXED_NOW

REVIEW_ID = review_id_for(EXECUTION_ID)


def test_a_first_request_stores_a_pending_review_with_the_token_and_a_due_date() -> None:
    desk = Desk()

    result = request_handler.handle(a_review_step(), desk.deps)

    assert result.review_id == REVIEW_ID
    assert result.status is ReviewStatus.PENDING
    record = desk.store.records[REVIEW_ID]
    assert record.status is ReviewStatus.PENDING
    assert record.claim_id == "CLM-0001"
    assert record.execution_id == EXECUTION_ID
    assert record.task_token is not None and record.task_token.get_secret_value() == TASK_TOKEN
    assert record.created_at == FIXED_NOW
    assert record.due_by == FIXED_NOW + REVIEW_TIMEOUT == result.due_by


def test_the_snapshot_keeps_what_reviewers_need_from_the_state() -> None:
    desk = Desk()

    request_handler.handle(a_review_step(), desk.deps)

    snapshot = desk.store.records[REVIEW_ID].snapshot
    assert snapshot.claim_uri == "s3://icpa-documents/claims/CLM-0001.json"
    assert snapshot.fraud.score == 0.72
    assert [s.code for s in snapshot.fraud.signals] == ["NEAR_DUPLICATE", "CHARGE_OUTLIER"]
    assert snapshot.fraud.signals[0].evidence == {"matched_claim_id": "CLM-0000", "days_apart": "2"}
    assert snapshot.adjudication.lines[0].payable.amount == snapshot.payable.amount
    assert str(snapshot.payable) == "80.00 USD"
    assert snapshot.routing.reasons == ["FRAUD_SCORE_HIGH", "NEAR_DUPLICATE"]
    assert "POL-GOLD001" not in snapshot.model_dump_json()  # the policy id stays out


def test_reviewers_are_notified_with_a_review_notice_without_token_or_phi() -> None:
    desk = Desk()

    request_handler.handle(a_review_step(), desk.deps)

    [(event_type, message)] = desk.reviewer_topic.messages
    assert event_type == "review.requested"
    notice = ReviewNotice.model_validate_json(message)
    assert notice.review_id == REVIEW_ID
    assert notice.claim_id == "CLM-0001"
    assert notice.reasons == ["FRAUD_SCORE_HIGH", "NEAR_DUPLICATE"]
    assert notice.fraud_score == 0.72
    assert str(notice.payable) == "80.00 USD"
    assert notice.due_by == FIXED_NOW + REVIEW_TIMEOUT
    for secret in (TASK_TOKEN, "Jane", "1961-07-04", "MBR000001", "SUB000001"):
        assert secret not in message
    assert desk.supervisor_topic.messages == []


def test_the_request_is_audited_on_the_claims_chain() -> None:
    desk = Desk()

    request_handler.handle(a_review_step(), desk.deps)

    [event] = desk.audit("CLM-0001")
    assert event.step == "review_requested"
    assert event.decision == "PENDING_REVIEW"
    assert event.reason_codes == ["FRAUD_SCORE_HIGH", "NEAR_DUPLICATE"]
    assert event.execution_id == EXECUTION_ID
    assert event.service == "review-callback"


def test_a_retried_invoke_keeps_one_review_and_takes_the_new_token() -> None:
    desk = Desk()
    request_handler.handle(a_review_step(), desk.deps)
    desk.clock.advance(timedelta(minutes=5))

    again = request_handler.handle(a_review_step(task_token=OTHER_TOKEN), desk.deps)

    assert list(desk.store.records) == [REVIEW_ID]
    record = desk.store.records[REVIEW_ID]
    assert record.task_token is not None and record.task_token.get_secret_value() == OTHER_TOKEN
    assert record.created_at == FIXED_NOW  # still the original request's place in the queue
    assert record.due_by == FIXED_NOW + timedelta(minutes=5) + REVIEW_TIMEOUT == again.due_by
    assert again.review_id == REVIEW_ID
    assert len(desk.reviewer_topic.messages) == 2  # at least once; both carry the same review id
    assert [e.step for e in desk.audit("CLM-0001")] == ["review_requested"]  # one request, re-armed


def requested_then_decided(desk: Desk, decision: str, rationale: str) -> ReviewDecision:
    """The review is requested, then a reviewer decides it an hour later (stored, as the API does)."""
    request_handler.handle(a_review_step(), desk.deps)
    decided = ReviewDecision(
        review_id=REVIEW_ID,
        claim_id="CLM-0001",
        reviewer_id=REVIEWER_SUB,
        decision=decision,
        rationale=rationale,
        decided_at=FIXED_NOW + timedelta(hours=1),
    )
    desk.store.mark_decided(decided, FIXED_NOW + timedelta(hours=1))
    return decided


def test_a_review_already_decided_resumes_the_new_wait_with_the_stored_decision() -> None:
    desk = Desk()
    decision = requested_then_decided(desk, "DENY", "Duplicate of CLM-0000, same service and day.")
    desk.tasks.waiting.add(OTHER_TOKEN)  # the redriven execution's wait

    result = request_handler.handle(a_review_step(task_token=OTHER_TOKEN), desk.deps)

    assert result.status is ReviewStatus.DECIDED
    [(token, output)] = desk.tasks.successes
    assert token == OTHER_TOKEN
    assert ReviewDecision.model_validate_json(output) == decision
    assert len(desk.reviewer_topic.messages) == 1  # only the first request notified
    assert [e.step for e in desk.audit("CLM-0001")] == ["review_requested", "review_resumed"]
    assert desk.audit("CLM-0001")[-1].reviewer_id == REVIEWER_SUB


def test_a_retried_request_after_the_decision_closed_its_wait_ends_quietly() -> None:
    # The reviewer's callback answered this very wait; the invoke is then retried with its token.
    desk = Desk()
    requested_then_decided(desk, "APPROVE", "Documentation supports the service.")
    desk.tasks.waiting.clear()  # Step Functions: the task is closed (TaskTimedOut to a callback)

    result = request_handler.handle(a_review_step(), desk.deps)

    assert result.status is ReviewStatus.DECIDED
    assert desk.tasks.successes == []
    assert [e.step for e in desk.audit("CLM-0001")] == ["review_requested"]  # nothing was resumed


def test_a_timed_out_review_reopens_when_the_execution_waits_again() -> None:
    desk = Desk()
    request_handler.handle(a_review_step(), desk.deps)
    desk.store.mark_timed_out(REVIEW_ID, now=FIXED_NOW, from_statuses=(ReviewStatus.PENDING,))
    desk.store.mark_escalation_notified(REVIEW_ID, FIXED_NOW)

    result = request_handler.handle(a_review_step(task_token=OTHER_TOKEN), desk.deps)

    record = desk.store.records[REVIEW_ID]
    assert result.status is ReviewStatus.PENDING
    assert record.status is ReviewStatus.PENDING
    assert record.task_token is not None and record.task_token.get_secret_value() == OTHER_TOKEN
    assert record.timed_out_at is None and record.escalation_notified_at is None
    assert [e.step for e in desk.audit("CLM-0001")] == ["review_requested", "review_requested"]  # asked again


def test_a_review_created_concurrently_is_rearmed_instead_of_duplicated() -> None:
    class RacingStore(InMemoryReviewStore):
        """The first create loses to another attempt that stored the review a moment earlier."""

        def create(self, record: ReviewRecord) -> bool:
            if not self.records:
                super().create(record.model_copy(update={"task_token": SecretStr("older-token")}))
            return super().create(record)

    desk = Desk(store=RacingStore())

    request_handler.handle(a_review_step(), desk.deps)

    [record] = desk.store.records.values()
    assert record.task_token is not None and record.task_token.get_secret_value() == TASK_TOKEN
    assert desk.store.calls.count("reopen") == 1


def test_a_failed_notice_is_retryable_and_the_retry_notifies() -> None:
    desk = Desk()
    desk.reviewer_topic.fail_next = TransientDependencyError("sns.publish: Throttling")

    with pytest.raises(TransientDependencyError):
        request_handler.handle(a_review_step(), desk.deps)
    request_handler.handle(a_review_step(), desk.deps)

    assert len(desk.store.records) == 1
    assert len(desk.reviewer_topic.messages) == 1


@pytest.mark.parametrize("missing", ["intake", "fraud", "adjudication", "routing"])
def test_a_state_that_has_not_reached_routing_is_a_contract_violation(missing: str) -> None:
    desk = Desk()
    step = a_review_step(a_review_state(**{missing: None}))

    with pytest.raises(ContractViolationError, match=missing):
        request_handler.handle(step, desk.deps)
    assert desk.store.records == {}


def test_a_claim_not_routed_to_review_is_a_contract_violation() -> None:
    step = a_review_step(a_review_state(routing=a_human_review_routing(route="AUTO_APPROVE")))
    with pytest.raises(ContractViolationError, match="AUTO_APPROVE"):
        request_handler.handle(step, Desk().deps)


def test_a_request_without_a_task_token_is_a_contract_violation() -> None:
    with pytest.raises(ContractViolationError, match="task token"):
        request_handler.handle(a_review_step(task_token=None), Desk().deps)


def test_the_lambda_entry_rejects_an_event_that_is_not_a_step_input() -> None:
    with pytest.raises(ContractViolationError):
        request_handler.handler({"state": {}, "execution_id": EXECUTION_ID}, None)


def test_the_result_is_json_ready_for_the_step_functions_result() -> None:
    result = request_handler.handle(a_review_step(), Desk().deps)
    assert json.loads(result.model_dump_json()) == {
        "schema_version": "1.0",
        "review_id": REVIEW_ID,
        "claim_id": "CLM-0001",
        "status": "PENDING",
        "due_by": "2026-03-13T12:00:00Z",
    }


def test_a_review_that_timed_out_with_an_undelivered_decision_reopens_without_it() -> None:
    desk = Desk()
    request_handler.handle(a_review_step(), desk.deps)
    undelivered = ReviewDecision(
        review_id=REVIEW_ID,
        claim_id="CLM-0001",
        reviewer_id=REVIEWER_SUB,
        decision="APPROVE",
        rationale="Decided, but the callback never arrived.",
        decided_at=FIXED_NOW,
    )
    desk.store.mark_decided(undelivered, FIXED_NOW)
    desk.store.mark_timed_out(REVIEW_ID, now=FIXED_NOW, from_statuses=(ReviewStatus.DECIDED,))

    result = request_handler.handle(a_review_step(task_token=OTHER_TOKEN), desk.deps)

    assert result.status is ReviewStatus.PENDING
    assert desk.store.records[REVIEW_ID].decision is None
    assert desk.tasks.successes == []  # the supervisors had the claim meanwhile: ask again
