"""What a restart owes the claims a crash interrupted: resume what had no outcome, close what
had recorded its decision, archive what ended unarchived, notify again what was never started."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from icpa_audit.adapters.recorded_decisions import decisions_recorded_by
from icpa_audit.domain.models import ARCHIVE_SUFFIX
from icpa_local import moto_patches, persistence
from icpa_local.resources import ACCOUNT, REGION, Names

log = logging.getLogger("icpa_local")


class StartRegistry(Protocol):
    """Which execution the inbox rule started for an object (starts.InboxStarts)."""

    def forget_start(self, bucket: str, key: str) -> None: ...

    def started_for(self, bucket: str, key: str) -> str | None: ...


def archive_unarchived(
    client: Callable[[str], Any],
    names: Names,
    journal: persistence.Journal,
    *,
    settle_timeout: float,
) -> list[str]:
    """Executions that ended but whose archiving died with the previous process (the
    archiver runs asynchronously after the end): their status change goes on the bus again,
    where the archive rule invokes the archiver as it would have. Returns their arns."""
    s3 = client("s3")
    archived: set[str] = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=names.archive_bucket):
        archived.update(obj["Key"].rsplit("/", 1)[-1].removesuffix(ARCHIVE_SUFFIX) for obj in page.get("Contents", []))
    machine = names.state_machine_arn()
    owed = [
        row
        for row in journal.executions()
        if row.finished and row.state_machine_arn == machine and row.name not in archived
    ]
    events = client("events")
    for row in owed:
        events.put_events(
            Entries=[
                {
                    "Source": "aws.states",
                    "DetailType": "Step Functions Execution Status Change",
                    "Resources": [row.arn],
                    "Detail": json.dumps(persistence.status_change_detail(row)),
                }
            ]
        )
    if owed:
        moto_patches.wait_for_async_invocations(settle_timeout)
    return [row.arn for row in owed]


def resume(
    client: Callable[[str], Any],
    names: Names,
    report: persistence.RestoreReport,
    journal: persistence.Journal,
    starts: StartRegistry,
) -> list[str]:
    """Claims that had no outcome continue from where they were. A RUNNING execution
    restarts with its name and input (same ARN) and replays the tasks it had done from the
    journal; the task in flight at the crash runs again (the handlers are idempotent); a
    parked review gets a new task token when the restarted run reaches the wait again."""
    sfn = client("stepfunctions")
    arns: list[str] = []
    decided = decisions_recorded_by(
        {row.arn for row in report.running},
        claims_table=names.claims_table,
        audit_table=names.audit_table,
        dynamodb=client("dynamodb"),
    )
    for row in report.running:
        if row.arn in decided:
            # Its last task had recorded the claim's decision: nothing of it is left to run,
            # and running it again would record the decision twice.
            ended = persistence.ended_after_the_fact(
                row, output=json.dumps({"record": decided[row.arn]}), stop_date=datetime.now(UTC)
            )
            journal.execution_ended(ended)
            persistence.add_restored(ended, ACCOUNT, REGION)
            report.finished_executions += 1
            continue
        # The tasks it had done answer from the journal while it replays (no second call).
        persistence.TASK_REPLAY.plan(row.arn, journal.task_results(row.arn))
        try:
            sfn.start_execution(stateMachineArn=row.state_machine_arn, name=row.name, input=row.input)
        except Exception as exc:  # one bad row must not stop the others
            persistence.TASK_REPLAY.forget(row.arn)
            log.warning("restore: could not restart %s: %s", row.arn, exc)
            continue
        arns.append(row.arn)
    for obj in persistence.owed_notifications(report, journal):
        starts.forget_start(obj.bucket, obj.key)
        persistence.notify_again(obj, ACCOUNT)
        journal.mark_notified(obj.bucket, obj.key, obj.version_id)
        arn = starts.started_for(obj.bucket, obj.key)
        if arn is not None:
            arns.append(arn)
    return arns
