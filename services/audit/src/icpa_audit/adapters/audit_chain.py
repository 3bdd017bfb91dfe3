"""The audit table, read-only: the shared DynamoAuditStore, with its read errors typed."""

from __future__ import annotations

from typing import Any

from icpa_audit.adapters.errors import raise_if_transient
from icpa_shared.adapters.audit_store import DynamoAuditStore
from icpa_shared.adapters.aws import client
from icpa_shared.contracts.audit import AuditEvent


class AuditChainReader:
    def __init__(self, table: str, dynamodb: Any = None, region: str | None = None) -> None:
        self._table = table
        self._client = dynamodb
        self._region = region
        self._store: DynamoAuditStore | None = None

    def _audit(self) -> DynamoAuditStore:
        if self._store is None:
            ddb = self._client if self._client is not None else client("dynamodb", self._region)
            self._store = DynamoAuditStore(self._table, ddb)
        return self._store

    def events(self, claim_id: str) -> list[AuditEvent]:
        # DynamoAuditStore.events pages with consistent reads but leaves ClientError untyped.
        try:
            return self._audit().events(claim_id)
        except Exception as exc:
            raise_if_transient(exc, "audit.events")
            raise
