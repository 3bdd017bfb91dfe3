"""The audit table adapter against moto: one chain read per append, and a head it remembers
that can never fork the chain when another writer appended meanwhile."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from icpa_shared.adapters.audit_store import HEADS_KEPT, DynamoAuditStore
from icpa_shared.audit import AuditRecorder, verify_chain
from icpa_shared.testing.aws import count_calls, create_audit_table, patched_aws_env
from icpa_shared.testing.builders import FIXED_NOW

TABLE = "icpa-audit"
RUN = "arn:aws:states:us-east-1:123456789012:execution:claims:run-1"


@pytest.fixture
def ddb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with patched_aws_env(monkeypatch), mock_aws():
        client = boto3.client("dynamodb")
        create_audit_table(client, TABLE)
        yield client


def record(recorder: AuditRecorder, step: str, *, claim_id: str = "CLM-0001", **fields: Any) -> Any:
    return recorder.record(
        claim_id=claim_id,
        step=step,
        decision="DONE",
        input_value={"step": step},
        output_value={"ok": True},
        occurred_at=FIXED_NOW + timedelta(seconds=len(step)),
        execution_id=RUN,
        **fields,
    )


def test_a_once_per_execution_append_reads_the_chain_once(ddb: Any) -> None:
    recorder = AuditRecorder(DynamoAuditStore(TABLE, ddb), "fraud", "1.0.0")
    record(recorder, "intake")
    calls = count_calls(ddb)

    event = record(recorder, "fraud", once_per_execution=True)

    assert event.sequence == 2
    assert calls == {"Query": 1, "PutItem": 1}  # the dedup read gives the head too


def test_a_head_is_taken_once_by_the_append_it_was_read_for(ddb: Any) -> None:
    recorder = AuditRecorder(DynamoAuditStore(TABLE, ddb), "review-callback", "1.0.0")
    record(recorder, "first", once_per_execution=True)
    calls = count_calls(ddb)

    record(recorder, "second")  # no dedup read: the head is read for this append
    record(recorder, "third")

    assert calls == {"Query": 2, "PutItem": 2}
    assert verify_chain(DynamoAuditStore(TABLE, ddb).events("CLM-0001")).ok


def test_a_head_gone_stale_loses_its_write_and_the_chain_does_not_fork(ddb: Any) -> None:
    # Given two containers writing one claim's chain, the first having read the chain
    store = DynamoAuditStore(TABLE, ddb)
    mine = AuditRecorder(store, "router", "1.0.0")
    theirs = AuditRecorder(DynamoAuditStore(TABLE, ddb), "review-callback", "1.0.0")
    record(mine, "one")
    store.events("CLM-0001")
    record(theirs, "two")  # the head the first read is now stale

    # When the first appends
    calls = count_calls(ddb)
    third = record(mine, "three")

    # Then its write at the stale head was refused, the real head read, the event appended after it
    assert calls == {"PutItem": 2, "Query": 1}
    chain = DynamoAuditStore(TABLE, ddb).events("CLM-0001")
    assert [e.step for e in chain] == ["one", "two", "three"] and third.sequence == 3
    assert verify_chain(chain).ok


def test_a_retried_step_still_finds_its_own_event_after_another_writer(ddb: Any) -> None:
    mine = AuditRecorder(DynamoAuditStore(TABLE, ddb), "fraud", "1.0.0")
    first = record(mine, "fraud", once_per_execution=True)
    record(AuditRecorder(DynamoAuditStore(TABLE, ddb), "adjudication", "1.0.0"), "adjudication")

    again = record(mine, "fraud", once_per_execution=True)  # a Lambda retry in the same container

    assert again == first and len(DynamoAuditStore(TABLE, ddb).events("CLM-0001")) == 2


def test_the_remembered_heads_are_bounded(ddb: Any) -> None:
    store = DynamoAuditStore(TABLE, ddb)
    recorder = AuditRecorder(store, "intake", "1.0.0")
    for n in range(HEADS_KEPT + 5):
        record(recorder, "intake", claim_id=f"CLM-{n:04d}", once_per_execution=True)
        store.events(f"CLM-{n:04d}")  # a reader's chain read: its head waits to be taken
    calls = count_calls(ddb)

    assert store.last_event("CLM-0000") is not None and calls == {"Query": 1}  # forgotten: read again
    assert store.last_event(f"CLM-{HEADS_KEPT + 4:04d}") is not None and calls == {"Query": 1}  # kept
    assert store.last_event(f"CLM-{HEADS_KEPT + 4:04d}") is not None and calls == {"Query": 2}  # taken once
