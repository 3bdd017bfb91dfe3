"""The audit service's ports: small Protocols the adapters (and the tests' fakes) implement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from icpa_audit.domain.models import ArchiveDocument
from icpa_shared.contracts.audit import AuditEvent


class ExecutionHistory(Protocol):
    def events(self, execution_arn: str) -> list[dict[str, Any]]:
        """Every history event of the execution, oldest first (all pages)."""
        ...


class AuditReader(Protocol):
    """Read-only view of the audit table (the shared DynamoAuditStore satisfies it)."""

    def events(self, claim_id: str) -> list[AuditEvent]:
        """The claim's chain as stored, in sequence-key order."""
        ...


class ArchiveWriter(Protocol):
    def put(self, key: str, document: ArchiveDocument) -> None: ...


class ArchiveReader(Protocol):
    def keys(self, claim_id: str) -> list[str]:
        """Keys of the claim's archived executions (`claims/<claim_id>/*.json.gz`)."""
        ...

    def read(self, key: str) -> ArchiveDocument:
        """Raises UnreadableArchiveError when the object is gone, frozen or not a document."""
        ...


class UnreadableArchiveError(Exception):
    """An archived execution that cannot be read back: part of the trail is unavailable."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


@dataclass(frozen=True)
class ArchiverPorts:
    history: ExecutionHistory
    audit: AuditReader
    archive: ArchiveWriter
