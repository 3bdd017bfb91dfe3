"""Archiving with fakes: reading the status-change event, finding the claim, building the
document (history made JSON-safe, chain verified) under its key."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from audit_testkit import (
    ARCHIVED_AT,
    CLAIM_ID,
    STATE_MACHINE_ARN,
    T0,
    Execution,
    FakeAuditStore,
    World,
    auto_approved,
    errored_in_adjudication,
    execution_arn,
    status_change_event,
)

from icpa_audit.domain.archiving import history_digest, parse_status_change
from icpa_audit.domain.history import (
    find_claim_id,
    json_safe,
    recorded_outcome,
    succeeded_tasks,
)
from icpa_audit.domain.models import decode_archive
from icpa_audit.usecase import archive_execution
from icpa_shared.digest import JCS, LEGACY_FORM, sha256_hex
from icpa_shared.errors import ContractViolationError

pytestmark = pytest.mark.unit


def test_the_archive_holds_the_execution_every_history_event_and_the_chain() -> None:
    # Given an approved claim's finished execution
    world = World()
    run = auto_approved(world.audit)

    # When archived
    receipt = world.archive_run(run)

    # Then one document, at claims/<claim>/<execution>.json.gz, holds all of it
    key = f"claims/{CLAIM_ID}/{run.name}.json.gz"
    assert receipt.key == key and world.archive.puts == [key]
    document = world.archive.document(key)
    assert document.schema_version == "1.0"
    assert document.claim_id == CLAIM_ID
    assert document.archived_at == ARCHIVED_AT and document.archiver_version == "1.0.0"
    execution = document.execution
    assert (execution.arn, execution.name, execution.status) == (run.arn, run.name, "SUCCEEDED")
    assert execution.state_machine_arn == STATE_MACHINE_ARN
    assert execution.start_date == T0 and execution.stop_date == run.events[-1]["timestamp"]
    assert execution.output["record"]["outcome"] == "APPROVED"  # type: ignore[index,call-overload]
    assert execution.input == {"schema_version": "1.0", "source": run.state["source"]}
    # every history event, datetimes as ISO strings
    assert len(document.history) == len(run.events) == receipt.history_events
    entered = [e for e in run.events if str(e.get("type", "")).endswith("StateEntered")]
    assert receipt.state_transitions == len(entered) > 0
    assert [e["id"] for e in document.history] == list(range(1, len(run.events) + 1))
    assert document.history[0]["timestamp"] == "2026-03-02T09:00:01+00:00"
    assert document.history_sha256 == sha256_hex(json_safe(run.events)) == receipt.history_sha256
    # the chain as it stood, verified
    assert document.audit_chain == world.audit.events(CLAIM_ID)
    assert [e.step for e in document.audit_chain] == ["intake", "fraud", "adjudication", "router", "decision"]
    assert document.chain_verification.ok and document.chain_verification.checked == 5


def test_archiving_twice_writes_the_same_key_and_equivalent_content() -> None:
    world = World()
    run = auto_approved(world.audit)

    first = world.archive_run(run)
    before = world.archive.objects[first.key]
    second = world.archive_run(run, now=datetime(2026, 3, 3, 8, 0, tzinfo=UTC))

    assert second.key == first.key and set(world.archive.objects) == {first.key}
    a = decode_archive(before).model_dump(mode="json")
    b = world.archive.document(first.key).model_dump(mode="json")
    assert a.pop("archived_at") != b.pop("archived_at")
    assert a == b
    # ...and the same input gives the very same bytes
    world.archive_run(run)
    assert world.archive.objects[first.key] == before


def test_a_failed_execution_is_archived_with_its_error_and_outcome_from_the_history() -> None:
    world = World()
    run = errored_in_adjudication(world.audit)

    receipt = world.archive_run(run)

    document = world.archive.document(receipt.key)
    assert document.execution.status == "FAILED"
    assert document.execution.output is None
    assert document.execution.error == "ClaimProcessingError"
    assert document.claim_id == CLAIM_ID  # found in the history's state documents
    assert recorded_outcome(document.execution.output, document.history) == "ERROR"


def test_input_and_output_left_out_of_the_event_are_taken_from_the_history() -> None:
    # EventBridge leaves input/output out above 256 KB
    world = World()
    run = auto_approved(world.audit)
    world.history.by_arn[run.arn] = run.events
    event = run.status_change(include_output=False)
    event["detail"]["input"] = None

    receipt = archive_execution(parse_status_change(event), world.ports, now=ARCHIVED_AT, archiver_version="1.0.0")

    document = world.archive.document(receipt.key)
    assert document.execution.output == json.loads(run.events[-1]["executionSucceededEventDetails"]["output"])
    assert document.execution.input == json.loads(run.events[0]["executionStartedEventDetails"]["input"])
    assert document.claim_id == CLAIM_ID


def test_an_execution_that_names_no_claim_is_archived_unattributed() -> None:
    # Given an execution that failed before any state named a claim (nothing in the audit table)
    world = World()
    run = Execution(name="upload-0009-zz", claim_id=CLAIM_ID, audit=FakeAuditStore())
    run.fail("States.Runtime", "An error occurred while executing the state 'Intake'")

    receipt = world.archive_run(run)

    assert receipt.key == "unattributed/upload-0009-zz.json.gz" and receipt.claim_id is None
    document = world.archive.document(receipt.key)
    assert document.audit_chain == [] and document.chain_verification.ok
    assert document.execution.status == "FAILED" and document.execution.error == "States.Runtime"


def test_a_running_execution_is_not_archived() -> None:
    world = World()
    event = status_change_event(
        arn=execution_arn("still-running"),
        name="still-running",
        status="RUNNING",
        start=T0,
        stop=None,
        input_text="{}",
        output_text=None,
    )
    change = parse_status_change(event)

    assert not change.finished
    with pytest.raises(ContractViolationError, match="has not finished"):
        archive_execution(change, world.ports, now=ARCHIVED_AT, archiver_version="1.0.0")
    assert world.archive.puts == []


# --- the status-change event ------------------------------------------------------------------


def test_the_status_change_event_is_read_with_epoch_millisecond_dates() -> None:
    event = status_change_event(
        arn=execution_arn("e-1"),
        name="e-1",
        status="SUCCEEDED",
        start=T0,
        stop=T0.replace(minute=5),
        input_text='{"a": 1}',
        output_text="{}",
    )

    change = parse_status_change(event)

    assert change.execution_arn == execution_arn("e-1") and change.state_machine_arn == STATE_MACHINE_ARN
    assert change.start_date == T0 and change.stop_date == T0.replace(minute=5)
    assert change.finished and change.input == '{"a": 1}'


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda e: e.update(source="aws.s3"), "only handles"),
        (lambda e: e.update({"detail-type": "Object Created"}), "only handles"),
        (lambda e: e.pop("detail"), "no detail"),
        (lambda e: e["detail"].pop("executionArn"), "does not match"),
        (lambda e: e["detail"].update(name="../../etc"), "does not match"),
        (lambda e: e["detail"].update(executionArn="arn:aws:s3:::bucket"), "does not match"),
    ],
)
def test_anything_but_a_status_change_is_a_contract_violation(mutate, message) -> None:  # type: ignore[no-untyped-def]
    event = status_change_event(
        arn=execution_arn("e-1"), name="e-1", status="FAILED", start=T0, stop=T0, input_text="{}", output_text=None
    )
    mutate(event)
    with pytest.raises(ContractViolationError, match=message):
        parse_status_change(event)


# --- reading the history ------------------------------------------------------------------------


def test_json_safe_turns_boto3_values_into_json() -> None:
    value = {
        "timestamp": datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        "naive": datetime(2026, 3, 2, 9, 0),
        "n": Decimal("3"),
        "x": Decimal("1.5"),
        "raw": b"\x00\x01",
        "nested": [{"ok": True, "none": None}],
    }
    assert json_safe(value) == {
        "timestamp": "2026-03-02T09:00:00+00:00",
        "naive": "2026-03-02T09:00:00+00:00",
        "n": 3,
        "x": "1.5",
        "raw": "AAE=",
        "nested": [{"ok": True, "none": None}],
    }


def test_the_claim_id_comes_from_the_output_then_the_history_then_the_input() -> None:
    output = {"intake": {"claim_id": "CLM-A1"}, "quarantine": {"claim_id": "CLM-Q1"}, "record": {"claim_id": "CLM-R1"}}
    assert find_claim_id(output, [], None) == "CLM-A1"
    assert find_claim_id({"quarantine": {"claim_id": "Q-0123456789abcdef"}}, [], None) == "Q-0123456789abcdef"
    assert find_claim_id({"record": {"claim_id": "CLM-R1"}}, [], None) == "CLM-R1"
    history = [
        {
            "type": "TaskStateExited",
            "stateExitedEventDetails": {"output": json.dumps({"intake": {"claim_id": "CLM-H1"}})},
        },
        {"type": "TaskStateEntered", "stateEnteredEventDetails": {"input": "not json"}},
    ]
    assert find_claim_id(None, history, None) == "CLM-H1"
    assert find_claim_id(None, [], {"intake": {"claim_id": "CLM-I1"}}) == "CLM-I1"
    # a value that is not a claim id never becomes part of a key
    assert find_claim_id({"intake": {"claim_id": "../../other"}}, [], {"claim_id": "a b"}) is None


def test_succeeded_tasks_cover_lambda_and_callback_tasks_but_not_failures() -> None:
    world = World()
    run = errored_in_adjudication(world.audit)
    history = json_safe(run.events)
    assert isinstance(history, list)

    tasks = succeeded_tasks(history)  # type: ignore[arg-type]

    assert [t.state for t in tasks] == ["Intake", "QuarantineClaim"]
    assert all(t.timestamp and t.event_id for t in tasks)


def test_history_digest_is_the_sha256_of_canonical_json() -> None:
    history = [{"id": 1, "type": "ExecutionStarted", "note": "Z\u00fcrich"}]
    assert history_digest(history, JCS) == sha256_hex(
        '[{"id":1,"note":"Z\u00fcrich","type":"ExecutionStarted"}]'.encode()
    )
    legacy = b'[{"id":1,"note":"Z\\u00fcrich","type":"ExecutionStarted"}]'
    assert history_digest(history, LEGACY_FORM) == sha256_hex(legacy)
