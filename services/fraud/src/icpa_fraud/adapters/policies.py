"""The policies table: pk `policy_id`, attribute `policy` (the Policy's JSON)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from icpa_shared.adapters.aws import client, raise_typed
from icpa_shared.contracts import Policy
from icpa_shared.errors import ContractViolationError


class DynamoPolicies:
    def __init__(self, table: str, dynamodb: Any = None) -> None:
        self.table = table
        self._client = dynamodb

    @property
    def _ddb(self) -> Any:
        if self._client is None:
            self._client = client("dynamodb")
        return self._client

    def get(self, policy_id: str) -> Policy | None:
        try:
            item = self._ddb.get_item(
                TableName=self.table,
                Key={"policy_id": {"S": policy_id}},
                ProjectionExpression="#p",
                ExpressionAttributeNames={"#p": "policy"},
            ).get("Item")
        except Exception as exc:
            raise_typed(exc, "policies.get")
            raise
        if not item or "S" not in item.get("policy", {}):
            return None
        try:
            return Policy.model_validate_json(item["policy"]["S"])
        except ValidationError:
            raise ContractViolationError(f"policy {policy_id} on file violates the Policy contract") from None
