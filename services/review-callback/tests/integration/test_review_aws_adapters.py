"""The SNS and Step Functions adapters: what they send, and how AWS errors become typed ones
(a gone token, a transient failure, a refusal) without quoting the token."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.stub import Stubber
from moto import mock_aws
from pydantic import SecretStr
from review_callback_builders import TASK_TOKEN
from review_callback_cloud import Cloud

from icpa_review_callback.adapters.notifier import SnsTopic
from icpa_review_callback.adapters.task_api import StepFunctionsTaskApi
from icpa_review_callback.domain.errors import TaskApiError, TaskTokenGoneError
from icpa_review_callback.domain.ids import review_id_for
from icpa_shared.contracts import ReviewNotice
from icpa_shared.errors import TransientDependencyError
from icpa_shared.testing.builders import FIXED_NOW, usd

SECRET = SecretStr(TASK_TOKEN)


def a_notice() -> ReviewNotice:
    return ReviewNotice(
        review_id=review_id_for("e"),
        claim_id="CLM-0001",
        reasons=["FRAUD_SCORE_HIGH"],
        fraud_score=0.7,
        payable=usd("80.00"),
        due_by=FIXED_NOW,
    )


def test_a_notice_is_published_as_its_json_with_event_type_and_version(cloud: Cloud) -> None:
    SnsTopic(cloud.review_topic_arn, cloud.sns).publish(a_notice(), event_type="review.requested")

    [message] = cloud.drain(cloud.reviewer_queue_url)
    assert ReviewNotice.model_validate_json(message["body"]) == a_notice()
    assert message["attributes"]["event_type"]["StringValue"] == "review.requested"
    assert message["attributes"]["schema_version"]["StringValue"] == "1.0"


def test_a_throttled_publish_is_transient() -> None:
    sns = boto3.client("sns", region_name="us-east-1")
    with Stubber(sns) as stub:
        stub.add_client_error("publish", service_error_code="Throttling", http_status_code=400)
        with pytest.raises(TransientDependencyError):
            SnsTopic("arn:aws:sns:us-east-1:123456789012:icpa-reviewers", sns).publish(a_notice(), event_type="x")


def test_a_token_step_functions_does_not_know_is_gone() -> None:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):  # type: ignore[arg-type]
        api = StepFunctionsTaskApi(boto3.client("stepfunctions", region_name="us-east-1"))
        with pytest.raises(TaskTokenGoneError) as raised:
            api.send_success(SECRET, "{}")
    assert TASK_TOKEN not in str(raised.value)
    assert raised.value.__cause__ is None


@pytest.mark.parametrize("code", ["TaskTimedOut", "InvalidToken", "TaskDoesNotExist"])
def test_every_gone_answer_is_a_gone_token(code: str) -> None:
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    with Stubber(sfn) as stub:
        stub.add_client_error("send_task_heartbeat", service_error_code=code, service_message=f"bad {TASK_TOKEN}")
        with pytest.raises(TaskTokenGoneError) as raised:
            StepFunctionsTaskApi(sfn).send_heartbeat(SECRET)
    assert TASK_TOKEN not in str(raised.value)


def test_throttling_is_transient() -> None:
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    with Stubber(sfn) as stub:
        stub.add_client_error("send_task_success", service_error_code="ThrottlingException", http_status_code=400)
        with pytest.raises(TransientDependencyError):
            StepFunctionsTaskApi(sfn).send_success(SECRET, "{}")


def test_a_timeout_on_the_wire_is_transient() -> None:
    class SlowStepFunctions:
        def send_task_success(self, **_: Any) -> Any:
            raise ReadTimeoutError(endpoint_url="https://states.us-east-1.amazonaws.com")

    with pytest.raises(TransientDependencyError):
        slow: Any = SlowStepFunctions()  # a stand-in client: only send_task_success, and it times out
        StepFunctionsTaskApi(slow).send_success(SECRET, "{}")


def test_a_refusal_is_a_task_api_error_that_does_not_quote_the_request() -> None:
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    with Stubber(sfn) as stub:
        stub.add_client_error(
            "send_task_success",
            service_error_code="AccessDeniedException",
            service_message=f"not allowed for {TASK_TOKEN}",
            http_status_code=400,
        )
        with pytest.raises(TaskApiError) as raised:
            StepFunctionsTaskApi(sfn).send_success(SECRET, json.dumps({"ok": True}))
    assert str(raised.value) == "stepfunctions.send_task_success: AccessDeniedException [TASK_API_ERROR]"
