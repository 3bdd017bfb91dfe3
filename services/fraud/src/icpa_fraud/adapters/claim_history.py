"""Claim history from the claims table's GSIs: keyed Query calls only, never Scan.

`member-date-index` (member_id, service_date) and `provider-date-index` (provider_npi,
service_date) are queried with the hash key and a BETWEEN on the service date, so the items read
are the key's claims in that date range, however many claims the table holds. Each lookup stops
at `max_items` (then `truncated`): one busy provider cannot make an assessment unbounded.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from icpa_fraud.domain.ports import HistoryPage
from icpa_shared.adapters.aws import LazyClient, raise_typed
from icpa_shared.adapters.items import string_attribute, to_attributes
from icpa_shared.contracts import ClaimIndexEntry
from icpa_shared.observability.logging import get_logger

if TYPE_CHECKING:
    from types_boto3_dynamodb.client import DynamoDBClient

MEMBER_INDEX = "member-date-index"
PROVIDER_INDEX = "provider-date-index"


class DynamoClaimHistory:
    _ddb: LazyClient[DynamoDBClient] = LazyClient("dynamodb")

    def __init__(
        self, table: str, *, max_items: int = 500, page_size: int = 100, dynamodb: DynamoDBClient | None = None
    ) -> None:
        self.table = table
        self.max_items = max_items
        self.page_size = page_size
        self._client = dynamodb

    def member_claims(self, member_id: str, start: date, end: date, *, exclude_claim_id: str) -> HistoryPage:
        return self._query(MEMBER_INDEX, "member_id", member_id, start, end, exclude_claim_id)

    def provider_claims(self, npi: str, start: date, end: date, *, exclude_claim_id: str) -> HistoryPage:
        return self._query(PROVIDER_INDEX, "provider_npi", npi, start, end, exclude_claim_id)

    def _query(self, index: str, key: str, value: str, start: date, end: date, exclude: str) -> HistoryPage:
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": index,
            "KeyConditionExpression": "#k = :k AND service_date BETWEEN :start AND :end",
            "FilterExpression": "claim_id <> :self",
            "ProjectionExpression": "claim_id, #i",
            "ExpressionAttributeNames": {"#k": key, "#i": "index"},
            "ExpressionAttributeValues": to_attributes(
                {":k": value, ":start": start.isoformat(), ":end": end.isoformat(), ":self": exclude}
            ),
        }
        entries: list[ClaimIndexEntry] = []
        read = 0
        while True:
            request["Limit"] = min(self.page_size, self.max_items - read)
            try:
                response = self._ddb.query(**request)
            except Exception as exc:
                raise_typed(exc, f"history.{index}")
                raise
            read += int(response.get("ScannedCount", len(response.get("Items", []))))
            entries += [entry for item in response.get("Items", []) if (entry := _entry(item)) is not None]
            more = "LastEvaluatedKey" in response
            if not more:
                return HistoryPage(entries=entries, truncated=False)
            if read >= self.max_items:
                get_logger().warning("history.truncated", index=index, items_read=read)
                return HistoryPage(entries=entries, truncated=True)
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _entry(item: dict[str, Any]) -> ClaimIndexEntry | None:
    raw = string_attribute(item, "index")
    if raw is None:
        return None  # a claim with no index entry (never accepted) has no history to offer
    try:
        return ClaimIndexEntry.model_validate_json(raw)
    except ValidationError:
        get_logger().warning("history.unreadable_entry", claim_id=string_attribute(item, "claim_id"))
        return None
