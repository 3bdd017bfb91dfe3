"""The audit trail's hash chain: building events and verifying a claim's chain. Pure code;
storage is behind the AuditStore port (adapters/audit_store.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from icpa_shared.contracts.audit import AuditEvent
from icpa_shared.digest import JCS, LEGACY_FORM, sha256_hex


class AuditStore(Protocol):
    def last_event(self, claim_id: str) -> AuditEvent | None: ...

    def append(self, event: AuditEvent) -> bool:
        """Write the event only if its sequence is free; False when another writer won."""
        ...

    def events(self, claim_id: str) -> list[AuditEvent]: ...


def event_hash(fields: Mapping[str, Any]) -> str:
    """The hash covers every field but `hash` itself (previous_hash included: the chain), in
    the canonical form the event names: RFC 8785 for `canonical: "jcs"` (the marker is hashed
    too), the legacy form for events written before the marker existed (hashed without it)."""
    form = fields.get("canonical")
    if form is LEGACY_FORM:
        return sha256_hex({k: v for k, v in fields.items() if k not in ("hash", "canonical")}, LEGACY_FORM)
    return sha256_hex({k: v for k, v in fields.items() if k != "hash"}, form)


def digest_in_form_of(event: AuditEvent, value: Any) -> str:
    """`value`'s digest as `event` computed its input/output digests (its own canonical form):
    to ask "did this event see this input?" of events written before and after JCS alike."""
    return sha256_hex(value, event.canonical)


def build_event(previous: AuditEvent | None, **fields: Any) -> AuditEvent:
    draft = {
        "schema_version": "1.0",
        "canonical": JCS,
        "sequence": 1 if previous is None else previous.sequence + 1,
        "previous_hash": None if previous is None else previous.hash,
        **fields,
    }
    # Validate once without the hash to get normalized JSON values, then hash those values.
    probe = AuditEvent.model_validate({**draft, "hash": "0" * 64})
    normalized = probe.model_dump(mode="json")
    return probe.model_copy(update={"hash": event_hash(normalized)})


class AuditChainConflict(Exception):
    """Another writer kept appending to the same claim's chain; retries ran out."""


@dataclass(frozen=True)
class AuditRecorder:
    """Appends events to a claim's chain with conditional writes (optimistic, retried)."""

    store: AuditStore
    service: str
    service_version: str

    def record(
        self,
        *,
        claim_id: str,
        step: str,
        decision: str,
        input_value: Any,
        output_value: Any,
        occurred_at: datetime,
        reason_codes: Sequence[str] = (),
        execution_id: str | None = None,
        model_id: str | None = None,
        model_version: str | None = None,
        reviewer_id: str | None = None,
        rationale: str | None = None,
        once_per_execution: bool = False,
    ) -> AuditEvent:
        """Append an event. With `once_per_execution`, a step that already has an event for this
        execution (a Lambda retry, a resumed execution) returns that event instead of adding a
        second one: the chain says once what happened once."""
        if once_per_execution and execution_id is not None:
            for existing in self.store.events(claim_id):
                if existing.step == step and existing.execution_id == execution_id:
                    return existing
        for _ in range(8):
            previous = self.store.last_event(claim_id)
            event = build_event(
                previous,
                claim_id=claim_id,
                step=step,
                service=self.service,
                service_version=self.service_version,
                execution_id=execution_id,
                input_digest=sha256_hex(input_value),
                output_digest=sha256_hex(output_value),
                decision=decision,
                reason_codes=list(reason_codes),
                model_id=model_id,
                model_version=model_version,
                reviewer_id=reviewer_id,
                rationale=rationale,
                occurred_at=occurred_at,
            )
            if self.store.append(event):
                return event
        raise AuditChainConflict(f"could not append to the audit chain of {claim_id}")


@dataclass(frozen=True)
class ChainVerification:
    ok: bool
    checked: int
    broken_sequence: int | None = None
    problem: str | None = None


def verify_chain(events: Sequence[AuditEvent]) -> ChainVerification:
    """Detects an altered event (hash mismatch), a removed one (sequence gap or a
    previous_hash that points elsewhere) and a reordered one (sequence/link order)."""
    previous: AuditEvent | None = None
    for index, event in enumerate(events, start=1):
        if event.sequence != index:
            return ChainVerification(
                False, index - 1, event.sequence, f"expected sequence {index}, found {event.sequence}"
            )
        if event.canonical is LEGACY_FORM and previous is not None and previous.canonical is not LEGACY_FORM:
            # Writers moved to JCS once and never go back: a legacy event after a JCS one was
            # written (or rewritten) by something other than this code.
            return ChainVerification(
                False, index - 1, event.sequence, "in the pre-RFC 8785 form after an RFC 8785 event (a downgrade)"
            )
        if event_hash(event.model_dump(mode="json")) != event.hash:
            return ChainVerification(False, index - 1, event.sequence, "content does not match its hash")
        expected_prev = None if previous is None else previous.hash
        if event.previous_hash != expected_prev:
            return ChainVerification(
                False, index - 1, event.sequence, "previous_hash does not link to the event before"
            )
        previous = event
    return ChainVerification(True, len(events))
