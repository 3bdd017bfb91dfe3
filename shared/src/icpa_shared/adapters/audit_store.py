"""The audit table on DynamoDB: append-only (conditional put, no update or delete).

The chain read that answers "was this step already recorded?" (`events`) also leaves the head
it found for the append that follows: the next `last_event` of that claim takes it instead of a
second Query (one read per append, not two). It is taken once, then forgotten, so nothing
outlives the append it was read for (and functions sharing a process, as in the local cloud,
make the calls each makes alone on AWS). The append stays conditional on its sequence being
free: if another writer appended in between, the write is refused and the recorder's retry
reads the real head. The chain cannot fork.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from icpa_shared.adapters.aws import LazyClient, error_code, raise_typed
from icpa_shared.adapters.items import string_attribute, to_attributes
from icpa_shared.contracts.audit import AuditEvent

if TYPE_CHECKING:
    from types_boto3_dynamodb.client import DynamoDBClient

HEADS_KEPT: Final = 256
"""Heads read but not yet taken (a chain read by a reader that appends nothing): bounded memory,
the oldest forgotten first."""


class DynamoAuditStore:
    """Items: pk `claim_id` (S), sk `sequence` (N), `step` (S), `event` (the event's JSON, verbatim)."""

    _ddb: LazyClient[DynamoDBClient] = LazyClient("dynamodb")

    def __init__(self, table: str, dynamodb: DynamoDBClient | None = None, region: str | None = None) -> None:
        self._table = table
        self._client = dynamodb
        self._region = region
        self._heads: OrderedDict[str, AuditEvent | None] = OrderedDict()  # None: the chain was empty
        self._lock = threading.Lock()

    def last_event(self, claim_id: str) -> AuditEvent | None:
        with self._lock:
            if claim_id in self._heads:
                return self._heads.pop(claim_id)  # the head `events` just read, taken once
        try:
            resp = self._ddb.query(
                TableName=self._table,
                KeyConditionExpression="claim_id = :c",
                ExpressionAttributeValues=to_attributes({":c": claim_id}),
                ScanIndexForward=False,
                Limit=1,
                ConsistentRead=True,
            )
        except Exception as exc:
            raise_typed(exc, "audit.last_event")
            raise
        items = resp.get("Items", [])
        return _event(items[0]) if items else None

    def append(self, event: AuditEvent) -> bool:
        self._forget(event.claim_id)
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=to_attributes(
                    {
                        "claim_id": event.claim_id,
                        "sequence": event.sequence,
                        "step": event.step,
                        "event": event.model_dump_json(),
                    }
                ),
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
            ExpressionAttributeValues=to_attributes({":c": claim_id}),
            ConsistentRead=True,
        )
        try:
            for resp in pages:
                out.extend(_event(item) for item in resp["Items"])
        except Exception as exc:
            raise_typed(exc, "audit.events")
            raise
        self._remember(claim_id, out[-1] if out else None)  # sk order: the last is the head
        return out

    def _remember(self, claim_id: str, head: AuditEvent | None) -> None:
        with self._lock:
            self._heads[claim_id] = head
            self._heads.move_to_end(claim_id)
            while len(self._heads) > HEADS_KEPT:
                self._heads.popitem(last=False)

    def _forget(self, claim_id: str) -> None:
        with self._lock:
            self._heads.pop(claim_id, None)


def _event(item: Mapping[str, Any]) -> AuditEvent:
    return AuditEvent.model_validate_json(string_attribute(item, "event") or "")
