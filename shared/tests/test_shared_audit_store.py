"""The audit table adapter against moto: one chain read per append, and a head it remembers
that can never fork the chain when another writer appended meanwhile."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from icpa_shared.adapters.audit_store import HEADS_KEPT, DynamoAuditStore
from icpa_shared.audit import AuditRecorder, head_of, newest_head, verify_chain
from icpa_shared.contracts import AuditHead
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


# The head a step's input carries (its predecessor's result): an append with no read first.


def test_an_append_on_the_head_in_state_reads_nothing(ddb: Any) -> None:
    # Given the chain's head as the previous step's result carries it
    recorder = AuditRecorder(DynamoAuditStore(TABLE, ddb), "fraud", "1.0.0")
    head = head_of(record(recorder, "intake", once_per_execution=True))
    calls = count_calls(ddb)

    # When the next step appends on it
    event = record(recorder, "fraud", once_per_execution=True, head=head)

    # Then one conditional put and no Query, linked to that head
    assert calls == {"PutItem": 1}
    assert event.sequence == 2 and event.previous_hash == head.hash
    assert verify_chain(DynamoAuditStore(TABLE, ddb).events("CLM-0001")).ok


def test_a_stale_head_in_state_falls_back_to_the_chain_and_appends_on_the_real_head(ddb: Any) -> None:
    # Given a head in state, then another event appended meanwhile (a reviewer's, an escalation)
    recorder = AuditRecorder(DynamoAuditStore(TABLE, ddb), "router", "1.0.0")
    head = head_of(record(recorder, "router", once_per_execution=True))
    other = AuditRecorder(DynamoAuditStore(TABLE, ddb), "review-callback", "1.0.0")
    record(other, "review_decided")
    calls = count_calls(ddb)

    # When the next step appends on the stale head
    event = record(recorder, "decision", once_per_execution=True, head=head)

    # Then its put was refused, the chain read, and the event appended after the real head
    assert calls == {"PutItem": 2, "Query": 1}
    chain = DynamoAuditStore(TABLE, ddb).events("CLM-0001")
    assert [e.step for e in chain] == ["router", "review_decided", "decision"] and event.sequence == 3
    assert verify_chain(chain).ok


def test_a_lambda_retry_after_its_write_returns_its_event_and_adds_none(ddb: Any) -> None:
    # Given a step that appended on the head in state, then failed before returning
    recorder = AuditRecorder(DynamoAuditStore(TABLE, ddb), "adjudication", "1.0.0")
    head = head_of(record(recorder, "fraud", once_per_execution=True))
    first = record(recorder, "adjudication", once_per_execution=True, head=head)

    # When Lambda retries it with the same input (the same head), in a fresh container
    again = record(
        AuditRecorder(DynamoAuditStore(TABLE, ddb), "adjudication", "1.0.0"),
        "adjudication",
        once_per_execution=True,
        head=head,
    )

    # Then the chain says it once: the retry returns the first attempt's event
    chain = DynamoAuditStore(TABLE, ddb).events("CLM-0001")
    assert again == first and [e.step for e in chain] == ["fraud", "adjudication"]
    assert verify_chain(chain).ok


def test_no_head_in_state_reads_the_chain_as_before(ddb: Any) -> None:
    # Given an execution started before steps carried heads (in flight during a deploy)
    recorder = AuditRecorder(DynamoAuditStore(TABLE, ddb), "fraud", "1.0.0")
    record(recorder, "intake", once_per_execution=True)
    calls = count_calls(ddb)

    event = record(recorder, "fraud", once_per_execution=True, head=newest_head(SimpleNamespace(audit_head=None), None))

    assert calls == {"Query": 1, "PutItem": 1} and event.sequence == 2
    assert verify_chain(DynamoAuditStore(TABLE, ddb).events("CLM-0001")).ok


def test_a_head_naming_a_taken_sequence_with_another_hash_never_forks_the_chain(ddb: Any) -> None:
    # Given a head in state that is wrong (altered): an existing sequence, a hash no event has
    recorder = AuditRecorder(DynamoAuditStore(TABLE, ddb), "router", "1.0.0")
    record(recorder, "intake", once_per_execution=True)
    real = record(recorder, "fraud", once_per_execution=True)
    forged = AuditHead(sequence=1, hash="f" * 64)

    event = record(recorder, "router", once_per_execution=True, head=forged)

    # Then the put at its sequence + 1 was refused and the event went after the real head
    chain = DynamoAuditStore(TABLE, ddb).events("CLM-0001")
    assert event.sequence == 3 and event.previous_hash == real.hash
    assert [e.sequence for e in chain] == [1, 2, 3] and verify_chain(chain).ok


def test_the_newest_head_is_the_highest_sequence_among_the_named_results() -> None:
    older, newer = AuditHead(sequence=2, hash="a" * 64), AuditHead(sequence=5, hash="b" * 64)
    first, second = SimpleNamespace(audit_head=older), SimpleNamespace(audit_head=newer)
    assert newest_head(first, None, second) == newer and newest_head(second, first) == newer
    assert newest_head(SimpleNamespace(audit_head=None), None) is None and newest_head() is None


def test_a_first_event_is_put_with_no_read_and_refused_on_a_chain_that_has_one(ddb: Any) -> None:
    recorder = AuditRecorder(DynamoAuditStore(TABLE, ddb), "intake", "1.0.0")
    fields: dict[str, Any] = {
        "claim_id": "CLM-0001",
        "step": "intake",
        "decision": "ACCEPTED",
        "input_value": {"source": "a"},
        "output_value": {"ok": True},
        "occurred_at": FIXED_NOW,
    }
    calls = count_calls(ddb)

    first = recorder.append_first(**fields)
    again = recorder.append_first(**{**fields, "input_value": {"source": "b"}})

    assert calls == {"PutItem": 2}  # no Query: the second put was refused, nothing written
    assert first is not None and first.sequence == 1 and again is None
    assert DynamoAuditStore(TABLE, ddb).events("CLM-0001") == [first]
