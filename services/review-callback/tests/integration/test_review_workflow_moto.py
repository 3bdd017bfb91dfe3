"""The three Lambda entry points with their real adapters, against moto, around a Step
Functions execution that really waits on a task token (moto runs the state machine).

Paths through the wait: a reviewer approves (HappyPath), the wait times out and is escalated
(TimeoutPath), a decision arrives after the timeout (LatePath), nobody picks the review up
within the heartbeat window (HeartbeatPath), and a redriven wait for a review already
decided is resumed with the stored decision (ResumePath).
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from review_callback_builders import (
    REVIEWER_SUB,
    LambdaContext,
    a_decision_body,
    a_review_state,
    api_event,
    response_json,
)
from review_callback_cloud import Cloud

from icpa_review_callback.domain.errors import TaskTokenGoneError
from icpa_review_callback.domain.ids import review_id_for
from icpa_review_callback.domain.models import EscalationNotice
from icpa_review_callback.handlers import api as api_handler
from icpa_review_callback.handlers import escalation as escalation_handler
from icpa_review_callback.handlers import request as request_handler
from icpa_review_callback.usecases.api import UNMATCHED_CHAIN
from icpa_shared.audit import verify_chain
from icpa_shared.contracts import (
    EscalationResult,
    ReviewDecision,
    ReviewNotice,
    ReviewStatus,
    WorkflowState,
)
from icpa_shared.contracts.reasons import REVIEW_TIMED_OUT

PHI = ("Jane Q Patient", "1961-07-04", "MBR000001", "SUB000001")


def api(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    return api_handler.handler(api_event(method, path, **kwargs), LambdaContext())


def start_waiting(cloud: Cloud, name: str, **machine: Any) -> tuple[str, dict[str, Any]]:
    """Start an execution and return its ARN and what AwaitHumanReview hands the request Lambda."""
    machine_arn = cloud.state_machine(f"icpa-claims-{name}", **machine)
    execution_arn = cloud.start(machine_arn, name, a_review_state().model_dump_json())
    payload = cloud.next_wait()
    assert payload["execution_id"] == execution_arn
    return execution_arn, payload


def assert_no_secret_anywhere(cloud: Cloud, token: str, logs: io.StringIO, *extra: str) -> None:
    texts = [*cloud.everything_stored_outside_the_reviews_table(), *logs.getvalue().splitlines(), *extra]
    for text in texts:
        assert token not in text
    for text in [*logs.getvalue().splitlines(), *extra]:
        for phi in PHI:
            assert phi not in text


def test_happy_path_a_reviewer_approves_and_the_execution_succeeds_with_the_decision(
    cloud: Cloud, logs: io.StringIO
) -> None:
    # Given a claim waiting for human review
    execution_arn, payload = start_waiting(cloud, "happy")
    review_id = review_id_for(execution_arn)

    # When AwaitHumanReview invokes the request Lambda
    requested = request_handler.handler(payload, LambdaContext())

    # Then the review is stored with the token and reviewers get a token-free notice
    assert requested["review_id"] == review_id
    assert requested["status"] == "PENDING"
    item = cloud.review_item(review_id)
    assert item is not None and item["task_token"]["S"] == payload["task_token"]
    [notice_message] = cloud.drain(cloud.reviewer_queue_url)
    assert notice_message["attributes"]["event_type"]["StringValue"] == "review.requested"
    notice = ReviewNotice.model_validate_json(notice_message["body"])
    assert notice.review_id == review_id
    assert str(notice.payable) == "80.00 USD"

    # When a reviewer lists, opens (heartbeat) and approves it
    listed = response_json(api("GET", "/reviews"))
    assert [r["review_id"] for r in listed["reviews"]] == [review_id]
    opened = api("GET", f"/reviews/{review_id}")
    assert opened["statusCode"] == 200
    assert response_json(opened)["status"] == "PENDING"  # the heartbeat was accepted
    assert response_json(opened)["claim"]["diagnosis_codes"] == ["J06.9", "R05.9"]
    decided = api("POST", f"/reviews/{review_id}/decision", body=a_decision_body("APPROVE"))
    assert decided["statusCode"] == 200

    # Then the execution resumes with the ReviewDecision at $.review and succeeds
    description = cloud.finished(execution_arn)
    assert description["status"] == "SUCCEEDED"
    output = WorkflowState.model_validate_json(description["output"])
    assert output.review is not None
    assert output.review.reviewer_id == REVIEWER_SUB
    assert output.review.decision == "APPROVE"
    assert output.review == ReviewDecision.model_validate(response_json(decided)["decision"])
    assert output.final is not None and output.final.outcome == "APPROVED"

    # And the review is DECIDED, single use, and the claim's audit chain tells the story
    assert api("POST", f"/reviews/{review_id}/decision", body=a_decision_body("DENY"))["statusCode"] == 409
    stored = cloud.review_item(review_id)
    assert stored is not None and stored["status"]["S"] == "DECIDED"
    events = cloud.audit_events("CLM-0001")
    assert [e.step for e in events] == ["review_requested", "review_decision", "review_refused"]
    assert events[1].reviewer_id == REVIEWER_SUB
    assert verify_chain(events).ok
    assert_no_secret_anywhere(
        cloud,
        payload["task_token"],
        logs,
        notice_message["body"],
        json.dumps(requested),
        opened["body"],
        decided["body"],
        json.dumps(listed),
    )


def test_timeout_path_the_review_is_escalated_once_and_a_late_decision_is_410(cloud: Cloud, logs: io.StringIO) -> None:
    # Given a review whose wait times out before anyone decides
    execution_arn, payload = start_waiting(cloud, "timeout", timeout_seconds=1, heartbeat_seconds=None)
    review_id = review_id_for(execution_arn)
    request_handler.handler(payload, LambdaContext())
    description = cloud.finished(execution_arn)
    assert description["status"] == "SUCCEEDED"  # caught and routed to Pended
    caught = json.loads(description["output"])
    assert caught["error"]["Error"] == "States.Timeout"

    # When the Catch runs EscalateReview with the state (error at $.error), twice (a retry)
    escalation_input = {"state": caught, "execution_id": execution_arn}
    first = escalation_handler.handler(escalation_input, LambdaContext())
    second = escalation_handler.handler(escalation_input, LambdaContext())

    # Then the review is TIMED_OUT and supervisors were told exactly once
    expected = EscalationResult(review_id=review_id, notified=True, reason_codes=[REVIEW_TIMED_OUT])
    assert first == second == expected.model_dump(mode="json")
    item = cloud.review_item(review_id)
    assert item is not None
    assert item["status"]["S"] == "TIMED_OUT"
    assert "task_token" not in item
    [escalation] = cloud.drain(cloud.supervisor_queue_url)
    assert escalation["attributes"]["event_type"]["StringValue"] == "review.escalated"
    notice = EscalationNotice.model_validate_json(escalation["body"])
    assert notice.previous_status is ReviewStatus.PENDING
    assert notice.timeout == "States.Timeout"

    # And a reviewer deciding now is told it is gone
    late = api("POST", f"/reviews/{review_id}/decision", body=a_decision_body())
    assert late["statusCode"] == 410
    steps = [e.step for e in cloud.audit_events("CLM-0001")]
    assert steps == ["review_requested", "review_escalated", "review_escalated", "review_refused"]
    assert_no_secret_anywhere(cloud, payload["task_token"], logs, escalation["body"], late["body"])


def test_late_path_a_decision_after_the_timeout_is_410_and_the_escalation_still_notifies(
    cloud: Cloud, logs: io.StringIO
) -> None:
    # Given the wait timed out but EscalateReview has not run yet
    execution_arn, payload = start_waiting(cloud, "late", timeout_seconds=1, heartbeat_seconds=None)
    review_id = review_id_for(execution_arn)
    request_handler.handler(payload, LambdaContext())
    caught = json.loads(cloud.finished(execution_arn)["output"])

    # When the reviewer decides: the record goes DECIDED, then Step Functions refuses the token
    late = api("POST", f"/reviews/{review_id}/decision", body=a_decision_body())

    # Then it is 410 and the review TIMED_OUT; the escalation that follows still notifies
    assert late["statusCode"] == 410
    item = cloud.review_item(review_id)
    assert item is not None and item["status"]["S"] == "TIMED_OUT"
    escalation_handler.handler({"state": caught, "execution_id": execution_arn}, LambdaContext())
    [escalation] = cloud.drain(cloud.supervisor_queue_url)
    assert EscalationNotice.model_validate_json(escalation["body"]).previous_status is ReviewStatus.TIMED_OUT
    assert_no_secret_anywhere(cloud, payload["task_token"], logs, late["body"])


def test_heartbeat_path_a_review_nobody_picked_up_shows_timed_out_when_opened(cloud: Cloud, logs: io.StringIO) -> None:
    # Given a wait with a 1 s heartbeat window that nobody opened
    execution_arn, payload = start_waiting(cloud, "heartbeat", timeout_seconds=60, heartbeat_seconds=1)
    review_id = review_id_for(execution_arn)
    request_handler.handler(payload, LambdaContext())
    caught = json.loads(cloud.finished(execution_arn)["output"])
    # AWS names it States.HeartbeatTimeout; moto 5.2.5 reports States.Timeout. Both are caught.
    assert caught["error"]["Error"] in ("States.HeartbeatTimeout", "States.Timeout")

    # When a reviewer opens it: the heartbeat is refused
    opened = api("GET", f"/reviews/{review_id}")

    # Then the review reads TIMED_OUT (and is stored so), and deciding is 410
    assert opened["statusCode"] == 200
    assert response_json(opened)["status"] == "TIMED_OUT"
    assert api("POST", f"/reviews/{review_id}/decision", body=a_decision_body())["statusCode"] == 410
    escalation_handler.handler({"state": caught, "execution_id": execution_arn}, LambdaContext())
    [escalation] = cloud.drain(cloud.supervisor_queue_url)
    assert EscalationNotice.model_validate_json(escalation["body"]).timeout == caught["error"]["Error"]
    assert_no_secret_anywhere(cloud, payload["task_token"], logs, opened["body"])


def test_resume_path_a_redriven_wait_on_a_decided_review_gets_the_stored_decision(
    cloud: Cloud, logs: io.StringIO
) -> None:
    # Given a review that was decided
    first_arn, first_payload = start_waiting(cloud, "resume-first")
    review_id = review_id_for(first_arn)
    request_handler.handler(first_payload, LambdaContext())
    decided = api("POST", f"/reviews/{review_id}/decision", body=a_decision_body("DENY", "Duplicate of CLM-0000."))
    assert decided["statusCode"] == 200
    assert cloud.finished(first_arn)["status"] == "SUCCEEDED"

    # When the same execution waits again with a new token (a redrive: same id, new token)
    second_arn, second_payload = start_waiting(cloud, "resume-second")
    redriven = {**second_payload, "execution_id": first_arn}
    resumed = request_handler.handler(redriven, LambdaContext())

    # Then the new wait is resumed with the stored decision, without asking reviewers again
    assert resumed["status"] == "DECIDED"
    output = WorkflowState.model_validate_json(cloud.finished(second_arn)["output"])
    assert output.review == ReviewDecision.model_validate(response_json(decided)["decision"])
    assert output.final is not None and output.final.outcome == "DENIED"
    assert len(cloud.drain(cloud.reviewer_queue_url)) == 1  # only the original request notified
    assert [e.step for e in cloud.audit_events("CLM-0001")][-1] == "review_resumed"
    assert_no_secret_anywhere(cloud, second_payload["task_token"], logs, json.dumps(resumed))


def test_attempts_on_unknown_reviews_are_audited_on_their_own_chain(cloud: Cloud) -> None:
    unknown = review_id_for("no-such-execution")

    response = api("POST", f"/reviews/{unknown}/decision", body=a_decision_body())

    assert response["statusCode"] == 404
    [event] = cloud.audit_events(UNMATCHED_CHAIN)
    assert event.reason_codes == ["HTTP_404", "REVIEW_NOT_FOUND"]
    assert event.reviewer_id == REVIEWER_SUB


# The failed invocation flushes an empty metrics set (Powertools warns about it): expected here.
@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_a_failing_step_logs_its_error_without_the_token(cloud: Cloud, logs: io.StringIO) -> None:
    # Given a decided review
    execution_arn, payload = start_waiting(cloud, "failing")
    review_id = review_id_for(execution_arn)
    request_handler.handler(payload, LambdaContext())
    assert api("POST", f"/reviews/{review_id}/decision", body=a_decision_body())["statusCode"] == 200

    # When a request arrives with a token Step Functions does not know
    dead_token = "AQCEAAAAKgAAAAMAAAAAAAAAAS3cr3t-d34d-t0k3n-0000"
    with pytest.raises(TaskTokenGoneError):
        request_handler.handler({**payload, "task_token": dead_token}, LambdaContext())

    # Then the failure is logged (class name and AWS code) and neither token is in the logs
    failures = [json.loads(line) for line in logs.getvalue().splitlines() if '"step.failed"' in line]
    assert [f["error"] for f in failures] == ["TaskTokenGoneError"]
    assert "InvalidToken" in failures[0]["detail"]
    assert dead_token not in logs.getvalue()
    assert payload["task_token"] not in logs.getvalue()
