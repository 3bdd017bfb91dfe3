"""The claims table (pk `claim_id`), written the way ARCHITECTURE.md lays it out.

An accepted claim is one PutItem:

| attribute | value |
|---|---|
| `claim_id` (S) | pk |
| `member_id`, `provider_npi` (S) | GSI hash keys (`member-date-index`, `provider-date-index`) |
| `service_date` (S) | GSI range key: ISO date of `service_date_from` |
| `index` (S) | ClaimIndexEntry JSON (Fraud's history lookups) |
| `record` (S) | ClaimRecord JSON (outcome IN_PROGRESS) |
| `outcome` (S), `updated_at` (S) | the record's outcome and time, top level for queries |
| `source_uri`, `source_id` (S) | the uploaded object (`source_id` = URI + version id or ETag) |
| `claim_uri`, `claim_digest` (S) | the normalized document and the sha256 of the original bytes |
| `decision_owner` (S) | the registering execution (see below) |

The write is conditional: it takes a free claim id, or one whose earlier submission was
quarantined (REJECTED/ERROR); otherwise the id belongs to someone: the same object (a
redelivery: nothing is rewritten) or another one (DuplicateClaimIdError).

`decision_owner` (S) is the execution that decides the object: EventBridge delivers at least
once, so several executions may run for one upload; the first to set it (a conditional
UpdateItem) owns the decision, and every other ends with the owner's. Registering a taken-over
id replaces the whole item, so an earlier object's owner never carries over.

A registration sets `decision_owner` to the registering execution in the same PutItem: the
item is new (or replaced) with that owner, so nobody else can own it, and that execution's own
claim_decision right after (the same invocation, remembered by this adapter) needs no second
write. Any other claim_decision (a redelivery, a retry in a later invocation) is the UpdateItem.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from icpa_intake.domain.ports import ClaimRegistration, DecisionOwner, DuplicateClaimIdError, Registered
from icpa_shared.adapters.aws import LazyClient, error_code, raise_typed
from icpa_shared.adapters.items import string_attribute, to_attributes
from icpa_shared.contracts import ClaimRecord, Outcome
from icpa_shared.errors import ContractViolationError

if TYPE_CHECKING:
    from types_boto3_dynamodb.client import DynamoDBClient

_CONDITION_FAILED = "ConditionalCheckFailedException"


class DynamoClaimsTable:
    _ddb: LazyClient[DynamoDBClient] = LazyClient("dynamodb")

    def __init__(self, table: str, dynamodb: DynamoDBClient | None = None) -> None:
        self.table = table
        self._client = dynamodb
        # (claim id, source id, execution id) of the registration this adapter just wrote with
        # that owner; consumed by the next claim_decision (at most one kept: bounded, per call)
        self._registered_owner: tuple[str, str, str] | None = None
        self._lock = threading.Lock()

    def claim_decision(self, claim_id: str, *, source_id: str, execution_id: str) -> DecisionOwner:
        with self._lock:
            just_registered, self._registered_owner = self._registered_owner, None
        if just_registered == (claim_id, source_id, execution_id):
            return DecisionOwner(execution_id=execution_id)  # our own PutItem set it
        try:
            self._ddb.update_item(
                TableName=self.table,
                Key=to_attributes({"claim_id": claim_id}),
                UpdateExpression="SET decision_owner = :me, source_id = :sid",
                ConditionExpression=(
                    "(attribute_not_exists(claim_id) OR source_id = :sid) "
                    "AND (attribute_not_exists(decision_owner) OR decision_owner = :me)"
                ),
                ExpressionAttributeValues=to_attributes({":me": execution_id, ":sid": source_id}),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except Exception as exc:
            if error_code(exc) != _CONDITION_FAILED:
                raise_typed(exc, "claims.claim_decision")
                raise
            old = self._item(exc, claim_id)
            if string_attribute(old, "source_id") != source_id:
                raise DuplicateClaimIdError(claim_id) from None
            return _owner(old)
        return DecisionOwner(execution_id=execution_id)

    def register(self, registration: ClaimRegistration) -> Registered:
        index, record = registration.index, registration.record
        with self._lock:
            self._registered_owner = None
        item: dict[str, str] = {
            "claim_id": index.claim_id,
            "member_id": index.member_id,
            "provider_npi": index.provider_npi,
            "service_date": index.service_date.isoformat(),
            "index": index.model_dump_json(),
            "record": record.model_dump_json(),
            "outcome": record.outcome.value,
            "updated_at": record.updated_at.isoformat(),
            "source_uri": record.source_uri,
            "source_id": registration.source_id,
            "claim_uri": record.claim_uri or "",
            "claim_digest": registration.claim_digest,
        }
        if record.execution_id:
            item["decision_owner"] = record.execution_id
        try:
            self._ddb.put_item(
                TableName=self.table,
                Item=to_attributes(item),
                ConditionExpression="attribute_not_exists(claim_id) OR outcome IN (:rejected, :error)",
                ExpressionAttributeValues=to_attributes(
                    {":rejected": Outcome.REJECTED.value, ":error": Outcome.ERROR.value}
                ),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except Exception as exc:
            if error_code(exc) != _CONDITION_FAILED:
                raise_typed(exc, "claims.register")
                raise
            holder = self._holder(exc, index.claim_id)
            if holder == registration.source_id:
                return Registered.ALREADY
            raise DuplicateClaimIdError(index.claim_id) from None
        if record.execution_id:
            with self._lock:
                self._registered_owner = (index.claim_id, registration.source_id, record.execution_id)
        return Registered.NEW

    def _holder(self, exc: BaseException, claim_id: str) -> str | None:
        return string_attribute(self._item(exc, claim_id), "source_id")

    def _item(self, exc: BaseException, claim_id: str) -> dict[str, Any]:
        """The item a failed condition was checked against."""
        old = (getattr(exc, "response", None) or {}).get("Item")
        if old is None:  # older endpoints do not return the item: read it
            try:
                old = self._ddb.get_item(
                    TableName=self.table, Key=to_attributes({"claim_id": claim_id}), ConsistentRead=True
                ).get("Item")
            except Exception as read_exc:
                raise_typed(read_exc, "claims.holder")
                raise
        return dict(old or {})

    def file_quarantined(self, record: ClaimRecord, *, source_id: str) -> bool:
        with self._lock:  # the outcome turns REJECTED/ERROR: the id may be taken over from now on
            self._registered_owner = None
        try:
            self._ddb.update_item(
                TableName=self.table,
                Key=to_attributes({"claim_id": record.claim_id}),
                UpdateExpression=(
                    "SET #r = :r, outcome = :o, updated_at = :u, source_uri = :su, source_id = :sid, "
                    "quarantine_uri = :q"
                ),
                ConditionExpression="attribute_not_exists(claim_id) OR source_id = :sid",
                ExpressionAttributeNames={"#r": "record"},
                ExpressionAttributeValues=to_attributes(
                    {
                        ":r": record.model_dump_json(),
                        ":o": record.outcome.value,
                        ":u": record.updated_at.isoformat(),
                        ":su": record.source_uri,
                        ":sid": source_id,
                        ":q": record.quarantine_uri or "",
                    }
                ),
            )
        except Exception as exc:
            if error_code(exc) == _CONDITION_FAILED:
                return False
            raise_typed(exc, "claims.file_quarantined")
            raise
        return True


def _owner(item: Mapping[str, Any]) -> DecisionOwner:
    raw = string_attribute(item, "record")
    record = ClaimRecord.model_validate_json(raw) if raw is not None else None
    owner = string_attribute(item, "decision_owner")
    if owner is None:  # the condition failed on the owner, so the item has one
        raise ContractViolationError(f"claims item {string_attribute(item, 'claim_id')} has no decision owner")
    return DecisionOwner(
        execution_id=owner,
        outcome=record.outcome if record else None,
        record=record,
    )
