"""LocalCloud: the deployed topology on one laptop.

The real ASL runs on moto's Step Functions interpreter; the real handlers run in-process under
their template logical ids; an upload to the inbox bucket starts an execution through the real
EventBridge rule (pattern and input transformer from orchestration/). Retry intervals, waits and
timeouts run on a time scale, so nothing waits real minutes and the ASL stays unchanged.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import threading
import time
import warnings
import zipfile
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from icpa_local import logrouting, moto_patches, persistence
from icpa_local.datadir import DataDir, DataDirLock
from icpa_local.functions import FUNCTIONS, load_handler
from icpa_local.resources import ACCOUNT, REGION, Names, table_definitions
from icpa_local.session import TERMINAL, ClaimResult, CloudSession

__all__ = ["DEFAULT_TIME_SCALE", "LOCAL_REVIEWER_GROUP", "TERMINAL", "ClaimResult", "LocalCloud"]

DEFAULT_TIME_SCALE = 0.01
LOCAL_REVIEWER_GROUP = "claims-reviewers"
SETTLE_TIMEOUT = 60.0
log = logging.getLogger("icpa_local")


def _aws_env() -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",  # moto's fake credentials
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "ICPA",
        "POWERTOOLS_SERVICE_NAME": "icpa-local",
    }


def _dummy_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("lambda_function.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


class LocalCloud(CloudSession):
    """Use as a context manager: `with LocalCloud() as cloud: cloud.process(path)`.

    `data_dir`: keep everything in that directory's journal and restore it at the next start
    (see persistence.py); the cloud owns the directory while it runs. Without it, nothing
    outlives the process (tests, benchmarks).
    `server_port`: also serve moto's AWS-compatible endpoint on 127.0.0.1:<port> (icpa serve).
    `read_only`: restore the data directory's state for reading and nothing else: no execution
    is started or resumed, no handler runs for the workflow, nothing is journaled, and the data
    directory is not locked (icpa status, reviews, audit). RUNNING executions answer describe
    as RUNNING records.
    """

    def __init__(
        self,
        *,
        time_scale: float = DEFAULT_TIME_SCALE,
        names: Names | None = None,
        log_path: Path | None = None,
        handler_overrides: Mapping[str, Callable[[dict[str, Any], Any], Any]] | None = None,
        seed_policies: bool = True,
        data_dir: Path | None = None,
        server_port: int | None = None,
        settle_timeout: float = SETTLE_TIMEOUT,
        read_only: bool = False,
    ) -> None:
        self.names = names or Names()
        self.time_scale = time_scale
        self.log_path = log_path
        self.data_dir = DataDir(data_dir) if data_dir is not None else None
        self.server_port = server_port
        self.settle_timeout = settle_timeout
        self.read_only = read_only
        self.archived_at_restore: list[str] = []  # executions that ended before a crash, archived now
        self._overrides = dict(handler_overrides or {})
        self._seed_policies = seed_policies
        self._mock: Any = None
        self._server: Any = None
        self._lock: DataDirLock | None = None
        self.journal: persistence.Journal | None = None
        self.restored: persistence.RestoreReport | None = None
        self.resumed: list[str] = []  # executions restarted (or started) by the restore
        self._saved_env: dict[str, str | None] = {}
        self._started: dict[tuple[str, str], str] = {}  # (bucket, key) -> execution arn
        self._started_lock = threading.Condition()
        self.logs: logrouting.HandlerLogRouter | None = None
        self._clients: dict[str, Any] = {}

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> LocalCloud:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def close(self) -> None:
        self.stop()

    @property
    def endpoint_url(self) -> str | None:
        return None if self.server_port is None else f"http://127.0.0.1:{self.server_port}"

    def start(self) -> None:
        if self._mock is not None:
            return  # already running (a session handed out started, then used in a `with`)
        if self.data_dir is not None and not self.read_only:
            self._lock = self.data_dir.lock()  # DataDirBusy before anything else changes
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        env = {**_aws_env(), **self.names.settings_env()}
        if self.server_port is not None:
            # The interpreter's own AWS calls go to localhost:$MOTO_PORT when not intercepted.
            env["MOTO_PORT"] = str(self.server_port)
        for key, value in env.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value
        self.logs = logrouting.router()
        self.logs.open(self.log_path)
        # Powertools keeps metric state per class: on Lambda one invocation runs at a time, here
        # many handlers share one process, and its "dimension already added" / "no metrics"
        # warnings would only be noise on the terminal.
        warnings.filterwarnings("ignore", module=r"aws_lambda_powertools(\..*)?$")
        moto_patches.install(self.time_scale)
        if self.data_dir is not None:
            persistence.install_hooks()
        if self.read_only:
            moto_patches.STATE.emit_status_events = False  # nothing ends here; nothing to archive
        from moto import mock_aws

        # execute_state_machine before any CreateStateMachine (the two modes keep separate
        # backends). A served cloud keeps the backends the server shares (reset=False).
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start(reset=self.server_port is None)
        from icpa_shared.adapters.aws import reset_clients

        reset_clients()
        self._clients = {}
        moto_patches.STATE.on_execution_started.append(self._record_start)
        self.register_handlers()
        self.provision()
        if self.data_dir is not None:
            self._restore(self.data_dir)
        if self.server_port is not None:
            self._serve(self.server_port)

    def stop(self) -> None:
        if self._mock is not None and not self.read_only:
            self.wait_idle(timeout=5.0)
        # The journal goes first: work still running at teardown must not journal the state
        # of backends that are being torn down (a RUNNING execution stays RUNNING: resumed).
        if self.journal is not None:
            persistence.activate(None)
            if persistence.on_execution_ended in moto_patches.STATE.on_execution_ended:
                moto_patches.STATE.on_execution_ended.remove(persistence.on_execution_ended)
            self.journal.close()
            self.journal = None
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._record_start in moto_patches.STATE.on_execution_started:
            moto_patches.STATE.on_execution_started.remove(self._record_start)
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
        if self.logs is not None:
            self.logs.close()
        if self.read_only:
            moto_patches.STATE.emit_status_events = True
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env = {}
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _serve(self, port: int) -> None:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request on the terminal
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self._server.start()

    def client(self, service: str) -> Any:
        if service not in self._clients:
            import boto3

            self._clients[service] = boto3.client(service, region_name=REGION)  # type: ignore[call-overload]
        return self._clients[service]

    # -- persistence ---------------------------------------------------------------------------

    def _restore(self, data_dir: DataDir) -> None:
        """Put the journal back, then resume what had no outcome yet and archive what ended
        unarchived. Read-only: put it back, and that is all."""
        journal = persistence.Journal(data_dir.journal)
        self.restored = persistence.restore(journal, ACCOUNT, REGION, running_as_records=self.read_only)
        if self.read_only:
            journal.close()  # nothing this cloud does is kept
            return
        self.journal = journal
        persistence.activate(journal)
        moto_patches.STATE.on_execution_ended.append(persistence.on_execution_ended)
        self.resumed = self._resume(self.restored, journal)
        self.archived_at_restore = self.archive_unarchived(journal)
        if self.resumed:
            self.wait_settled(self.resumed, timeout=self.settle_timeout)

    def archive_unarchived(self, journal: persistence.Journal) -> list[str]:
        """Executions that ended but whose archiving died with the previous process (the
        archiver runs asynchronously after the end): their status change goes on the bus again,
        where the archive rule invokes the archiver as it would have. Returns their arns."""
        from icpa_audit.models import ARCHIVE_SUFFIX

        s3 = self.client("s3")
        archived: set[str] = set()
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.names.archive_bucket):
            archived.update(obj["Key"].rsplit("/", 1)[-1].removesuffix(ARCHIVE_SUFFIX)
                            for obj in page.get("Contents", []))
        machine = self.names.state_machine_arn()
        owed = [row for row in journal.executions()
                if row.finished and row.state_machine_arn == machine and row.name not in archived]
        events = self.client("events")
        for row in owed:
            events.put_events(Entries=[{
                "Source": "aws.states", "DetailType": "Step Functions Execution Status Change",
                "Resources": [row.arn], "Detail": json.dumps(persistence.status_change_detail(row)),
            }])
        if owed:
            moto_patches.wait_for_async_invocations(self.settle_timeout)
        return [row.arn for row in owed]

    def _resume(self, report: persistence.RestoreReport, journal: persistence.Journal) -> list[str]:
        """Claims that had no outcome continue from where they were. A RUNNING execution
        restarts with its name and input (same ARN) and replays the tasks it had done from the
        journal; the task in flight at the crash runs again (the handlers are idempotent); a
        parked review gets a new task token when the restarted run reaches the wait again."""
        self.expire_interrupted_invocations()
        sfn = self.client("stepfunctions")
        arns: list[str] = []
        decided = self._decisions_recorded_by({row.arn for row in report.running})
        for row in report.running:
            if row.arn in decided:
                # Its last task had recorded the claim's decision: nothing of it is left to run,
                # and running it again would record the decision twice.
                ended = persistence.ended_after_the_fact(
                    row, output=json.dumps({"record": decided[row.arn]}), stop_date=datetime.now(UTC))
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
            with self._started_lock:
                self._started.pop((obj.bucket, obj.key), None)
            persistence.notify_again(obj, ACCOUNT)
            journal.mark_notified(obj.bucket, obj.key, obj.version_id)
            with self._started_lock:
                arn = self._started.get((obj.bucket, obj.key))
            if arn is not None:
                arns.append(arn)
        return arns

    def _decisions_recorded_by(self, arns: set[str]) -> dict[str, dict[str, Any]]:
        """execution arn -> the ClaimRecord it recorded, for the executions among `arns` whose
        RecordDecision had run to its end (the record written and its decision audit event
        appended, both naming the execution) when the process died."""
        if not arns:
            return {}
        ddb = self.client("dynamodb")
        records: dict[str, dict[str, Any]] = {}
        kwargs: dict[str, Any] = {"TableName": self.names.claims_table, "ConsistentRead": True}
        while True:
            page = ddb.scan(**kwargs)
            for item in page.get("Items", []):
                record = json.loads(item["record"]["S"]) if "record" in item else {}
                if record.get("execution_id") in arns:
                    records[str(record["execution_id"])] = record
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        decided: dict[str, dict[str, Any]] = {}
        for arn, record in records.items():
            events = ddb.query(
                TableName=self.names.audit_table, KeyConditionExpression="claim_id = :c",
                ExpressionAttributeValues={":c": {"S": str(record["claim_id"])}}, ConsistentRead=True,
            )["Items"]
            for item in events:
                event = json.loads(item["event"]["S"]) if "event" in item else {}
                if event.get("step") == "decision" and event.get("execution_id") == arn:
                    decided[arn] = record
        return decided

    def expire_interrupted_invocations(self) -> int:
        """An idempotency record left IN_PROGRESS belongs to an invocation that died with the
        previous process (every handler runs in this one). On AWS it would expire with the
        Lambda timeout; here it expires now, or the restarted run would wait it out."""
        ddb = self.client("dynamodb")
        removed = 0
        kwargs: dict[str, Any] = {
            "TableName": self.names.idempotency_table, "FilterExpression": "#s = :p",
            "ExpressionAttributeNames": {"#s": "status"}, "ExpressionAttributeValues": {":p": {"S": "INPROGRESS"}},
        }
        while True:
            page = ddb.scan(**kwargs)
            for item in page.get("Items", []):
                ddb.delete_item(TableName=self.names.idempotency_table, Key={"id": item["id"]})
                removed += 1
            if "LastEvaluatedKey" not in page:
                return removed
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # -- provisioning (idempotent: safe to run again at every start) ------------------------

    def register_handlers(self) -> None:
        for logical_id in FUNCTIONS:
            moto_patches.STATE.handlers[logical_id] = self._overrides.get(logical_id) or load_handler(logical_id)

    def provision(self) -> None:
        from icpa_orchestration import archive_rule, inbox_rule, render_definition, substitution_names

        n = self.names
        s3, ddb, sns = self.client("s3"), self.client("dynamodb"), self.client("sns")
        existing_buckets = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
        for bucket in (n.inbox_bucket, n.documents_bucket, n.quarantine_bucket, n.archive_bucket):
            if bucket not in existing_buckets:
                s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=n.inbox_bucket, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_notification_configuration(
            Bucket=n.inbox_bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
        tables = set(ddb.list_tables()["TableNames"])
        for definition in table_definitions(n):
            if definition["TableName"] not in tables:
                ddb.create_table(BillingMode="PAY_PER_REQUEST", **definition)
        for topic in (n.reviewers_topic, n.supervisors_topic, n.oncall_topic):
            sns.create_topic(Name=topic)

        iam, lam = self.client("iam"), self.client("lambda")
        role_name = "icpa-local-lambda"
        try:
            role_arn = iam.get_role(RoleName=role_name)["Role"]["Arn"]
        except iam.exceptions.NoSuchEntityException:
            role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        existing_functions = {f["FunctionName"] for f in lam.list_functions()["Functions"]}
        code = _dummy_zip()
        for logical_id in FUNCTIONS:
            if logical_id not in existing_functions:
                lam.create_function(
                    FunctionName=logical_id, Runtime="python3.11", Role=role_arn,
                    Handler="lambda_function.handler", Code={"ZipFile": code}, Timeout=60,
                )

        sfn = self.client("stepfunctions")
        wanted = substitution_names()
        asl = render_definition({f"{fid}Arn": n.function_arn(fid) for fid in FUNCTIONS if f"{fid}Arn" in wanted})
        machines = {m["name"]: m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]}
        if n.state_machine in machines:
            sfn.update_state_machine(stateMachineArn=machines[n.state_machine], definition=asl)
        else:
            sfn.create_state_machine(
                name=n.state_machine, definition=asl, type="STANDARD",
                roleArn=f"arn:aws:iam::{ACCOUNT}:role/icpa-local-states",
            )

        rule = inbox_rule({"InboxBucketName": n.inbox_bucket})
        events = self.client("events")
        events.put_rule(Name=n.inbox_rule, EventPattern=json.dumps(rule["EventPattern"]), State="ENABLED")
        events.put_targets(
            Rule=n.inbox_rule,
            Targets=[{
                "Id": "claims-workflow",
                "Arn": n.state_machine_arn(),
                "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/icpa-local-events",
                "InputTransformer": rule["InputTransformer"],
            }],
        )
        # The audit archiver gets every finished execution, as on AWS (the same rule file).
        archive = archive_rule({"StateMachineArn": n.state_machine_arn()})
        events.put_rule(Name=n.archive_rule, EventPattern=json.dumps(archive["EventPattern"]), State="ENABLED")
        events.put_targets(
            Rule=n.archive_rule, Targets=[{"Id": "archiver", "Arn": n.function_arn("ArchiverFunction")}]
        )
        if self._seed_policies:
            self.seed_policies()

    def seed_policies(self, policies: list[dict[str, Any]] | None = None) -> int:
        if policies is None:
            text = resources.files("icpa_local").joinpath("data/policies.json").read_text()
            policies = json.loads(text)
        ddb = self.client("dynamodb")
        for policy in policies:
            ddb.put_item(
                TableName=self.names.policies_table,
                Item={"policy_id": {"S": policy["policy_id"]}, "policy": {"S": json.dumps(policy)}},
            )
        return len(policies)

    # -- running claims --------------------------------------------------------------------

    def _record_start(self, arn: str, event: dict[str, Any]) -> None:
        detail = event.get("detail", {})
        key = (detail.get("bucket", {}).get("name", ""), detail.get("object", {}).get("key", ""))
        with self._started_lock:
            self._started[key] = arn
            self._started_lock.notify_all()

    def upload(self, body: bytes, key: str) -> str:
        """Put a claim file in the inbox; returns the execution the rule started for it."""
        if not key.startswith("claims/"):
            key = f"claims/{key}"
        with self._started_lock:
            self._started.pop((self.names.inbox_bucket, key), None)
        self.client("s3").put_object(Bucket=self.names.inbox_bucket, Key=key, Body=body)
        with self._started_lock:
            found = self._started_lock.wait_for(lambda: (self.names.inbox_bucket, key) in self._started, timeout=10)
            if not found:
                raise RuntimeError(f"no execution started for s3://{self.names.inbox_bucket}/{key}")
            return self._started[(self.names.inbox_bucket, key)]

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Give running executions (and the archiver they trigger) a moment to finish before
        tearing the mock down."""
        try:
            self._wait_for_executions(timeout)
        finally:
            moto_patches.wait_for_async_invocations(timeout)

    def _wait_for_executions(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        sfn = self.client("stepfunctions")
        try:
            arn = self.names.state_machine_arn()
            while time.monotonic() < deadline:
                running = sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]
                if not running:
                    return
                reviews = self._pending_reviews()
                if all(self._waiting_for_review(e["executionArn"], reviews) for e in running):
                    return
                time.sleep(0.02)
        except Exception:  # best effort at shutdown
            return

    # -- the reviewers' API ----------------------------------------------------------------

    def invoke_review_api(self, event: dict[str, Any]) -> dict[str, Any]:
        """The real review API handler on an API Gateway proxy event (its logs go to the
        handler log, as a Lambda's would)."""
        handler = moto_patches.STATE.handlers["ReviewApiFunction"]
        with moto_patches.running_handler("ReviewApiFunction"):
            response: dict[str, Any] = handler(event, moto_patches.LambdaContext("ReviewApiFunction", "local"))
        return response

    def review_api(
        self, method: str, path: str, *, reviewer: str | None, body: Any = None,
        groups: str = LOCAL_REVIEWER_GROUP,
    ) -> tuple[int, Any]:
        """Call the real review API handler with an API Gateway REST proxy event whose
        authorizer context carries the reviewer's identity (as Cognito would fill it)."""
        from icpa_local.apigateway import rest_event

        event = rest_event(method, path, body=body, reviewer=reviewer, groups=groups)
        response = self.invoke_review_api(event)
        payload = response.get("body")
        with contextlib.suppress(TypeError, ValueError):
            payload = json.loads(payload) if payload else None
        return int(response["statusCode"]), payload
