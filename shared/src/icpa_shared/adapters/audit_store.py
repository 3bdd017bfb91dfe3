"""The audit table on DynamoDB: append-only (conditional put, no update or delete)."""

from __future__ import annotations

import json
from typing import Any

from icpa_shared.adapters.aws import LazyClient, error_code, raise_typed
from icpa_shared.contracts.audit import AuditEvent


class DynamoAuditStore:
    """Items: pk `claim_id` (S), sk `sequence` (N), `event` (the event's JSON, verbatim)."""

    _ddb = LazyClient("dynamodb")

    def __init__(self, table: str, dynamodb: Any = None, region: str | None = None) -> None:
        self._table = table
        self._client = dynamodb
        self._region = region

    def last_event(self, claim_id: str) -> AuditEvent | None:
        try:
            resp = self._ddb.query(
                TableName=self._table,
                KeyConditionExpression="claim_id = :c",
                ExpressionAttributeValues={":c": {"S": claim_id}},
                ScanIndexForward=False,
                Limit=1,
                ConsistentRead=True,
            )
        except Exception as exc:
            raise_typed(exc, "audit.last_event")
            raise
        items = resp.get("Items", [])
        return AuditEvent.model_validate_json(items[0]["event"]["S"]) if items else None

    def append(self, event: AuditEvent) -> bool:
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item={
                    "claim_id": {"S": event.claim_id},
                    "sequence": {"N": str(event.sequence)},
                    "step": {"S": event.step},
                    "event": {"S": event.model_dump_json()},
                },
                ConditionExpression="attribute_not_exists(claim_id) AND attribute_not_exists(#s)",
                ExpressionAttributeNames={"#s": "sequence"},
            )
        except Exception as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise_typed(exc, "audit.append")
            raise
        return True

    def events(self, claim_id: str) -> list[AuditEvent]:
        out: list[AuditEvent] = []
        pages = self._ddb.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="claim_id = :c",
            ExpressionAttributeValues={":c": {"S": claim_id}},
            ConsistentRead=True,
        )
        try:
            for resp in pages:
                out.extend(AuditEvent.model_validate(json.loads(i["event"]["S"])) for i in resp["Items"])
        except Exception as exc:
            raise_typed(exc, "audit.events")
            raise
        return out
