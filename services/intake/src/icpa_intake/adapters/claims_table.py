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

The write is conditional: it takes a free claim id, or one whose earlier submission was
quarantined (REJECTED/ERROR); otherwise the id belongs to someone: the same object (a
redelivery: nothing is rewritten) or another one (DuplicateClaimIdError).

`decision_owner` (S) is the execution that decides the object: EventBridge delivers at least
once, so several executions may run for one upload; the first to set it (a conditional
UpdateItem) owns the decision, and every other ends with the owner's. Registering a taken-over
id replaces the whole item, so an earlier object's owner never carries over.
"""

from __future__ import annotations

from typing import Any

from icpa_intake.domain.ports import ClaimRegistration, DecisionOwner, DuplicateClaimIdError, Registered
from icpa_shared.adapters.aws import LazyClient, error_code, raise_typed
from icpa_shared.contracts import ClaimRecord, Outcome

_CONDITION_FAILED = "ConditionalCheckFailedException"


class DynamoClaimsTable:
    _ddb = LazyClient("dynamodb")

    def __init__(self, table: str, dynamodb: Any = None) -> None:
        self.table = table
        self._client = dynamodb

    def claim_decision(self, claim_id: str, *, source_id: str, execution_id: str) -> DecisionOwner:
        try:
            self._ddb.update_item(
                TableName=self.table,
                Key={"claim_id": {"S": claim_id}},
                UpdateExpression="SET decision_owner = :me, source_id = :sid",
                ConditionExpression=(
                    "(attribute_not_exists(claim_id) OR source_id = :sid) "
                    "AND (attribute_not_exists(decision_owner) OR decision_owner = :me)"
                ),
                ExpressionAttributeValues={":me": {"S": execution_id}, ":sid": {"S": source_id}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except Exception as exc:
            if error_code(exc) != _CONDITION_FAILED:
                raise_typed(exc, "claims.claim_decision")
                raise
            old = self._item(exc, claim_id)
            if (old.get("source_id") or {}).get("S") != source_id:
                raise DuplicateClaimIdError(claim_id) from None
            return _owner(old)
        return DecisionOwner(execution_id=execution_id)

    def register(self, registration: ClaimRegistration) -> Registered:
        index, record = registration.index, registration.record
        item = {
            "claim_id": {"S": index.claim_id},
            "member_id": {"S": index.member_id},
            "provider_npi": {"S": index.provider_npi},
            "service_date": {"S": index.service_date.isoformat()},
            "index": {"S": index.model_dump_json()},
            "record": {"S": record.model_dump_json()},
            "outcome": {"S": record.outcome.value},
            "updated_at": {"S": record.updated_at.isoformat()},
            "source_uri": {"S": record.source_uri},
            "source_id": {"S": registration.source_id},
            "claim_uri": {"S": record.claim_uri or ""},
            "claim_digest": {"S": registration.claim_digest},
        }
        try:
            self._ddb.put_item(
                TableName=self.table,
                Item=item,
                ConditionExpression="attribute_not_exists(claim_id) OR outcome IN (:rejected, :error)",
                ExpressionAttributeValues={
                    ":rejected": {"S": Outcome.REJECTED.value},
                    ":error": {"S": Outcome.ERROR.value},
                },
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
        return Registered.NEW

    def _holder(self, exc: BaseException, claim_id: str) -> str | None:
        holder = self._item(exc, claim_id).get("source_id", {}).get("S")
        return holder if isinstance(holder, str) else None

    def _item(self, exc: BaseException, claim_id: str) -> dict[str, Any]:
        """The item a failed condition was checked against."""
        old = (getattr(exc, "response", None) or {}).get("Item")
        if old is None:  # older endpoints do not return the item: read it
            try:
                old = self._ddb.get_item(
                    TableName=self.table, Key={"claim_id": {"S": claim_id}}, ConsistentRead=True
                ).get("Item")
            except Exception as read_exc:
                raise_typed(read_exc, "claims.holder")
                raise
        return dict(old or {})

    def file_quarantined(self, record: ClaimRecord, *, source_id: str) -> bool:
        try:
            self._ddb.update_item(
                TableName=self.table,
                Key={"claim_id": {"S": record.claim_id}},
                UpdateExpression=(
                    "SET #r = :r, outcome = :o, updated_at = :u, source_uri = :su, source_id = :sid, "
                    "quarantine_uri = :q"
                ),
                ConditionExpression="attribute_not_exists(claim_id) OR source_id = :sid",
                ExpressionAttributeNames={"#r": "record"},
                ExpressionAttributeValues={
                    ":r": {"S": record.model_dump_json()},
                    ":o": {"S": record.outcome.value},
                    ":u": {"S": record.updated_at.isoformat()},
                    ":su": {"S": record.source_uri},
                    ":sid": {"S": source_id},
                    ":q": {"S": record.quarantine_uri or ""},
                },
            )
        except Exception as exc:
            if error_code(exc) == _CONDITION_FAILED:
                return False
            raise_typed(exc, "claims.file_quarantined")
            raise
        return True


def _owner(item: dict[str, Any]) -> DecisionOwner:
    record = ClaimRecord.model_validate_json(item["record"]["S"]) if "record" in item else None
    return DecisionOwner(
        execution_id=item["decision_owner"]["S"], outcome=record.outcome if record else None, record=record
    )
