"""The reviews table on DynamoDB.

Item layout (all strings unless noted; times are ISO-8601 UTC with milliseconds, so they
sort as text):

    review_id               pk, "REV-" + 32 hex (sha256 of the execution id)
    claim_id                the claim under review
    status                  PENDING | DECIDED | TIMED_OUT     (status-index partition key)
    created_at              when the review was first requested (status-index sort key)
    updated_at              last change
    due_by                  created/re-armed time + review_timeout_seconds
    execution_id            the waiting execution's ARN
    claim_uri               s3://<documents bucket>/claims/<claim_id>.json
    task_token              the waiting task's token: stored here and nowhere else; removed
                            once the review times out
    snapshot                ReviewSnapshot JSON: fraud score and signals with evidence,
                            adjudication lines and totals, routing reasons (no PHI)
    decision                ReviewDecision JSON (DECIDED only)
    reviewer_id, decided_at the decision's author and time (DECIDED only)
    timed_out_at            when the review was found timed out
    escalation_notified_at  when supervisors were sent the escalation notice

Status changes are conditional writes on `status`; a lost condition is a None/False answer.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from icpa_review_callback.adapters.errors import raise_dependency_error
from icpa_review_callback.domain.errors import InvalidCursorError
from icpa_review_callback.domain.models import ReviewRecord, ReviewSnapshot
from icpa_shared.adapters.aws import LazyClient, error_code
from icpa_shared.adapters.items import from_attributes, to_attributes
from icpa_shared.contracts import ReviewDecision, ReviewStatus

if TYPE_CHECKING:
    from types_boto3_dynamodb.client import DynamoDBClient

STATUS_INDEX = "status-index"
# Listings never read the token (nor the decision): only what a summary needs.
_LIST_ATTRIBUTES = (
    "review_id",
    "claim_id",
    "#status",
    "created_at",
    "updated_at",
    "due_by",
    "execution_id",
    "#snapshot",
)
# `status` and `snapshot` are DynamoDB reserved words: expressions name them through these.
_STATUS: dict[str, str] = {"#status": "status"}


def timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds")


class DynamoReviewStore:
    _ddb: LazyClient[DynamoDBClient] = LazyClient("dynamodb")

    def __init__(self, table: str, dynamodb: DynamoDBClient | None = None) -> None:
        self.table = table
        self._client = dynamodb

    # --- reads ---------------------------------------------------------------------------------

    def get(self, review_id: str) -> ReviewRecord | None:
        item = self._call(
            "get",
            "get_item",
            TableName=self.table,
            Key=to_attributes({"review_id": review_id}),
            ConsistentRead=True,
        ).get("Item")
        return record_from_item(item) if item else None

    def list_pending(self, *, limit: int, cursor: str | None) -> tuple[list[ReviewRecord], str | None]:
        # Oldest first: closest to its deadline.
        return self._list_by_status(ReviewStatus.PENDING, _LIST_ATTRIBUTES, limit, cursor, oldest_first=True)

    def list_decided(self, *, limit: int, cursor: str | None) -> tuple[list[ReviewRecord], str | None]:
        # Newest first (by request time, the index's sort key); the decision says who and why.
        attributes = (*_LIST_ATTRIBUTES, "decision")
        return self._list_by_status(ReviewStatus.DECIDED, attributes, limit, cursor, oldest_first=False)

    def _list_by_status(
        self,
        status: ReviewStatus,
        attributes: tuple[str, ...],
        limit: int,
        cursor: str | None,
        *,
        oldest_first: bool,
    ) -> tuple[list[ReviewRecord], str | None]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": STATUS_INDEX,
            "KeyConditionExpression": "#status = :status",
            "ExpressionAttributeNames": {"#status": "status", "#snapshot": "snapshot"},
            "ExpressionAttributeValues": to_attributes({":status": status.value}),
            "ProjectionExpression": ", ".join(attributes),
            "ScanIndexForward": oldest_first,
            "Limit": limit,
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = _decode_cursor(cursor, status)
        resp = self._call(f"list_{status.value.lower()}", "query", **kwargs)
        records = [record_from_item(item) for item in resp.get("Items", [])]
        last = resp.get("LastEvaluatedKey")
        return records, (_encode_cursor(last) if last else None)

    # --- writes --------------------------------------------------------------------------------

    def create(self, record: ReviewRecord) -> bool:
        written = self._conditional(
            "create",
            "put_item",
            TableName=self.table,
            Item=item_from_record(record),
            ConditionExpression="attribute_not_exists(review_id)",
        )
        return written is not None

    def reopen(
        self,
        review_id: str,
        *,
        task_token: SecretStr,
        snapshot: ReviewSnapshot,
        due_by: datetime,
        now: datetime,
    ) -> ReviewRecord | None:
        item = self._update(
            "reopen",
            review_id,
            update=(
                "SET #status = :pending, task_token = :token, #snapshot = :snapshot, due_by = :due, updated_at = :now"
                # A decision that timed out undelivered is not reused: the claim was pended to
                # supervisors meanwhile, so the reopened review asks again.
                " REMOVE timed_out_at, escalation_notified_at, decision, reviewer_id, decided_at"
            ),
            condition="#status IN (:pending, :timed_out)",
            values={
                ":pending": ReviewStatus.PENDING.value,
                ":timed_out": ReviewStatus.TIMED_OUT.value,
                ":token": task_token.get_secret_value(),
                ":snapshot": snapshot.model_dump_json(),
                ":due": timestamp(due_by),
                ":now": timestamp(now),
            },
            names={**_STATUS, "#snapshot": "snapshot"},
        )
        return record_from_item(item) if item else None

    def mark_decided(self, decision: ReviewDecision, now: datetime) -> ReviewRecord | None:
        item = self._update(
            "mark_decided",
            decision.review_id,
            update=(
                "SET #status = :decided, decision = :decision, reviewer_id = :reviewer, decided_at = :decided_at,"
                " updated_at = :now"
            ),
            condition="#status = :pending",
            values={
                ":decided": ReviewStatus.DECIDED.value,
                ":pending": ReviewStatus.PENDING.value,
                ":decision": decision.model_dump_json(),
                ":reviewer": decision.reviewer_id,
                ":decided_at": timestamp(decision.decided_at),
                ":now": timestamp(now),
            },
        )
        return record_from_item(item) if item else None

    def revert_decision(self, review_id: str, *, decided_at: datetime, now: datetime) -> bool:
        item = self._update(
            "revert_decision",
            review_id,
            update="SET #status = :pending, updated_at = :now REMOVE decision, reviewer_id, decided_at",
            condition="#status = :decided AND decided_at = :decided_at",
            values={
                ":pending": ReviewStatus.PENDING.value,
                ":decided": ReviewStatus.DECIDED.value,
                ":decided_at": timestamp(decided_at),
                ":now": timestamp(now),
            },
        )
        return item is not None

    def mark_timed_out(
        self,
        review_id: str,
        *,
        now: datetime,
        from_statuses: Collection[ReviewStatus],
        decided_at: datetime | None = None,
    ) -> ReviewRecord | None:
        statuses = {f":from{i}": status.value for i, status in enumerate(from_statuses)}
        condition = f"#status IN ({', '.join(statuses)})"
        values: dict[str, Any] = {
            ":timed_out": ReviewStatus.TIMED_OUT.value,
            ":now": timestamp(now),
            **statuses,
        }
        if decided_at is not None:
            condition += " AND decided_at = :decided_at"
            values[":decided_at"] = timestamp(decided_at)
        item = self._update(
            "mark_timed_out",
            review_id,
            update="SET #status = :timed_out, timed_out_at = :now, updated_at = :now REMOVE task_token",
            condition=condition,
            values=values,
        )
        return record_from_item(item) if item else None

    def mark_escalation_notified(self, review_id: str, now: datetime) -> bool:
        item = self._update(
            "mark_escalation_notified",
            review_id,
            update="SET escalation_notified_at = :now, updated_at = :now",
            condition="attribute_exists(review_id) AND attribute_not_exists(escalation_notified_at)",
            values={":now": timestamp(now)},
            names={},
        )
        return item is not None

    # --- plumbing ------------------------------------------------------------------------------

    def _update(
        self,
        what: str,
        review_id: str,
        *,
        update: str,
        condition: str,
        values: dict[str, Any],
        names: dict[str, str] = _STATUS,
    ) -> dict[str, Any] | None:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "Key": to_attributes({"review_id": review_id}),
            "UpdateExpression": update,
            # attribute_exists keeps a conditional update from creating a half item.
            "ConditionExpression": f"attribute_exists(review_id) AND ({condition})",
            "ExpressionAttributeValues": to_attributes(values),
            "ReturnValues": "ALL_NEW",
        }
        if names:  # DynamoDB refuses names the expressions do not use
            kwargs["ExpressionAttributeNames"] = names
        resp = self._conditional(what, "update_item", **kwargs)
        if resp is None:
            return None
        attributes: dict[str, Any] = resp.get("Attributes", {})
        return attributes

    def _conditional(self, what: str, operation: str, **kwargs: Any) -> dict[str, Any] | None:
        """The operation's response; None when its condition did not hold."""
        try:
            resp: dict[str, Any] = getattr(self._ddb, operation)(**kwargs)
        except Exception as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return None
            raise_dependency_error(exc, f"reviews.{what}")
            raise
        return resp

    def _call(self, what: str, operation: str, **kwargs: Any) -> dict[str, Any]:
        try:
            resp: dict[str, Any] = getattr(self._ddb, operation)(**kwargs)
        except Exception as exc:
            raise_dependency_error(exc, f"reviews.{what}")
            raise
        return resp


def item_from_record(record: ReviewRecord) -> dict[str, Any]:
    item: dict[str, str] = {
        "review_id": record.review_id,
        "claim_id": record.claim_id,
        "status": record.status.value,
        "created_at": timestamp(record.created_at),
        "updated_at": timestamp(record.updated_at),
        "due_by": timestamp(record.due_by),
        "execution_id": record.execution_id,
        "claim_uri": record.snapshot.claim_uri,
        "snapshot": record.snapshot.model_dump_json(),
    }
    if record.task_token is not None:
        item["task_token"] = record.task_token.get_secret_value()
    if record.decision is not None:
        item["decision"] = record.decision.model_dump_json()
        item["reviewer_id"] = record.decision.reviewer_id
        item["decided_at"] = timestamp(record.decision.decided_at)
    for name in ("timed_out_at", "escalation_notified_at"):
        value = getattr(record, name)
        if value is not None:
            item[name] = timestamp(value)
    return to_attributes(item)


def record_from_item(item: Mapping[str, Any]) -> ReviewRecord:
    plain = from_attributes(item)
    token, decision = plain.get("task_token"), plain.get("decision")
    return ReviewRecord(
        review_id=plain["review_id"],
        claim_id=plain["claim_id"],
        execution_id=plain["execution_id"],
        status=ReviewStatus(plain["status"]),
        created_at=datetime.fromisoformat(plain["created_at"]),
        updated_at=datetime.fromisoformat(plain["updated_at"]),
        due_by=datetime.fromisoformat(plain["due_by"]),
        task_token=SecretStr(token) if token else None,
        snapshot=ReviewSnapshot.model_validate_json(plain["snapshot"]),
        decision=ReviewDecision.model_validate_json(decision) if decision else None,
        timed_out_at=_optional_time(plain.get("timed_out_at")),
        escalation_notified_at=_optional_time(plain.get("escalation_notified_at")),
    )


def _optional_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _encode_cursor(last_evaluated_key: dict[str, Any]) -> str:
    # The key holds ids and timestamps only (review_id, status, created_at): no token.
    # Unpadded URL-safe base64: travels in a query string as is.
    plain = from_attributes(last_evaluated_key)
    return base64.urlsafe_b64encode(json.dumps(plain, sort_keys=True).encode()).decode().rstrip("=")


_CURSOR_KEYS = frozenset({"review_id", "status", "created_at"})


def _decode_cursor(cursor: str, status: ReviewStatus) -> dict[str, Any]:
    """A page token of a listing by `status` (a PENDING page's token does not page DECIDED)."""
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursorError("the page token is not readable") from exc
    if (
        not isinstance(plain, dict)
        or set(plain) != _CURSOR_KEYS
        or not all(isinstance(v, str) for v in plain.values())
        or plain["status"] != status.value
    ):
        raise InvalidCursorError("the page token is not one this API issued")
    return to_attributes(plain)
