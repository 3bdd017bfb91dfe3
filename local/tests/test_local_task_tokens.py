"""Task tokens of waitForTaskToken tasks: Step Functions takes a callback only while the task
waits. Once the execution is stopped, timed out or ended, or the task was already answered,
SendTaskSuccess/Failure/Heartbeat fail with TaskTimedOut ("the task token has either expired or
the task associated with the token has already been closed"); a token Step Functions never
issued is InvalidToken. moto 5.2.5 answered 200 for a stopped execution's token."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import pytest
from botocore.exceptions import ClientError
from local_fakes import fraud_only

from icpa_local import moto_patches
from icpa_local.cloud import LocalCloud
from icpa_local.functions import load_handler
from icpa_shared.contracts import ReviewDecision, ReviewVerdict

REVIEW_SAMPLE = "review-high-amount-surgery.json"


class TokenSpy:
    """The real ReviewRequestFunction, remembering each execution's task token."""

    def __init__(self) -> None:
        self._handler = load_handler("ReviewRequestFunction")
        self._tokens: dict[str, str] = {}
        self._seen = threading.Condition()

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        answer = self._handler(event, context)
        with self._seen:
            self._tokens[event["execution_id"]] = event["task_token"]
            self._seen.notify_all()
        return answer

    def token_for(self, arn: str, timeout: float = 30.0) -> str:
        with self._seen:
            assert self._seen.wait_for(lambda: arn in self._tokens, timeout), f"{arn} never asked for a review"
            return self._tokens[arn]


@pytest.fixture(scope="module")
def spy() -> TokenSpy:
    return TokenSpy()


@pytest.fixture(scope="module")
def cloud(spy: TokenSpy) -> Iterator[LocalCloud]:
    handlers = {**fraud_only(), "ReviewRequestFunction": spy}
    with LocalCloud(handler_overrides=handlers, time_scale=0.001) as c:
        yield c


def parked(cloud: LocalCloud, claim_id: str) -> str:
    """An execution of its own claim waiting on AwaitHumanReview, its review pending."""
    claim = json.loads(resources.files("icpa_local").joinpath(f"samples/{REVIEW_SAMPLE}").read_text())
    arn = cloud.upload(json.dumps({**claim, "claim_id": claim_id}).encode(), f"{claim_id}.json")
    assert cloud.wait(arn) == "WAITING_FOR_REVIEW"
    return arn


def error_code(call: Callable[[], object]) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    return str(raised.value.response["Error"]["Code"])


def callbacks(sfn: Any, token: str) -> dict[str, Callable[[], object]]:
    return {
        "success": lambda: sfn.send_task_success(taskToken=token, output=json.dumps({"decision": "APPROVE"})),
        "failure": lambda: sfn.send_task_failure(taskToken=token, error="Refused", cause="late"),
        "heartbeat": lambda: sfn.send_task_heartbeat(taskToken=token),
    }


def test_a_stopped_executions_token_is_timed_out(cloud: LocalCloud, spy: TokenSpy) -> None:
    # Given an execution waiting on a reviewer -- When it is stopped
    arn = parked(cloud, "CLM-TOKEN-STOPPED")
    token = spy.token_for(arn)
    sfn = cloud.client("stepfunctions")
    sfn.stop_execution(executionArn=arn, error="Operator", cause="withdrawn")
    # Then no callback reaches it: the task is closed
    codes = {name: error_code(call) for name, call in callbacks(sfn, token).items()}
    assert codes == {"success": "TaskTimedOut", "failure": "TaskTimedOut", "heartbeat": "TaskTimedOut"}


def test_a_token_step_functions_never_issued_is_invalid(cloud: LocalCloud) -> None:
    sfn = cloud.client("stepfunctions")
    codes = {name: error_code(call) for name, call in callbacks(sfn, "not-a-task-token").items()}
    assert codes == {"success": "InvalidToken", "failure": "InvalidToken", "heartbeat": "InvalidToken"}


def test_a_waiting_tasks_token_works_once(cloud: LocalCloud, spy: TokenSpy) -> None:
    # Given an execution waiting on a reviewer -- When the task is answered
    claim_id = "CLM-TOKEN-ANSWERED"
    arn = parked(cloud, claim_id)
    token = spy.token_for(arn)
    review_id = cloud.pending_review_for(arn)
    assert review_id is not None
    sfn = cloud.client("stepfunctions")
    calls = callbacks(sfn, token)
    calls["heartbeat"]()
    answer = ReviewDecision(
        review_id=review_id,
        claim_id=claim_id,
        reviewer_id="alice",
        decision=ReviewVerdict.APPROVE,
        rationale="Operative report supports it.",
        decided_at=datetime.now(UTC),
    )
    sfn.send_task_success(taskToken=token, output=answer.model_dump_json())
    # Then the execution goes on; the token is spent, before and after the execution ends
    assert {name: error_code(call) for name, call in calls.items()} == {
        "success": "TaskTimedOut",
        "failure": "TaskTimedOut",
        "heartbeat": "TaskTimedOut",
    }
    assert cloud.wait(arn, stop_at_review=False) == "SUCCEEDED"
    assert error_code(calls["failure"]) == "TaskTimedOut"


def test_deciding_the_review_of_a_stopped_execution_is_gone_and_not_audited(cloud: LocalCloud) -> None:
    # Given a pending review whose execution an operator stopped
    claim_id = "CLM-TOKEN-WITHDRAWN"
    arn = parked(cloud, claim_id)
    review_id = cloud.pending_review_for(arn)
    assert review_id is not None
    cloud.client("stepfunctions").stop_execution(executionArn=arn)
    # When a reviewer decides it -- Then the API says the wait is gone (410), nothing resumed
    code, _ = cloud.answer_review(review_id, "APPROVE", reviewer="alice", rationale="Looks right.")
    assert code == 410
    items = cloud.client("dynamodb").query(
        TableName=cloud.names.audit_table,
        KeyConditionExpression="claim_id = :c",
        ExpressionAttributeValues={":c": {"S": claim_id}},
    )["Items"]
    steps = [json.loads(item["event"]["S"])["step"] for item in items]
    assert "review_decision" not in steps and "review_refused" in steps


def test_a_heartbeat_timed_out_tasks_token_is_timed_out(cloud: LocalCloud, spy: TokenSpy) -> None:
    # Given a review nobody opened: HeartbeatSeconds (86400) at this scale is ~0.9 s, then the
    # execution escalates the claim and ends
    moto_patches.set_time_scale(0.00001)
    try:
        arn = parked(cloud, "CLM-TOKEN-UNOPENED")
        assert cloud.wait(arn, stop_at_review=False) == "SUCCEEDED"
    finally:
        moto_patches.set_time_scale(0.001)
    assert "TaskTimedOut" in [event["type"] for event in cloud.history(arn)]
    # When a late answer comes -- Then the task is closed
    codes = {
        name: error_code(call) for name, call in callbacks(cloud.client("stepfunctions"), spy.token_for(arn)).items()
    }
    assert codes == {"success": "TaskTimedOut", "failure": "TaskTimedOut", "heartbeat": "TaskTimedOut"}
