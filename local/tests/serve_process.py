"""Driving a real `icpa serve` process over loopback (boto3 + HTTP), shared by the serve tests
and the fault suites: start, SIGKILL, SIGTERM, another icpa command against it, unique claims."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import local_fakes

import icpa_local.cli as icpa_cli
from icpa_local.remote import RemoteCloud, probe
from icpa_local.reviewers import ReviewerTokens
from icpa_local.serve import free_port

FAKE_FRAUD = f"{local_fakes.__name__}:fraud_only"
START_TIMEOUT = 120.0
HUMAN = "dana.reyes"


def sample(name: str) -> bytes:
    return resources.files("icpa_local").joinpath(f"samples/{name}").read_bytes()


def variant(name: str, n: int, prefix: str) -> tuple[str, bytes]:
    """A sample claim made unique (id, dates, cents), so each is its own claim to intake and fraud."""
    claim = json.loads(sample(name))
    claim["claim_id"] = f"{prefix}-{n:04d}"
    shift = timedelta(days=3 * n)
    for line in claim["lines"]:
        line["service_date"] = (date.fromisoformat(line["service_date"]) - shift).isoformat()
        line["charge"]["amount"] = str(Decimal(line["charge"]["amount"]) + Decimal(n + 1) / 100)
    dates = sorted(line["service_date"] for line in claim["lines"])
    claim["service_date_from"], claim["service_date_to"] = dates[0], dates[-1]
    claim["total_charge"]["amount"] = str(sum(Decimal(line["charge"]["amount"]) for line in claim["lines"]))
    return claim["claim_id"], json.dumps(claim).encode()


def eventually(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def child_env() -> dict[str, str]:
    """The environment for another icpa process: this one's import path (whatever layout the
    test runner gave it: the source roots of the modules in use come first), no AWS settings."""
    files = [
        getattr(module, "__file__", None)
        for name, module in list(sys.modules.items())
        if name.startswith("icpa_") and "." not in name
    ]
    roots = [str(Path(file).resolve().parents[1]) for file in files if file]
    roots.append(str(Path(local_fakes.__file__ or ".").resolve().parent))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ICPA_", "AWS_", "MOTO_"))}
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([*roots, *(str(Path(p).resolve()) for p in sys.path if p)]))
    return env


class Serve:
    """One `python -m icpa_local.cli serve` process."""

    def __init__(self, data_dir: Path, *, handlers: str | None = FAKE_FRAUD, inbox: Path | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.handlers = handlers
        self.inbox = inbox
        self.process: subprocess.Popen[bytes] | None = None
        self.logs: list[Path] = []

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def review_url(self) -> str:
        return f"http://127.0.0.1:{self.port + 1}"

    def start(self) -> float:
        """Start and wait until the review API answers; returns the seconds that took."""
        env = child_env()
        argv = [
            sys.executable,
            "-m",
            icpa_cli.__name__,
            "serve",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
        ]
        if self.handlers:
            argv += ["--handlers", self.handlers]
        if self.inbox:
            argv += ["--inbox", str(self.inbox)]
        log = self.data_dir.parent / f"serve-{len(self.logs)}.out"
        self.logs.append(log)
        began = time.monotonic()
        with log.open("wb") as out:
            self.process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
        while probe(self.review_url, timeout=0.5) is None:
            if self.process.poll() is not None:
                raise AssertionError(f"icpa serve exited {self.process.returncode}:\n{self.output()}")
            if time.monotonic() - began > START_TIMEOUT:
                raise AssertionError(f"icpa serve not up after {START_TIMEOUT}s:\n{self.output()}")
            time.sleep(0.1)
        return time.monotonic() - began

    def output(self, index: int = -1) -> str:
        return self.logs[index].read_text(errors="replace") if self.logs else ""

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def terminate(self, sig: signal.Signals = signal.SIGTERM) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        return self.process.wait(timeout=60)

    def stop_if_running(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def session(self) -> RemoteCloud:
        return RemoteCloud(self.endpoint, self.review_url, tokens=ReviewerTokens.load(self.data_dir / "reviewers.json"))

    def token(self, reviewer: str) -> str:
        token = ReviewerTokens.load(self.data_dir / "reviewers.json").token_for(reviewer)
        assert token is not None
        return token

    def icpa(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Another icpa command, finding this server through the data directory."""
        env = child_env()
        return subprocess.run(
            [sys.executable, "-m", icpa_cli.__name__, *args, "--data-dir", str(self.data_dir)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )


@contextlib.contextmanager
def server_pool(data_dir: Path) -> Iterator[Callable[..., Serve]]:
    """`make(**kwargs)` -> a Serve on `data_dir`; every one still running is killed at the end
    (a test's fixture: `with server_pool(tmp_path / "data") as make: yield make`)."""
    started: list[Serve] = []

    def make(**kwargs: Any) -> Serve:
        server = Serve(data_dir, **kwargs)
        started.append(server)
        return server

    try:
        yield make
    finally:
        for server in started:
            server.stop_if_running()


def outcome_of(cloud: RemoteCloud, claim_id: str) -> str | None:
    record = cloud.claim_record(claim_id)
    return None if record is None else str(record["outcome"])


def audit_steps(cloud: RemoteCloud, claim_id: str) -> list[dict[str, Any]]:
    items = cloud.client("dynamodb").query(
        TableName=cloud.names.audit_table,
        KeyConditionExpression="claim_id = :c",
        ExpressionAttributeValues={":c": {"S": claim_id}},
        ConsistentRead=True,
    )["Items"]
    return [json.loads(item["event"]["S"]) for item in items]
