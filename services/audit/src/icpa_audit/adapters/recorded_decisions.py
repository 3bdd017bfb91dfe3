"""Which executions had recorded their claim's decision: the claims table's record and the
decision event on the audit chain, both naming the execution. The local cloud asks this of
executions a crash left RUNNING, so as not to run a recorded decision a second time."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from icpa_shared.adapters.items import string_attribute, to_attributes

if TYPE_CHECKING:
    from types_boto3_dynamodb.client import DynamoDBClient

DECISION_STEP = "decision"


def is_decision_of(event: Mapping[str, Any], execution_arn: str) -> bool:
    """An audit event (as stored) is the decision that execution appended."""
    return event.get("step") == DECISION_STEP and event.get("execution_id") == execution_arn


def decisions_recorded_by(
    arns: Iterable[str],
    *,
    claims_table: str,
    audit_table: str,
    dynamodb: DynamoDBClient,
) -> dict[str, dict[str, Any]]:
    """execution arn -> the ClaimRecord it recorded, for the executions among `arns` whose
    RecordDecision had run to its end (the record written and its decision audit event
    appended, both naming the execution)."""
    wanted = set(arns)
    if not wanted:
        return {}
    records: dict[str, dict[str, Any]] = {}
    for page in dynamodb.get_paginator("scan").paginate(TableName=claims_table, ConsistentRead=True):
        for item in page.get("Items", []):
            raw_record = string_attribute(item, "record")
            record = json.loads(raw_record) if raw_record is not None else {}
            if record.get("execution_id") in wanted:
                records[str(record["execution_id"])] = record
    decided: dict[str, dict[str, Any]] = {}
    for arn, record in records.items():
        events = dynamodb.query(
            TableName=audit_table,
            KeyConditionExpression="claim_id = :c",
            ExpressionAttributeValues=to_attributes({":c": str(record["claim_id"])}),
            ConsistentRead=True,
        )["Items"]
        for item in events:
            raw_event = string_attribute(item, "event")
            event = json.loads(raw_event) if raw_event is not None else {}
            if is_decision_of(event, arn):
                decided[arn] = record
    return decided
