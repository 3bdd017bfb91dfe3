"""The journal and the restore, without a server: an embedded LocalCloud on a data directory,
stopped and started again in this process (fake handlers: this is about the machinery)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from local_fakes import FakeSteps

from icpa_local import moto_patches, persistence
from icpa_local.cloud import LocalCloud
from icpa_local.datadir import DataDir, DataDirBusy


def open_cloud(data_dir: Path, steps: FakeSteps | None = None, **overrides: Any) -> LocalCloud:
    handlers = (steps or FakeSteps()).handlers()
    handlers.update(overrides)
    return LocalCloud(
        handler_overrides=handlers, time_scale=0.001, seed_policies=False, data_dir=data_dir, settle_timeout=20
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


# --- the journal alone ------------------------------------------------------------------------


def test_journal_round_trips_rows_and_tags_bytes(tmp_path: Path) -> None:
    journal = persistence.Journal(tmp_path / "j.sqlite3")
    journal.put_object(
        persistence.ObjectRow(
            "b", "k", "v1", "object", b"\x00body", "etag", {"a": "1"}, "2026-01-01T00:00:00+00:00", True, False
        )
    )
    journal.put_item("t", persistence.item_key({"S": "pk"}, None), {"pk": {"S": "pk"}, "bin": {"B": b"\x01\x02"}})
    journal.execution_started(
        "arn:x", "x", "arn:sm", '{"source": {"bucket": "b", "key": "k", "version_id": "v1"}}', None
    )
    journal.close()
    again = persistence.Journal(tmp_path / "j.sqlite3")
    (obj,) = again.objects()
    assert (obj.body, obj.metadata, obj.versioned, obj.notified) == (b"\x00body", {"a": "1"}, True, False)
    (item,) = again.items()
    assert item.item["bin"] == {"B": b"\x01\x02"}
    (execution,) = again.executions()
    assert (execution.status, execution.source_key, execution.source_version) == ("RUNNING", "k", "v1")


def test_a_started_row_never_overwrites_a_final_one(tmp_path: Path) -> None:
    # A fast execution can end (final row) before start_execution returns (RUNNING row).
    journal = persistence.Journal(tmp_path / "j.sqlite3")
    final = persistence.ExecutionRow(
        "arn:x",
        "x",
        "arn:sm",
        "SUCCEEDED",
        "{}",
        "{}",
        None,
        None,
        "2026-01-01T00:00:00+00:00",
        "2026-01-01T00:00:01+00:00",
        [],
    )
    journal.execution_ended(final)
    journal.execution_started("arn:x", "x", "arn:sm", "{}", None)
    assert [e.status for e in journal.executions()] == ["SUCCEEDED"]


def test_journal_refuses_another_schema(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    persistence.Journal(path).close()
    import sqlite3

    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    with pytest.raises(RuntimeError, match="schema 99"):
        persistence.Journal(path)


def test_numeric_keys_are_canonical() -> None:
    assert persistence.item_key({"N": "1.0"}, {"S": "a"}) == persistence.item_key({"N": "1"}, {"S": "a"})


# --- restore through the local cloud ----------------------------------------------------------


def test_everything_survives_a_restart(data_dir: Path) -> None:
    # Given a claim processed, objects in several buckets and items in several tables
    with open_cloud(data_dir) as cloud:
        arn = cloud.upload(b'{"any": "thing"}', "claims/one.json")
        assert cloud.wait(arn) == "SUCCEEDED"
        before = cloud.describe(arn)
        history = cloud.history(arn)
        s3, ddb = cloud.client("s3"), cloud.client("dynamodb")
        s3.put_object(
            Bucket="icpa-documents", Key="doc", Body=b"hello", ContentType="text/plain", Metadata={"origin": "test"}
        )
        versions = s3.list_object_versions(Bucket="icpa-inbox")["Versions"]
        ddb.put_item(TableName="icpa-claims", Item={"claim_id": {"S": "C1"}, "blob": {"B": b"\x00\x01"}})
        ddb.put_item(TableName="icpa-audit", Item={"claim_id": {"S": "C1"}, "sequence": {"N": "1"}})
        ddb.update_item(
            TableName="icpa-claims",
            Key={"claim_id": {"S": "C1"}},
            UpdateExpression="SET outcome = :o",
            ExpressionAttributeValues={":o": {"S": "APPROVED"}},
        )
    # When the cloud starts again on the same data directory
    with open_cloud(data_dir) as cloud:
        s3, ddb = cloud.client("s3"), cloud.client("dynamodb")
        # Then the objects are back, with their version ids, bodies and metadata
        assert s3.list_object_versions(Bucket="icpa-inbox")["Versions"][0]["VersionId"] == versions[0]["VersionId"]
        doc = s3.get_object(Bucket="icpa-documents", Key="doc")
        assert (doc["Body"].read(), doc["ContentType"], doc["Metadata"]) == (b"hello", "text/plain", {"origin": "test"})
        # the items as they were after the last write
        item = ddb.get_item(TableName="icpa-claims", Key={"claim_id": {"S": "C1"}})["Item"]
        assert item["outcome"] == {"S": "APPROVED"} and item["blob"] == {"B": b"\x00\x01"}
        assert ddb.get_item(TableName="icpa-audit", Key={"claim_id": {"S": "C1"}, "sequence": {"N": "1"}})["Item"]
        # and the finished execution answers describe, list and history as before
        after = cloud.describe(arn)
        assert {k: after[k] for k in ("status", "input", "output", "name")} == {
            k: before[k] for k in ("status", "input", "output", "name")
        }
        assert [e["type"] for e in cloud.history(arn)] == [e["type"] for e in history]
        assert [e["executionArn"] for e in cloud.executions()] == [arn]
        assert cloud.result(arn).outcome == "APPROVED"
        assert cloud.restored is not None and cloud.restored.finished_executions == 1 and cloud.resumed == []


def test_deletes_and_transactions_are_journaled_as_after_images(data_dir: Path) -> None:
    with open_cloud(data_dir) as cloud:
        s3, ddb = cloud.client("s3"), cloud.client("dynamodb")
        s3.put_object(Bucket="icpa-documents", Key="gone", Body=b"x")
        s3.delete_object(Bucket="icpa-documents", Key="gone")
        s3.put_object(Bucket="icpa-inbox", Key="other/marked", Body=b"x")
        s3.delete_object(Bucket="icpa-inbox", Key="other/marked")  # versioned: a delete marker
        ddb.put_item(TableName="icpa-claims", Item={"claim_id": {"S": "D"}})
        ddb.delete_item(TableName="icpa-claims", Key={"claim_id": {"S": "D"}})
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "icpa-claims", "Item": {"claim_id": {"S": "T1"}}}},
                {"Put": {"TableName": "icpa-claims", "Item": {"claim_id": {"S": "T2"}}}},
            ]
        )
        with pytest.raises(ddb.exceptions.TransactionCanceledException):
            ddb.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": "icpa-claims", "Item": {"claim_id": {"S": "T3"}}}},
                    {
                        "Put": {
                            "TableName": "icpa-claims",
                            "Item": {"claim_id": {"S": "T1"}},
                            "ConditionExpression": "attribute_not_exists(claim_id)",
                        }
                    },
                ]
            )
        ddb.batch_write_item(RequestItems={"icpa-claims": [{"PutRequest": {"Item": {"claim_id": {"S": "B1"}}}}]})
    with open_cloud(data_dir) as cloud:
        s3, ddb = cloud.client("s3"), cloud.client("dynamodb")
        assert s3.list_objects_v2(Bucket="icpa-documents").get("KeyCount") == 0
        versions = s3.list_object_versions(Bucket="icpa-inbox", Prefix="other/")
        assert len(versions["Versions"]) == 1 and len(versions["DeleteMarkers"]) == 1
        ids = {i["claim_id"]["S"] for i in ddb.scan(TableName="icpa-claims")["Items"]}
        assert ids == {"T1", "T2", "B1"}  # D deleted; T3 rolled back with its transaction


def test_a_running_execution_restarts_with_the_same_arn(data_dir: Path) -> None:
    # Given an execution in Fraud when the process dies (from then on, nothing reaches the
    # journal: its row stays RUNNING)
    release, in_fraud = threading.Event(), threading.Event()
    steps = FakeSteps()

    def slow_fraud(event: dict[str, Any], ctx: Any) -> Any:
        in_fraud.set()
        release.wait(10)
        return {"score": 0.1}

    cloud = open_cloud(data_dir, steps, FraudFunction=slow_fraud)
    cloud.start()
    arn = cloud.upload(b"{}", "claims/stuck.json")
    assert in_fraud.wait(10)
    persistence.activate(None)  # the crash
    release.set()
    cloud.stop()
    # When the cloud starts again
    with open_cloud(data_dir, steps) as cloud:
        # Then the same execution (same name, input, ARN) runs again, to its outcome
        assert cloud.resumed == [arn]
        assert cloud.wait(arn) == "SUCCEEDED" and cloud.result(arn).outcome == "APPROVED"
        assert [e["executionArn"] for e in cloud.executions()] == [arn]
    with open_cloud(data_dir, steps) as cloud:
        assert cloud.resumed == [] and cloud.describe(arn)["status"] == "SUCCEEDED"


def test_a_run_that_had_recorded_its_decision_is_not_run_again(data_dir: Path) -> None:
    # Given a run killed right after its RecordDecision wrote the claim's record and decision
    # event (what is left of it is only the end of the execution)
    recorded, release = threading.Event(), threading.Event()
    steps = FakeSteps()
    calls: list[str] = []

    def record_then_die(event: dict[str, Any], ctx: Any) -> Any:
        calls.append(event["execution_id"])
        record = {
            "claim_id": "CLM-0001",
            "outcome": "APPROVED",
            "decided_by": "AUTO",
            "execution_id": event["execution_id"],
            "reason_codes": ["R_OK"],
        }
        ddb = boto3_client("dynamodb")
        ddb.put_item(TableName="icpa-claims", Item={"claim_id": {"S": "CLM-0001"}, "record": {"S": json.dumps(record)}})
        ddb.put_item(
            TableName="icpa-audit",
            Item={
                "claim_id": {"S": "CLM-0001"},
                "sequence": {"N": "1"},
                "step": {"S": "decision"},
                "event": {"S": json.dumps({"step": "decision", "execution_id": event["execution_id"]})},
            },
        )
        recorded.set()
        release.wait(10)
        return record

    cloud = open_cloud(data_dir, steps, RecordDecisionFunction=record_then_die)
    cloud.start()
    arn = cloud.upload(b"{}", "claims/decided.json")
    assert recorded.wait(10)
    persistence.activate(None)  # the crash
    release.set()
    cloud.stop()
    # When the cloud starts again -- Then the run is ended, not run again
    with open_cloud(data_dir, steps, RecordDecisionFunction=record_then_die) as cloud:
        assert cloud.resumed == [] and calls == [arn]
        described = cloud.describe(arn)
        assert described["status"] == "SUCCEEDED"
        assert json.loads(described["output"])["record"]["outcome"] == "APPROVED"
        assert [e["type"] for e in cloud.history(arn)] == ["ExecutionStarted", "ExecutionSucceeded"]
        assert cloud.result(arn).outcome == "APPROVED"
    with open_cloud(data_dir, steps) as cloud:
        assert cloud.describe(arn)["status"] == "SUCCEEDED" and calls == [arn]


def crash_in(state_handler: str, data_dir: Path, steps: FakeSteps, **overrides: Any) -> str:
    """Run one claim until `state_handler` is called, then 'crash' (nothing more is journaled);
    returns the execution's arn."""
    release, entered = threading.Event(), threading.Event()
    handlers = steps.handlers()
    live = overrides.get(state_handler) or handlers[state_handler]

    def stuck(event: dict[str, Any], ctx: Any) -> Any:
        entered.set()
        release.wait(10)
        return live(event, ctx)

    cloud = open_cloud(data_dir, steps, **{**overrides, state_handler: stuck})
    cloud.start()
    arn = cloud.upload(b"{}", "claims/stuck.json")
    assert entered.wait(10)
    persistence.activate(None)  # the crash
    release.set()
    cloud.stop()
    return arn


def calls_for(steps: FakeSteps, name: str, arn: str) -> int:
    return sum(1 for event in steps.calls.get(name, []) if event.get("execution_id") == arn)


def test_a_resumed_execution_continues_from_where_it_was(data_dir: Path) -> None:
    # Given a run killed while Adjudicate ran (Intake and AssessFraud had succeeded)
    steps = FakeSteps()
    arn = crash_in("AdjudicationFunction", data_dir, steps)
    names = ("intake", "fraud", "adjudication", "router", "record")
    before = {name: calls_for(steps, name, arn) for name in names}
    # When the cloud starts again
    with open_cloud(data_dir, steps) as cloud:
        assert cloud.resumed == [arn] and cloud.wait(arn) == "SUCCEEDED"
        # Then the tasks it had done answer from the journal: no second call; the task in
        # flight at the crash runs again, the rest once
        again = {name: calls_for(steps, name, arn) - before[name] for name in names}
        assert again == {"intake": 0, "fraud": 0, "adjudication": 1, "router": 1, "record": 1}
        assert cloud.result(arn).outcome == "APPROVED"
        # and the history still shows every task succeeding, with the results it had
        history = cloud.history(arn)
        succeeded = [e for e in history if e["type"] == "LambdaFunctionSucceeded"]
        assert len(succeeded) == 5  # Intake, AssessFraud, Adjudicate, RouteClaim, RecordDecision
        assert json.loads(succeeded[1]["lambdaFunctionSucceededEventDetails"]["output"]) == {"score": 0.1}
        journal = cloud.journal
        assert journal is not None and journal.counts()["task_results"] == 0  # gone with the end
        # (the end's hooks run after the status is set, which is all `wait` sees)
        moto_patches.wait_for_async_invocations()
        assert persistence.TASK_REPLAY.size() == 0


def test_a_stopped_cloud_leaves_no_replay_state_to_the_next(data_dir: Path) -> None:
    # Given a journaled cloud stopped while an execution waits on a review, its tasks' successes
    # counted in the process's replay state
    steps = FakeSteps()

    def router(event: dict[str, Any], ctx: Any) -> Any:
        return {"route": "HUMAN_REVIEW", "reasons": ["R_HIGH"]}

    with open_cloud(data_dir, steps, RouterFunction=router) as cloud:
        cloud.upload(b"{}", "claims/replay.json")
        deadline = time.monotonic() + 20
        while "review_request" not in steps.calls:
            assert time.monotonic() < deadline, "the execution never reached its review"
            time.sleep(0.01)
        assert persistence.TASK_REPLAY.size() > 0
    # Then none of it outlives the cloud, as none outlives a process: the next cloud (another
    # data directory, another test) plans only from its own journal
    assert persistence.TASK_REPLAY.size() == 0


def test_a_resumed_review_wait_answered_before_the_crash_is_not_asked_again(data_dir: Path) -> None:
    # Given a run whose review had been answered (the wait succeeded) and that died in RecordDecision
    steps = FakeSteps()
    human = {"route": "HUMAN_REVIEW", "reasons": ["R_HIGH"]}

    def router(event: dict[str, Any], ctx: Any) -> Any:
        steps.calls.setdefault("router", []).append(event)
        return human

    def reviewer(event: dict[str, Any], ctx: Any) -> Any:
        steps.calls.setdefault("review_request", []).append(event)
        token = event["task_token"]

        def answer() -> None:
            boto3_client("stepfunctions").send_task_success(taskToken=token, output=json.dumps({"decision": "APPROVE"}))

        threading.Timer(0.05, answer).start()
        return {}

    arn = crash_in("RecordDecisionFunction", data_dir, steps, RouterFunction=router, ReviewRequestFunction=reviewer)
    assert calls_for(steps, "review_request", arn) == 1
    before = (calls_for(steps, "review_request", arn), calls_for(steps, "router", arn))
    # When the cloud starts again -- Then the wait is answered from the journal (no review asked)
    with open_cloud(data_dir, steps, RouterFunction=router, ReviewRequestFunction=reviewer) as cloud:
        assert cloud.wait(arn, stop_at_review=False) == "SUCCEEDED"
        assert (calls_for(steps, "review_request", arn), calls_for(steps, "router", arn)) == before
        assert cloud.result(arn).outcome == "APPROVED"


def test_an_execution_that_ended_unarchived_is_archived_at_restart(data_dir: Path) -> None:
    # Given an execution that ended but whose archiver never ran (the process died first)
    archived: list[str] = []

    def lost(event: dict[str, Any], ctx: Any) -> Any:
        return None

    with open_cloud(data_dir, ArchiverFunction=lost) as cloud:
        arn = cloud.upload(b"{}", "claims/done.json")
        assert cloud.wait(arn) == "SUCCEEDED"
        assert cloud.client("s3").list_objects_v2(Bucket="icpa-archive").get("KeyCount") == 0

    def archiver(event: dict[str, Any], ctx: Any) -> Any:
        archived.append(event["detail"]["executionArn"])
        boto3_client("s3").put_object(
            Bucket="icpa-archive", Key=f"claims/C/{event['detail']['name']}.json.gz", Body=b"x"
        )
        return {"archived": True}

    # When the cloud starts again -- Then the archive rule gets its status change, once
    with open_cloud(data_dir, ArchiverFunction=archiver) as cloud:
        assert cloud.archived_at_restore == [arn] and archived == [arn]
        assert cloud.describe(arn)["status"] == "SUCCEEDED"
    with open_cloud(data_dir, ArchiverFunction=archiver) as cloud:
        assert cloud.archived_at_restore == [] and archived == [arn]


def test_a_read_only_cloud_restores_and_runs_nothing(data_dir: Path) -> None:
    # Given a claim parked on a review when its cloud stopped
    steps = FakeSteps()
    overrides = {"RouterFunction": lambda e, c: {"route": "HUMAN_REVIEW", "reasons": ["R_HIGH"]}}
    with open_cloud(data_dir, steps, **overrides) as cloud:
        arn = cloud.upload(b"{}", "claims/parked.json")
        deadline = time.monotonic() + 20
        while not cloud.parked(arn):
            assert time.monotonic() < deadline, "the claim never parked on its review"
            time.sleep(0.02)
    before = persistence.Journal(DataDir(data_dir).journal)
    counts, rows = before.counts(), before.executions()
    before.close()
    asked = calls_for(steps, "review_request", arn)
    # When read-only clouds open the data directory, twice
    for _ in range(2):
        with LocalCloud(
            handler_overrides={**steps.handlers(), **overrides},
            time_scale=0.001,
            seed_policies=False,
            data_dir=data_dir,
            read_only=True,
        ) as reader:
            # Then the state reads back: the execution as the RUNNING record it is
            assert reader.describe(arn)["status"] == "RUNNING"
            assert [e["executionArn"] for e in reader.executions()] == [arn]
            assert reader.resumed == [] and reader.journal is None
            assert not DataDir(data_dir).busy()  # a reader does not own the directory
    # and nothing ran, nothing was journaled
    assert calls_for(steps, "review_request", arn) == asked
    after = persistence.Journal(DataDir(data_dir).journal)
    assert after.counts() == counts and after.executions() == rows
    after.close()


def boto3_client(service: str) -> Any:
    import boto3

    return boto3.client(service, region_name="us-east-1")  # type: ignore[call-overload]  # a name, not a Literal


def test_an_upload_whose_notification_was_cut_short_is_notified_again(data_dir: Path) -> None:
    # Given the journal of a crash between storing an upload and notifying about it
    DataDir(data_dir).ensure()
    with open_cloud(data_dir):
        pass
    journal = persistence.Journal(DataDir(data_dir).journal)
    journal.put_object(
        persistence.ObjectRow(
            "icpa-inbox",
            "claims/owed.json",
            "v-owed",
            "object",
            b"{}",
            None,
            {},
            "2026-01-01T00:00:00+00:00",
            True,
            False,
        )
    )
    journal.close()
    # When the cloud starts -- Then the rule starts the workflow for it, once
    with open_cloud(data_dir) as cloud:
        assert len(cloud.resumed) == 1
        (arn,) = cloud.resumed
        assert cloud.wait(arn) == "SUCCEEDED"
        source = json.loads(cloud.describe(arn)["input"])["source"]
        assert (source["key"], source["version_id"]) == ("claims/owed.json", "v-owed")
    with open_cloud(data_dir) as cloud:
        assert cloud.resumed == [] and len(cloud.executions()) == 1


def test_restored_executions_are_inert(data_dir: Path) -> None:
    with open_cloud(data_dir) as cloud:
        assert cloud.wait(cloud.upload(b"{}", "claims/a.json")) == "SUCCEEDED"
    with open_cloud(data_dir) as cloud:
        sfn = cloud.client("stepfunctions")
        # the callback API looks through every execution, restored ones included
        with pytest.raises(sfn.exceptions.InvalidToken):
            sfn.send_task_failure(taskToken="no-such-token", error="X")
        with pytest.raises(sfn.exceptions.InvalidToken):
            sfn.send_task_success(taskToken="no-such-token", output="{}")


def test_one_cloud_per_data_directory(data_dir: Path) -> None:
    with open_cloud(data_dir):
        assert DataDir(data_dir).busy()
        with pytest.raises(DataDirBusy):
            open_cloud(data_dir).start()
    assert not DataDir(data_dir).busy()


def test_nothing_is_journaled_after_stop(data_dir: Path) -> None:
    cloud = open_cloud(data_dir)
    cloud.start()
    journal = cloud.journal
    assert journal is not None
    cloud.stop()
    assert journal.closed and persistence.active_journal() is None


@pytest.fixture(autouse=True)
def _no_journal_leaks() -> Iterator[None]:
    yield
    assert persistence.active_journal() is None


def test_finished_executions_leave_memory_once_journaled(data_dir: Path) -> None:
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends
    from moto.stepfunctions.parser.utils import TMP_THREADS

    with open_cloud(data_dir) as cloud:
        # Given claims processed to their end
        arns = [cloud.upload(b"{}", f"claims/mem-{n}.json") for n in range(4)]
        assert [cloud.wait(arn) for arn in arns] == ["SUCCEEDED"] * 4
        cloud.wait_idle()
        # Then no finished execution keeps the interpreter's environment (nor its threads)...
        sfn: Any = stepfunctions_parser_backends["123456789012"]["us-east-1"]
        workers = [e.exec_worker for machine in sfn.state_machines for e in machine.executions]
        assert len(workers) == 4 and all(isinstance(w, persistence._Inert) for w in workers)
        # (dead threads are dropped as each execution ends: at most the last one's remain; live
        # ones, e.g. of an execution still winding down on a loaded machine, are not the leak)
        assert len([t for t in TMP_THREADS if not t.is_alive()]) <= 8  # a claim starts ~7
        # ...and each still answers its history, from the journal
        for arn in arns:
            history = cloud.history(arn)
            assert history[0]["type"] == "ExecutionStarted" and history[-1]["type"] == "ExecutionSucceeded"
            assert sum(1 for e in history if e["type"] == "LambdaFunctionSucceeded") == 5
        assert cloud.result(arns[0]).outcome == "APPROVED"
