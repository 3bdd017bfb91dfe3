"""Restore (`restore()`), with journaling suspended: objects re-put with notifications disabled
(same version ids, so a workflow input that names a version still finds it), items re-put,
finished executions added back as inert records (`RestoredExecution`: describe, list and history
answer, nothing runs). The local cloud then resumes what had no outcome (see LocalCloud._resume)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from icpa_local.moto_patches.registry import moto_module
from icpa_local.persistence.codec import iso, naive_utc, parse_time
from icpa_local.persistence.journal import Journal
from icpa_local.persistence.s3_hooks import send_created_event
from icpa_local.persistence.schema import ExecutionRow, ObjectRow
from icpa_local.persistence.sfn_hooks import InertWorker


def restored_execution(row: ExecutionRow, state_machine: Any, account_id: str, region_name: str) -> Any:
    """A finished execution as an inert record: describe, list and history answer from the
    journal; it never runs (start() refuses), and the callback API finds no task in it."""
    ExecutionStatus = moto_module("moto.stepfunctions.parser.api").ExecutionStatus
    Execution = moto_module("moto.stepfunctions.parser.backend.execution").Execution

    class RestoredExecution(Execution):  # type: ignore[misc,valid-type]
        def start(self) -> None:
            raise RuntimeError("a restored execution is a record; it does not run")

        def to_history_output(self) -> Any:
            return {"events": self.exec_worker.get_event_history()}

    execution: Any = RestoredExecution(
        name=row.name,
        sm_type=getattr(state_machine, "sm_type", "STANDARD"),
        role_arn=state_machine.roleArn,
        exec_arn=row.arn,
        account_id=account_id,
        region_name=region_name,
        state_machine=state_machine,
        start_date=parse_time(row.start_date),
        cloud_watch_logging_session=None,
        activity_store={},
        input_data=row.input,
    )
    execution.exec_status = ExecutionStatus(row.status)
    execution.stop_date = parse_time(row.stop_date)
    execution.output = row.output
    execution.error = row.error
    execution.cause = row.cause
    execution.exec_worker = InertWorker(row.history or [])
    return execution


def _as_started(row: ExecutionRow) -> ExecutionRow:
    """A RUNNING row as a record: its history is what the journal knows (the start)."""
    started = {
        "id": 1,
        "previousEventId": 0,
        "timestamp": row.start_date,
        "type": "ExecutionStarted",
        "executionStartedEventDetails": {"input": row.input, "inputDetails": {"truncated": False}},
    }
    return ExecutionRow(**{**row.__dict__, "history": [started]})


def status_change_detail(row: ExecutionRow) -> dict[str, Any]:
    """The detail of the "Step Functions Execution Status Change" event a finished row's
    execution sent (moto_patches.status_change_event, from the journal instead of moto)."""

    def epoch_ms(text: str | None) -> int | None:
        when = parse_time(text)
        return None if when is None else int(when.timestamp() * 1000)

    return {
        "executionArn": row.arn,
        "stateMachineArn": row.state_machine_arn,
        "name": row.name,
        "status": row.status,
        "startDate": epoch_ms(row.start_date),
        "stopDate": epoch_ms(row.stop_date),
        "input": row.input,
        "output": row.output,
        "error": row.error,
        "cause": row.cause,
    }


def ended_after_the_fact(row: ExecutionRow, *, output: str, stop_date: datetime) -> ExecutionRow:
    """A RUNNING row whose run had done all its work when the process died (its last task had
    recorded the outcome): ended, with what the journal knows of its history (start and end)."""
    start = row.start_date
    stop = iso(stop_date) or start
    history = [
        {
            "id": 1,
            "previousEventId": 0,
            "timestamp": start,
            "type": "ExecutionStarted",
            "executionStartedEventDetails": {"input": row.input, "inputDetails": {"truncated": False}},
        },
        {
            "id": 2,
            "previousEventId": 1,
            "timestamp": stop,
            "type": "ExecutionSucceeded",
            "executionSucceededEventDetails": {"output": output, "outputDetails": {"truncated": False}},
        },
    ]
    return ExecutionRow(
        arn=row.arn,
        name=row.name,
        state_machine_arn=row.state_machine_arn,
        status="SUCCEEDED",
        input=row.input,
        output=output,
        error=None,
        cause=None,
        start_date=start,
        stop_date=stop,
        history=history,
        source_bucket=row.source_bucket,
        source_key=row.source_key,
        source_version=row.source_version,
    )


def add_restored(row: ExecutionRow, account_id: str, region_name: str) -> bool:
    """Put one finished row back as an inert execution; False if its machine is gone."""
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    sfn: Any = stepfunctions_parser_backends[account_id][region_name]
    try:
        machine = sfn.describe_state_machine(row.state_machine_arn)
    except Exception:  # a machine no longer provisioned
        return False
    if not any(e.exec_arn == row.arn for e in machine.executions):
        machine.executions.append(restored_execution(row, machine, account_id, region_name))
    return True


@dataclass
class RestoreReport:
    objects: int = 0
    items: int = 0
    finished_executions: int = 0
    skipped: list[str] = field(default_factory=list)
    running: list[ExecutionRow] = field(default_factory=list)
    unnotified: list[ObjectRow] = field(default_factory=list)


def restore(journal: Journal, account_id: str, region_name: str, *, running_as_records: bool = False) -> RestoreReport:
    """Put the journal's objects, items and finished executions back into moto's backends.
    Returns what is left to do: executions that were RUNNING, objects still owed a notification.
    `running_as_records` (a read-only cloud): RUNNING executions are also put back as inert
    records that describe as RUNNING (nothing resumes them)."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.s3.models import FakeDeleteMarker, s3_backends

    report = RestoreReport()
    s3 = s3_backends[account_id]["aws"]
    ddb = dynamodb_backends[account_id][region_name]
    with journal.suspended():
        for row in journal.objects():
            if row.bucket not in s3.buckets:
                s3.create_bucket(row.bucket, region_name)
            bucket = s3.get_bucket(row.bucket)
            if row.versioned and not bucket.is_versioned:
                bucket.versioning_status = "Enabled"
            if row.kind == "delete_marker":
                versions = list(bucket.keys.getlist(row.key, []) or [])
                if not versions:
                    continue
                marker = FakeDeleteMarker(key=versions[-1])
                marker._version_id = row.version_id
                marker.last_modified = naive_utc(row.last_modified, marker.last_modified)
                bucket.keys.setlist(row.key, [*versions, marker])
                continue
            key = s3.put_object(row.bucket, row.key, row.body or b"", disable_notification=True)
            if row.versioned:
                key._version_id = row.version_id
            key.last_modified = naive_utc(row.last_modified, key.last_modified)
            if row.metadata:
                key.set_metadata(dict(row.metadata))
            report.objects += 1
            if not row.notified:
                report.unnotified.append(row)
        for item in journal.items():
            if item.table_name not in ddb.tables:
                report.skipped.append(f"item of unknown table {item.table_name}")
                continue
            ddb.put_item(item.table_name, item.item)
            report.items += 1
        for execution in journal.executions():
            if not execution.finished:
                report.running.append(execution)
                if running_as_records:
                    add_restored(_as_started(execution), account_id, region_name)
                continue
            if add_restored(execution, account_id, region_name):
                report.finished_executions += 1
            else:
                report.skipped.append(f"execution of unknown state machine {execution.arn}")
    return report


def owed_notifications(report: RestoreReport, journal: Journal) -> list[ObjectRow]:
    """Objects whose notification a crash cut short and that started no execution at all (an
    execution row naming the object means the notification got through)."""
    started = {
        (e.source_bucket, e.source_key, e.source_version) for e in journal.executions() if e.source_key is not None
    }
    owed = []
    for row in report.unnotified:
        if (row.bucket, row.key, row.version_id) in started or (row.bucket, row.key, row.etag) in started:
            continue
        owed.append(row)
    return owed


def notify_again(row: ObjectRow, account_id: str) -> None:
    """Send the ObjectCreated notification a restored object is owed (the rule starts its run)."""
    from moto.s3.models import s3_backends

    s3 = s3_backends[account_id]["aws"]
    bucket = s3.get_bucket(row.bucket)
    key = next((k for k in bucket.keys.getlist(row.key, []) or [] if str(k.version_id) == row.version_id), None)
    if key is not None:
        send_created_event(s3, bucket, key)
