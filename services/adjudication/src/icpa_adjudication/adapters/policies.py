"""The policies table (pk `policy_id`, attribute `policy` = the Policy JSON)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from icpa_shared.adapters.aws import client, raise_typed
from icpa_shared.contracts import Policy
from icpa_shared.errors import ContractViolationError, UnknownPolicyError


class DynamoPolicyRepository:
    def __init__(self, table: str, dynamodb: Any = None) -> None:
        self.table = table
        self._client = dynamodb

    @property
    def _ddb(self) -> Any:
        if self._client is None:
            self._client = client("dynamodb")
        return self._client

    def get(self, policy_id: str) -> Policy:
        try:
            item = self._ddb.get_item(TableName=self.table, Key={"policy_id": {"S": policy_id}}).get("Item")
        except Exception as exc:
            raise_typed(exc, "policies.get")
            raise
        if not item:
            raise UnknownPolicyError(f"no policy {policy_id}")
        try:
            return Policy.model_validate_json(item["policy"]["S"])
        except (KeyError, ValidationError) as exc:
            # Say how many fields failed, not their values: a policy lists member ids.
            count = exc.error_count() if isinstance(exc, ValidationError) else 1
            raise ContractViolationError(f"stored policy {policy_id} violates the contract: {count} error(s)") from exc
