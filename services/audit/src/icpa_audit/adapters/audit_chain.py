"""The audit table, read-only: the shared DynamoAuditStore, with lost connections typed too."""

from __future__ import annotations

from typing import Any

from icpa_shared.adapters.audit_store import DynamoAuditStore
from icpa_shared.adapters.aws import raise_if_transient
from icpa_shared.contracts.audit import AuditEvent


class AuditChainReader:
    def __init__(self, table: str, dynamodb: Any = None, region: str | None = None) -> None:
        self._store = DynamoAuditStore(table, dynamodb, region)  # its client is built on first use

    def events(self, claim_id: str) -> list[AuditEvent]:
        # DynamoAuditStore.events types throttling; a lost connection still comes out as botocore's.
        try:
            return self._store.events(claim_id)
        except Exception as exc:
            raise_if_transient(exc, "audit.events")
            raise
