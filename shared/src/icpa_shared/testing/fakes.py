"""In-memory fakes of the shared ports, for every service's unit tests."""

from __future__ import annotations

from bisect import insort

from icpa_shared.contracts.audit import AuditEvent


class MemoryAuditStore:
    """The audit table in memory (the AuditStore port): each claim's chain in sequence order.
    As on DynamoDB, an append whose sequence is taken loses (False), and nothing is updated
    or deleted. `fail_next`, when set, is raised by the next append (a throttled write, say)."""

    def __init__(self) -> None:
        self.chains: dict[str, list[AuditEvent]] = {}
        self.fail_next: Exception | None = None

    def last_event(self, claim_id: str) -> AuditEvent | None:
        chain = self.chains.get(claim_id, [])
        return chain[-1] if chain else None

    def append(self, event: AuditEvent) -> bool:
        if self.fail_next is not None:
            exc, self.fail_next = self.fail_next, None
            raise exc
        chain = self.chains.setdefault(event.claim_id, [])
        if any(e.sequence == event.sequence for e in chain):
            return False
        insort(chain, event, key=lambda e: e.sequence)
        return True

    def events(self, claim_id: str) -> list[AuditEvent]:
        return list(self.chains.get(claim_id, []))
