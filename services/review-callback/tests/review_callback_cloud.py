"""The review desk's AWS resources on moto: reviews table (with status-index), audit table,
documents bucket, both SNS topics (each drained through an SQS queue), and a Step Functions
state machine that waits on a task token the way AwaitHumanReview does."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws
from review_callback_builders import a_human_review_claim

from icpa_review_callback.settings import get_settings
from icpa_review_callback.wiring import default_deps
from icpa_shared.adapters.aws import reset_clients
from icpa_shared.adapters.claims import S3ClaimDocuments
from icpa_shared.contracts import AuditEvent
from icpa_shared.testing.aws import create_audit_table

REVIEWS_TABLE = "icpa-reviews-test"
AUDIT_TABLE = "icpa-audit-test"
DOCUMENTS_BUCKET = "icpa-documents"
REVIEWER_ROLE_PREFIX = "arn:aws:sts::123456789012:assumed-role/claims-reviewer/"


@dataclass
class Cloud:
    ddb: Any
    s3: Any
    sns: Any
    sqs: Any
    sfn: Any
    review_topic_arn: str
    supervisor_topic_arn: str
    reviewer_queue_url: str
    supervisor_queue_url: str
    waiting_queue_url: str
    role_arn: str

    def drain(self, queue_url: str) -> list[dict[str, Any]]:
        """Every message now in the queue: {body, attributes}."""
        out: list[dict[str, Any]] = []
        while True:
            resp = self.sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=0
            )
            messages = resp.get("Messages", [])
            if not messages:
                return out
            for message in messages:
                out.append({"body": message["Body"], "attributes": message.get("MessageAttributes", {})})
                self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    def audit_events(self, claim_id: str) -> list[AuditEvent]:
        items = self.ddb.query(
            TableName=AUDIT_TABLE,
            KeyConditionExpression="claim_id = :c",
            ExpressionAttributeValues={":c": {"S": claim_id}},
            ConsistentRead=True,
        )["Items"]
        return [AuditEvent.model_validate_json(i["event"]["S"]) for i in items]

    def review_item(self, review_id: str) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self.ddb.get_item(
            TableName=REVIEWS_TABLE, Key={"review_id": {"S": review_id}}, ConsistentRead=True
        ).get("Item")
        return item

    def everything_stored_outside_the_reviews_table(self) -> list[str]:
        texts: list[str] = []
        for page in self.ddb.get_paginator("scan").paginate(TableName=AUDIT_TABLE):
            texts += [json.dumps(item) for item in page["Items"]]
        for obj in self.s3.list_objects_v2(Bucket=DOCUMENTS_BUCKET).get("Contents", []):
            texts.append(self.s3.get_object(Bucket=DOCUMENTS_BUCKET, Key=obj["Key"])["Body"].read().decode())
        return texts

    # --- Step Functions -------------------------------------------------------------------------

    def state_machine(self, name: str, *, timeout_seconds: int = 60, heartbeat_seconds: int | None = 30) -> str:
        """AwaitHumanReview's shape, with SQS standing in for the Lambda invoke: the queue
        receives exactly the Payload the ASL gives the request Lambda ({state, execution_id,
        task_token}), so a test reads it and invokes the real handler with it. Like the real
        ASL it has HeartbeatSeconds (moto only accepts heartbeats on tasks that declare it)."""
        wait: dict[str, Any] = {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {
                "QueueUrl": self.waiting_queue_url,
                "MessageBody": {"state.$": "$", "execution_id.$": "$$.Execution.Id", "task_token.$": "$$.Task.Token"},
            },
            "ResultPath": "$.review",
            "TimeoutSeconds": timeout_seconds,
            "Catch": [
                {
                    "ErrorEquals": ["States.Timeout", "States.HeartbeatTimeout"],
                    "ResultPath": "$.error",
                    "Next": "Pended",
                }
            ],
            "Next": "ChooseReviewDecision",
        }
        if heartbeat_seconds is not None:
            wait["HeartbeatSeconds"] = heartbeat_seconds
        definition = {
            "StartAt": "AwaitHumanReview",
            "States": {
                "AwaitHumanReview": wait,
                "ChooseReviewDecision": {
                    "Type": "Choice",
                    "Choices": [
                        {"Variable": "$.review.decision", "StringEquals": "APPROVE", "Next": "HumanApproved"},
                        {"Variable": "$.review.decision", "StringEquals": "DENY", "Next": "HumanDenied"},
                    ],
                },
                "HumanApproved": _final("APPROVED", "HUMAN"),
                "HumanDenied": _final("DENIED", "HUMAN"),
                "Pended": {"Type": "Pass", "End": True},
            },
        }
        arn: str = self.sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=self.role_arn)[
            "stateMachineArn"
        ]
        return arn

    def start(self, state_machine_arn: str, name: str, state_json: str) -> str:
        arn: str = self.sfn.start_execution(stateMachineArn=state_machine_arn, name=name, input=state_json)[
            "executionArn"
        ]
        return arn

    def next_wait(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next {state, execution_id, task_token} a waiting execution sent."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.sqs.receive_message(QueueUrl=self.waiting_queue_url, WaitTimeSeconds=0).get("Messages", [])
            if messages:
                self.sqs.delete_message(QueueUrl=self.waiting_queue_url, ReceiptHandle=messages[0]["ReceiptHandle"])
                payload: dict[str, Any] = json.loads(messages[0]["Body"])
                return payload
            time.sleep(0.05)
        raise AssertionError("no execution started waiting")

    def finished(self, execution_arn: str, timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            description: dict[str, Any] = self.sfn.describe_execution(executionArn=execution_arn)
            if description["status"] != "RUNNING":
                return description
            time.sleep(0.05)
        raise AssertionError(f"{execution_arn} still running")


def _final(outcome: str, decided_by: str) -> dict[str, Any]:
    return {
        "Type": "Pass",
        "Result": {"outcome": outcome, "decided_by": decided_by},
        "ResultPath": "$.final",
        "End": True,
    }


def create_reviews_table(ddb: Any, name: str = REVIEWS_TABLE) -> None:
    ddb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "review_id", "AttributeType": "S"},
            {"AttributeName": "status", "AttributeType": "S"},
            {"AttributeName": "created_at", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "review_id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "status-index",
                "KeySchema": [
                    {"AttributeName": "status", "KeyType": "HASH"},
                    {"AttributeName": "created_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


def _topic_with_queue(sns: Any, sqs: Any, name: str) -> tuple[str, str]:
    topic_arn: str = sns.create_topic(Name=name)["TopicArn"]
    queue_url: str = sqs.create_queue(QueueName=f"{name}-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    return topic_arn, queue_url


@contextmanager
def provisioned_cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    """All resources, the ICPA_ settings pointing at them, and fresh handler deps."""
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):  # type: ignore[arg-type]
        reset_clients()
        ddb = boto3.client("dynamodb")
        s3 = boto3.client("s3")
        sns = boto3.client("sns")
        sqs: Any = boto3.client("sqs")
        sfn = boto3.client("stepfunctions")
        iam = boto3.client("iam")
        create_reviews_table(ddb)
        create_audit_table(ddb, AUDIT_TABLE)
        s3.create_bucket(Bucket=DOCUMENTS_BUCKET)
        S3ClaimDocuments(DOCUMENTS_BUCKET, s3).put(a_human_review_claim())
        review_topic, reviewer_queue = _topic_with_queue(sns, sqs, "icpa-reviewers")
        supervisor_topic, supervisor_queue = _topic_with_queue(sns, sqs, "icpa-supervisors")
        waiting_queue = sqs.create_queue(QueueName="await-human-review")["QueueUrl"]
        role_arn = iam.create_role(RoleName="icpa-claims-workflow", AssumeRolePolicyDocument="{}")["Role"]["Arn"]

        for name, value in {
            "ICPA_REVIEWS_TABLE": REVIEWS_TABLE,
            "ICPA_AUDIT_TABLE": AUDIT_TABLE,
            "ICPA_DOCUMENTS_BUCKET": DOCUMENTS_BUCKET,
            "ICPA_REVIEW_TOPIC_ARN": review_topic,
            "ICPA_SUPERVISOR_TOPIC_ARN": supervisor_topic,
            "ICPA_REVIEW_TIMEOUT_SECONDS": "259200",
            "ICPA_REVIEWER_ROLE_ARN_PREFIX": REVIEWER_ROLE_PREFIX,
        }.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        default_deps.cache_clear()
        try:
            yield Cloud(
                ddb=ddb,
                s3=s3,
                sns=sns,
                sqs=sqs,
                sfn=sfn,
                review_topic_arn=review_topic,
                supervisor_topic_arn=supervisor_topic,
                reviewer_queue_url=reviewer_queue,
                supervisor_queue_url=supervisor_queue,
                waiting_queue_url=waiting_queue,
                role_arn=role_arn,
            )
        finally:
            get_settings.cache_clear()
            default_deps.cache_clear()
            reset_clients()
