"""A deciding step run again for the same execution (a Lambda retry after its audit write, or
a step re-run after a crash before its result was journaled) adds no second audit event: the
chain says once what happened once."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from icpa_local.cloud import LocalCloud
from icpa_local.functions import load_handler

from .conftest import sample

# (state, function, audit step) of the deciding tasks after Intake
STEPS = [
    ("AssessFraud", "FraudFunction", "fraud"),
    ("Adjudicate", "AdjudicationFunction", "adjudication"),
    ("RouteClaim", "RouterFunction", "router"),
]


def audit_steps(cloud: LocalCloud, claim_id: str) -> Counter[str]:
    items = cloud.client("dynamodb").query(
        TableName=cloud.names.audit_table,
        KeyConditionExpression="claim_id = :c",
        ExpressionAttributeValues={":c": {"S": claim_id}},
    )["Items"]
    return Counter(json.loads(item["event"]["S"])["step"] for item in items)


def task_inputs(cloud: LocalCloud, arn: str) -> dict[str, Any]:
    """Each Lambda task's payload as the interpreter scheduled it, by state name."""
    inputs: dict[str, Any] = {}
    state = None
    for event in cloud.history(arn):
        if event["type"] == "TaskStateEntered":
            state = event["stateEnteredEventDetails"]["name"]
        elif event["type"] == "LambdaFunctionScheduled" and state is not None:
            inputs[state] = json.loads(event["lambdaFunctionScheduledEventDetails"]["input"])
    return inputs


@pytest.mark.parametrize(("state", "function", "step"), STEPS)
def test_a_deciding_step_run_again_records_once(cloud: LocalCloud, state: str, function: str, step: str) -> None:
    # Given a claim decided through the whole workflow
    arn = cloud.upload(sample("approve-office-visit.json"), f"claims/rerun-{step}.json")
    assert cloud.wait(arn) == "SUCCEEDED"
    result = cloud.result(arn)
    assert result.outcome == "APPROVED" and result.claim_id is not None
    before = audit_steps(cloud, result.claim_id)
    assert before[step] == 1
    # When the step's handler runs again with the very input of that execution
    load_handler(function)(task_inputs(cloud, arn)[state], None)
    # Then the chain still holds that step once
    assert audit_steps(cloud, result.claim_id) == before
