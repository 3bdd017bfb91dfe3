"""LocalCloud: the deployed topology on one laptop.

The real ASL runs on moto's Step Functions interpreter; the real handlers run in-process under
their template logical ids; an upload to the inbox bucket starts an execution through the real
EventBridge rule (pattern and input transformer from orchestration/). Retry intervals, waits and
timeouts run on a time scale, so nothing waits real minutes and the ASL stays unchanged.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from icpa_local import logrouting, moto_patches, persistence, provisioning, recovery
from icpa_local.datadir import DataDir, DataDirLock
from icpa_local.functions import FUNCTIONS, load_handler
from icpa_local.resources import ACCOUNT, REGION, Names, scaled_deadlines
from icpa_local.session import TERMINAL, ClaimResult, CloudSession
from icpa_local.starts import InboxStarts
from icpa_local.workers import RemoteHandler, WorkerPool

__all__ = ["DEFAULT_TIME_SCALE", "LOCAL_REVIEWER_GROUP", "TERMINAL", "ClaimResult", "LocalCloud"]

DEFAULT_TIME_SCALE = 0.01
LOCAL_REVIEWER_GROUP = "claims-reviewers"
SETTLE_TIMEOUT = 60.0


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
    `workers`: run the handlers in that many worker processes (icpa_local.workers), each one
    Lambda container, while this process keeps every backend and the interpreter: the local
    cloud on more than one core. 0 (the default): the handlers run in this process.
    `wrap_handlers`: called with (logical id, handler) for every function, returns what runs
    (a benchmark's timing or a test's hook around the real handler, in-process or in a worker).
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
        workers: int = 0,
        wrap_handlers: Callable[[str, Callable[[dict[str, Any], Any], Any]], Callable[[dict[str, Any], Any], Any]]
        | None = None,
    ) -> None:
        if workers < 0:
            raise ValueError("workers must be 0 (in-process handlers) or more")
        self.names = names or Names()
        self.time_scale = time_scale
        self.log_path = log_path
        self.data_dir = DataDir(data_dir) if data_dir is not None else None
        self.server_port = server_port
        self.settle_timeout = settle_timeout
        self.read_only = read_only
        self.archived_at_restore: list[str] = []  # executions that ended before a crash, archived now
        self._overrides = dict(handler_overrides or {})
        self.workers = workers
        self._wrap = wrap_handlers
        self.pool: WorkerPool | None = None
        self._seed_policies = seed_policies
        self._mock: Any = None
        self._server: Any = None
        self._lock: DataDirLock | None = None
        self.journal: persistence.Journal | None = None
        self.restored: persistence.RestoreReport | None = None
        self.resumed: list[str] = []  # executions restarted (or started) by the restore
        self._saved_env: dict[str, str | None] = {}
        self.starts = InboxStarts()
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
        env = {**_aws_env(), **self.names.settings_env(), **scaled_deadlines(self.time_scale)}
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
        moto_patches.STATE.on_execution_started.append(self.starts.record)
        if self.workers and not self.read_only:
            remote = {
                logical_id: FUNCTIONS[logical_id] for logical_id in FUNCTIONS if logical_id not in self._overrides
            }
            self.pool = WorkerPool(self.workers, remote)  # their imports overlap provisioning
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
            persistence.TASK_REPLAY.clear()  # as a process exit would: not the next cloud's plans
            if persistence.on_execution_ended in moto_patches.STATE.on_execution_ended:
                moto_patches.STATE.on_execution_ended.remove(persistence.on_execution_ended)
            self.journal.close()
            self.journal = None
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self.starts.record in moto_patches.STATE.on_execution_started:
            moto_patches.STATE.on_execution_started.remove(self.starts.record)
        if self.pool is not None:
            self.pool.close()
            self.pool = None
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
        self.resumed = recovery.resume(self.client, self.names, self.restored, journal, self.starts)
        self.archived_at_restore = recovery.archive_unarchived(
            self.client, self.names, journal, settle_timeout=self.settle_timeout
        )
        if self.resumed:
            self.wait_settled(self.resumed, timeout=self.settle_timeout)

    # -- provisioning (idempotent: safe to run again at every start) ------------------------

    def register_handlers(self) -> None:
        remote: set[str] = set()
        for logical_id in FUNCTIONS:
            handler = self._overrides.get(logical_id)
            if handler is None and self.pool is not None:
                handler = RemoteHandler(self.pool, logical_id)
                remote.add(logical_id)
            elif handler is None:
                handler = load_handler(logical_id)
            if self._wrap is not None:
                handler = self._wrap(logical_id, handler)
            moto_patches.STATE.handlers[logical_id] = handler
        moto_patches.STATE.out_of_process = frozenset(remote)

    def provision(self) -> None:
        provisioning.provision(self.client, self.names)
        if self._seed_policies:
            self.seed_policies()

    def seed_policies(self, policies: list[dict[str, Any]] | None = None) -> int:
        return provisioning.seed_policies(self.client, self.names, policies)

    # -- running claims --------------------------------------------------------------------

    def upload(self, body: bytes, key: str) -> str:
        """Put a claim file in the inbox; returns the execution the rule started for it."""
        if not key.startswith("claims/"):
            key = f"claims/{key}"
        self.starts.forget_start(self.names.inbox_bucket, key)
        self.client("s3").put_object(Bucket=self.names.inbox_bucket, Key=key, Body=body)
        arn = self.starts.wait_for(self.names.inbox_bucket, key, timeout=10)
        if arn is None:
            raise RuntimeError(f"no execution started for s3://{self.names.inbox_bucket}/{key}")
        return arn

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
        self,
        method: str,
        path: str,
        *,
        reviewer: str | None,
        body: Any = None,
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
