"""The audit hash chain detects altered, removed and reordered events."""

from datetime import timedelta
from typing import Any

import pytest

from icpa_shared.audit import AuditRecorder, verify_chain
from icpa_shared.contracts import AuditEvent
from icpa_shared.testing.builders import FIXED_NOW
from icpa_shared.testing.fakes import MemoryAuditStore


@pytest.fixture
def chain() -> list[AuditEvent]:
    store = MemoryAuditStore()
    rec = AuditRecorder(store, "router", "1.0.0")
    for i, step in enumerate(["intake", "fraud", "adjudication", "router"]):
        rec.record(
            claim_id="CLM-0001",
            step=step,
            decision="DONE",
            input_value={"i": i},
            output_value={"o": i},
            occurred_at=FIXED_NOW + timedelta(seconds=i),
        )
    return store.events("CLM-0001")


def test_untouched_chain_verifies(chain: list[AuditEvent]) -> None:
    result = verify_chain(chain)
    assert result.ok and result.checked == 4
    assert chain[0].previous_hash is None and chain[1].previous_hash == chain[0].hash


def test_altered_event_is_named(chain: list[AuditEvent]) -> None:
    chain[2] = chain[2].model_copy(update={"decision": "APPROVED"})
    result = verify_chain(chain)
    assert not result.ok and result.broken_sequence == 3 and "hash" in (result.problem or "")


def test_altered_and_rehashed_event_breaks_the_next_link(chain: list[AuditEvent]) -> None:
    from icpa_shared.audit import event_hash

    forged = chain[1].model_copy(update={"decision": "APPROVED"})
    forged = forged.model_copy(update={"hash": event_hash(forged.model_dump(mode="json"))})
    chain[1] = forged
    result = verify_chain(chain)
    assert not result.ok and result.broken_sequence == 3 and "previous_hash" in (result.problem or "")


def test_removed_event_is_named(chain: list[AuditEvent]) -> None:
    del chain[1]
    result = verify_chain(chain)
    assert not result.ok and result.broken_sequence == 3


def test_reordered_events_are_detected(chain: list[AuditEvent]) -> None:
    chain[1], chain[2] = chain[2], chain[1]
    assert not verify_chain(chain).ok


def test_concurrent_writer_is_retried() -> None:
    store = MemoryAuditStore()
    rec = AuditRecorder(store, "xsvc", "1.0.0")
    first = rec.record(
        claim_id="CLM-0002", step="first", decision="ALPHA", input_value=1, output_value=2, occurred_at=FIXED_NOW
    )
    real_last = store.last_event
    calls = {"n": 0}

    def stale_once(claim_id: str) -> AuditEvent | None:
        calls["n"] += 1
        return None if calls["n"] == 1 else real_last(claim_id)  # first read is stale

    store.last_event = stale_once  # type: ignore[method-assign]
    second = rec.record(
        claim_id="CLM-0002", step="second", decision="BETA", input_value=1, output_value=2, occurred_at=FIXED_NOW
    )
    assert second.sequence == 2 and second.previous_hash == first.hash
    assert verify_chain(store.events("CLM-0002")).ok


def test_once_per_execution_steps_are_not_appended_twice() -> None:
    store = MemoryAuditStore()
    rec = AuditRecorder(store, "router", "1.0.0")
    common: dict[str, Any] = {
        "claim_id": "CLM-0003",
        "step": "decision",
        "input_value": 1,
        "occurred_at": FIXED_NOW,
        "execution_id": "arn:aws:states:us-east-1:123456789012:execution:m:run-1",
        "once_per_execution": True,
    }
    first = rec.record(decision="APPROVED", output_value={"at": 1}, **common)
    retried = rec.record(decision="APPROVED", output_value={"at": 2}, **common)  # a Lambda retry
    assert retried == first and len(store.events("CLM-0003")) == 1
    other_run = rec.record(
        **{**common, "execution_id": "arn:aws:states:us-east-1:123456789012:execution:m:run-2"},
        decision="APPROVED",
        output_value={"at": 3},
    )
    assert other_run.sequence == 2 and verify_chain(store.events("CLM-0003")).ok
