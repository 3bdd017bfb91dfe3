"""`icpa serve`: the local cloud as a long-running server on 127.0.0.1 that loses nothing.

    127.0.0.1:<port>      moto's AWS-compatible endpoint (ThreadedMotoServer, in this process),
                          sharing its backends with the in-process handlers: an upload from the
                          aws CLI or any boto3 client starts the workflow as on AWS
    127.0.0.1:<port+1>    the reviewers' API: the real handler behind a bearer-token adapter,
                          and the reviewer console at /console/ (console/)
    <inbox>/              dropped files are uploaded to s3://<inbox bucket>/claims/<name>
    <data-dir>/           journal.sqlite3 (everything, write-through), reviewers.json (tokens),
                          server.json (where this server listens), logs/handlers.jsonl

SIGINT / SIGTERM stop it cleanly (exit 0): inbox, review API, endpoint, journal, in that order.
A SIGKILL loses nothing either: the next start restores the journal and resumes what was
running (persistence.py, LocalCloud._resume).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from icpa_local import moto_patches
from icpa_local.cloud import LocalCloud
from icpa_local.console import LOCAL_CONFIG, Console
from icpa_local.console.picture import GRAPH_PATH, review_picture
from icpa_local.datadir import DataDir, DataDirBusy
from icpa_local.inbox import InboxEvent, InboxWatcher
from icpa_local.results import ROUTES
from icpa_local.reviewapi import ReviewApiServer
from icpa_local.reviewers import ReviewerTokens
from icpa_review_callback import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port free for this port and the next one (the review API's)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port < 65535 and port_is_free(port + 1):
            return port
    raise RuntimeError("no free pair of ports on 127.0.0.1")


def load_overrides(spec: str | None) -> Mapping[str, Callable[[dict[str, Any], Any], Any]] | None:
    """`module:function` returning {logical id: handler} (tests run serve with fake services)."""
    if not spec:
        return None
    module_name, _, attr = spec.partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    overrides: Mapping[str, Callable[[dict[str, Any], Any], Any]] = factory()
    return overrides


class Server:
    def __init__(
        self,
        data_dir: DataDir,
        *,
        port: int,
        review_port: int,
        inbox: Path,
        time_scale: float,
        handler_overrides: Mapping[str, Callable[[dict[str, Any], Any], Any]] | None = None,
        out: TextIO | None = None,
        workers: int = 0,
    ) -> None:
        self.data_dir = data_dir.ensure()
        self.port = port
        self.review_port = review_port
        self.inbox = inbox
        self.out = out or sys.stdout
        self.tokens = ReviewerTokens.load_or_create(data_dir.reviewers)
        self.cloud = LocalCloud(
            time_scale=time_scale,
            data_dir=data_dir.root,
            server_port=port,
            log_path=data_dir.logs / "handlers.jsonl",
            handler_overrides=handler_overrides,
            workers=workers,
        )
        self.api: ReviewApiServer | None = None
        self.watcher: InboxWatcher | None = None
        self.started_at: datetime | None = None
        self._lock = threading.Lock()

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def health(self) -> dict[str, Any]:
        """The unauthenticated health document: up, and which review API. Where things are on
        this machine (data directory, pid, inbox) goes only to the private server-info file."""
        return {"service": "icpa-serve", "status": "ok", "version": __version__}

    def server_info(self) -> dict[str, Any]:
        n = self.cloud.names
        return {
            "service": "icpa-serve",
            "endpoint": self.endpoint_url,
            "review_api": f"http://127.0.0.1:{self.review_port}",
            "data_dir": str(self.data_dir.root),
            "inbox": str(self.inbox),
            "pid": os.getpid(),
            "started_at": None if self.started_at is None else self.started_at.isoformat(),
            "buckets": {
                "inbox": n.inbox_bucket,
                "documents": n.documents_bucket,
                "quarantine": n.quarantine_bucket,
                "archive": n.archive_bucket,
            },
        }

    def start(self) -> float:
        """Returns the seconds it took (restore and resume included)."""
        began = time.monotonic()
        # Bind the review API first: a busy port fails here, before anything else starts.
        self.api = ReviewApiServer(
            self.cloud.invoke_review_api,
            self.tokens.reviewer_for,
            port=self.review_port,
            health=self.health,
            console=Console({**LOCAL_CONFIG, "graphPath": GRAPH_PATH}),
            pictures=lambda review_id: review_picture(self.cloud, review_id),
        )
        self.cloud.start()
        moto_patches.STATE.on_execution_ended.append(self._report_ended)
        self.api.start()
        self.watcher = InboxWatcher(
            self.inbox, self._upload, stored_etag=self._stored_etag, on_event=self._report_inbox
        ).start()
        self.started_at = datetime.now(UTC)
        self.data_dir.write_server_info(self.server_info())
        return time.monotonic() - began

    def stop(self) -> None:
        with contextlib.suppress(ValueError):
            moto_patches.STATE.on_execution_ended.remove(self._report_ended)
        with self._lock:
            if self.watcher is not None:
                self.watcher.stop()
                self.watcher = None
            if self.api is not None:
                self.api.stop()
                self.api = None
            if self.started_at is not None:  # only the address this server wrote
                self.data_dir.clear_server_info()
                self.started_at = None
            self.cloud.stop()

    # -- the inbox folder --------------------------------------------------------------------

    def _upload(self, body: bytes, key: str) -> None:
        self.cloud.client("s3").put_object(Bucket=self.cloud.names.inbox_bucket, Key=key, Body=body)

    def _stored_etag(self, key: str) -> str | None:
        s3 = self.cloud.client("s3")
        try:
            return str(s3.head_object(Bucket=self.cloud.names.inbox_bucket, Key=key)["ETag"]).strip('"')
        except s3.exceptions.ClientError:
            return None

    def _report_inbox(self, event: InboxEvent) -> None:
        if event.status == "accepted":
            self._say(f"inbox: {event.name} -> s3://{self.cloud.names.inbox_bucket}/{event.key}")
        elif event.status == "failed":
            self._say(f"inbox: {event.name} -> failed/ ({event.detail})")
        else:
            self._say(f"inbox: {event.name}: {event.detail}")

    def _report_ended(self, execution: Any) -> None:
        """One line per finished execution: its outcome, as `icpa process` would show it."""
        with contextlib.suppress(Exception):  # a log line must never fail an execution
            self._say(outcome_line(execution))

    def _say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    # -- the banner ----------------------------------------------------------------------------

    def banner(self, seconds: float) -> str:
        n = self.cloud.names
        restored = self.cloud.restored
        lines = [
            f"icpa serve: the local cloud is up ({seconds:.1f} s)",
            f"  endpoint     {self.endpoint_url}   (aws --endpoint-url {self.endpoint_url} ...)",
            f"  review API   http://127.0.0.1:{self.review_port}   (Authorization: Bearer <token>)",
            f"  console      http://127.0.0.1:{self.review_port}/console/   (sign in with a reviewer token)",
            f"  buckets      inbox s3://{n.inbox_bucket}/claims/   documents s3://{n.documents_bucket}   "
            f"quarantine s3://{n.quarantine_bucket}   archive s3://{n.archive_bucket}",
            f"  inbox folder {self.inbox}",
            f"  data dir     {self.data_dir.root}",
            f"  handler logs {self.data_dir.logs / 'handlers.jsonl'}",
            "  reviewer tokens (also in reviewers.json):",
        ]
        lines += [f"    {reviewer:<12} {token}" for reviewer, token in self.tokens.items()]
        if restored is not None and (
            restored.objects or restored.items or restored.finished_executions or restored.running
        ):
            lines.append(
                f"  restored     {restored.objects} objects, {restored.items} items, "
                f"{restored.finished_executions} finished executions; resumed {len(self.cloud.resumed)} "
                f"that had no outcome"
            )
        lines.append("ready (Ctrl-C to stop)")
        return "\n".join(lines)


def outcome_line(execution: Any) -> str:
    """`outcome: <execution> CLAIM OUTCOME (route) reasons` from a finished moto execution."""
    status = str(getattr(execution.exec_status, "value", execution.exec_status))
    output = execution.output
    document = json.loads(output) if isinstance(output, str) and output else (output or {})
    ended = (document.get("record") or document.get("quarantine") or {}) if isinstance(document, dict) else {}
    if status != "SUCCEEDED" or not ended:
        why = execution.error or status
        return f"outcome: {execution.name} ERROR ({why}; icpa redrive CLAIM_ID processes it again)"
    route = ROUTES.get((document.get("routing") or {}).get("route", ""), "NONE")  # process's words
    reasons = ", ".join(ended.get("reason_codes") or []) or "-"
    return f"outcome: {execution.name} {ended.get('claim_id', '-')} {ended.get('outcome')} ({route}) {reasons}"


def run_serve(
    data_dir: DataDir,
    *,
    port: int,
    inbox: Path | None,
    time_scale: float,
    handlers: str | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    workers: int = 0,
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    if port == 0:
        port = free_port()
    review_port = port + 1
    for needed in (port, review_port):
        if not port_is_free(needed):
            err.write(f"icpa serve: 127.0.0.1:{needed} is in use (pick another --port)\n")
            return EXIT_USAGE
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    server = Server(
        data_dir,
        port=port,
        review_port=review_port,
        inbox=inbox or data_dir.inbox,
        time_scale=time_scale,
        handler_overrides=load_overrides(handlers),
        out=out,
        workers=workers,
    )
    journal = data_dir.journal
    if journal.exists():
        size = sum(f.stat().st_size for f in journal.parent.glob(journal.name + "*") if f.is_file())
        out.write(f"icpa serve: restoring the local cloud from {journal} ({size / 1e6:.1f} MB)\n")
        out.flush()
    try:
        try:
            seconds = server.start()
        except DataDirBusy as exc:
            err.write(f"icpa serve: {exc}\n")
            return EXIT_USAGE
        out.write(server.banner(seconds) + "\n")
        out.flush()
        while not stop.wait(0.5):
            pass
        out.write("icpa serve: stopping\n")
        out.flush()
        server.stop()
        out.write("icpa serve: stopped (journal closed)\n")
        out.flush()
        return EXIT_OK
    finally:
        with contextlib.suppress(Exception):
            server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
