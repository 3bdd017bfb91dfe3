"""In-memory fakes of the shared ports, for every service's unit tests."""

from __future__ import annotations

from bisect import insort
from datetime import UTC, datetime

from icpa_shared.audit import AuditRecorder, head_of
from icpa_shared.contracts.audit import AuditEvent, AuditHead
from icpa_shared.contracts.claim import Claim, ClaimDocument


class MemoryAuditStore:
    """The audit table in memory (the AuditStore port): each claim's chain in sequence order.
    As on DynamoDB, an append whose sequence is taken loses (False), and nothing is updated
    or deleted. `fail_next`, when set, is raised by the next append (a throttled write, say).
    `reads` counts the chain reads (the Queries a step makes on DynamoDB), `refused` the appends
    that lost (a sequence taken)."""

    def __init__(self) -> None:
        self.chains: dict[str, list[AuditEvent]] = {}
        self.fail_next: Exception | None = None
        self.reads = 0
        self.refused = 0

    def last_event(self, claim_id: str) -> AuditEvent | None:
        self.reads += 1
        chain = self.chains.get(claim_id, [])
        return chain[-1] if chain else None

    def append(self, event: AuditEvent) -> bool:
        if self.fail_next is not None:
            exc, self.fail_next = self.fail_next, None
            raise exc
        chain = self.chains.setdefault(event.claim_id, [])
        if any(e.sequence == event.sequence for e in chain):
            self.refused += 1
            return False
        insort(chain, event, key=lambda e: e.sequence)
        return True

    def events(self, claim_id: str) -> list[AuditEvent]:
        self.reads += 1
        return list(self.chains.get(claim_id, []))


def an_appended_head(store: MemoryAuditStore, claim_id: str, step: str, execution_id: str | None = None) -> AuditHead:
    """A previous step's event appended to `store`, and its head as that step's result in state
    carries it (for the tests of the step after)."""
    event = AuditRecorder(store, step.replace("_", "-"), "1.0.0").record(
        claim_id=claim_id,
        step=step,
        decision="DONE",
        input_value={"step": step},
        output_value={"step": step},
        occurred_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
        execution_id=execution_id,
    )
    return head_of(event)


def as_document(claim: Claim) -> ClaimDocument:
    """`claim` as the documents bucket holds it: as given when it is a ClaimDocument, else with
    no policy snapshot (a document written before Intake stored one)."""
    return claim if isinstance(claim, ClaimDocument) else ClaimDocument.of(claim, None)
