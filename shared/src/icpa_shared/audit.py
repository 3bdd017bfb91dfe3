"""The audit trail's hash chain: building events and verifying a claim's chain. Pure code;
storage is behind the AuditStore port (adapters/audit_store.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NotRequired, Protocol, TypedDict, Unpack

from icpa_shared.contracts.audit import AuditEvent, AuditHead
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


def head_of(event: AuditEvent) -> AuditHead:
    """What a step's result carries of the event it appended (the next step builds on it)."""
    return AuditHead(sequence=event.sequence, hash=event.hash)


class CarriesAuditHead(Protocol):
    """A step's result in the workflow state (IntakeResult, FraudAssessment, ...)."""

    @property
    def audit_head(self) -> AuditHead | None: ...


def newest_head(*results: CarriesAuditHead | None) -> AuditHead | None:
    """The latest head among the results a step names: the steps the ASL ran before it in this
    execution (never a field the execution's input could have set), None when none has one."""
    known = [result.audit_head for result in results if result is not None and result.audit_head is not None]
    return max(known, key=lambda head: head.sequence) if known else None


def build_event(previous: AuditEvent | AuditHead | None, **fields: Any) -> AuditEvent:
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


class EventFields(TypedDict):
    """What a step says about an event it records (the recorder adds the rest)."""

    claim_id: str
    step: str
    decision: str
    input_value: Any
    output_value: Any
    occurred_at: datetime
    reason_codes: NotRequired[Sequence[str]]
    execution_id: NotRequired[str | None]
    model_id: NotRequired[str | None]
    model_version: NotRequired[str | None]
    reviewer_id: NotRequired[str | None]
    rationale: NotRequired[str | None]


class AuditChainConflict(Exception):
    """Another writer kept appending to the same claim's chain; retries ran out."""


@dataclass(frozen=True)
class AuditRecorder:
    """Appends events to a claim's chain with conditional writes (optimistic, retried)."""

    store: AuditStore
    service: str
    service_version: str

    def record(
        self, *, once_per_execution: bool = False, head: AuditHead | None = None, **event: Unpack[EventFields]
    ) -> AuditEvent:
        """Append an event. With `once_per_execution`, a step that already has an event for this
        execution (a Lambda retry, a resumed execution) returns that event instead of adding a
        second one: the chain says once what happened once.

        `head` is the chain's head as the step's input carries it (the event its predecessor
        appended): the event is built on it and appended with no read first. The append is
        conditional on the next sequence being free, so a stale head (another event appended
        meanwhile, or this step's own event, written by an attempt a retry repeats) is refused
        and the step takes the path it takes without a head: read the chain, return this step's
        event for this execution if there is one, else append on the real head."""
        claim_id, execution_id = event["claim_id"], event.get("execution_id")
        fields = self._fields(event)
        if head is not None:
            candidate = build_event(head, **fields)
            if self.store.append(candidate):
                return candidate
        if once_per_execution and execution_id is not None:
            for existing in self.store.events(claim_id):
                if existing.step == event["step"] and existing.execution_id == execution_id:
                    return existing
        for _ in range(8):
            candidate = build_event(self.store.last_event(claim_id), **fields)
            if self.store.append(candidate):
                return candidate
        raise AuditChainConflict(f"could not append to the audit chain of {claim_id}")

    def append_first(self, **event: Unpack[EventFields]) -> AuditEvent | None:
        """The event as the chain's first, with no read: a new claim's chain is empty. None when
        the chain has an event already (the put refused): the caller then reads the chain, as it
        would have without this guess."""
        candidate = build_event(None, **self._fields(event))
        return candidate if self.store.append(candidate) else None

    def _fields(self, event: EventFields) -> dict[str, Any]:
        return {
            "claim_id": event["claim_id"],
            "step": event["step"],
            "service": self.service,
            "service_version": self.service_version,
            "execution_id": event.get("execution_id"),
            "input_digest": sha256_hex(event["input_value"]),
            "output_digest": sha256_hex(event["output_value"]),
            "decision": event["decision"],
            "reason_codes": list(event.get("reason_codes", ())),
            "model_id": event.get("model_id"),
            "model_version": event.get("model_version"),
            "reviewer_id": event.get("reviewer_id"),
            "rationale": event.get("rationale"),
            "occurred_at": event["occurred_at"],
        }


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
