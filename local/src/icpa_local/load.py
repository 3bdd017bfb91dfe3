"""`icpa load`: drive the local cloud at a steady rate and report what came out.

    icpa load --claims N --rate R [--endpoint URL]

Claims come from a deterministic builder (`load_batch`): distinct claim ids, members and service
days, so fraud's duplicate and frequency signals see no pattern and each claim decides on its
own merits (mostly approvals, some excluded-service denials, some total mismatches). Their
members are on policies the builder also returns (a policy holds at most 20 members); the run
seeds them first. Uploads are paced by a token bucket; a claim's latency is upload to the end
of its execution. Without --endpoint the run uses an embedded local cloud of its own (nothing
kept); with it, a running `icpa serve`.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import Any, Final

from icpa_local.session import TERMINAL, CloudSession
from icpa_shared.adapters.items import to_attributes

POLICY_SIZE: Final = 20  # the Policy contract's most members
PROVIDERS: Final = ("1234567893", "1555012347", "1666023456", "1777034566", "1888045675")
FIRST_DAY: Final = date(2026, 1, 5)
SERVICE_DAYS: Final = 300  # 2026-01-05 .. 2026-11-01: inside the policy year, never in the future


@dataclass(frozen=True)
class LoadClaim:
    key: str
    body: bytes
    expected: str
    """The outcome the claim decides on its own (APPROVED, DENIED or REJECTED)."""


@dataclass(frozen=True)
class LoadBatch:
    policies: list[dict[str, Any]]
    claims: list[LoadClaim]


def _template_policy() -> dict[str, Any]:
    policies = json.loads(resources.files("icpa_local").joinpath("data/policies.json").read_text())
    gold: dict[str, Any] = next(p for p in policies if p["policy_id"] == "POL-GOLD001")
    return gold


def load_batch(count: int, *, run: int = 1) -> LoadBatch:
    """`count` claims of run `run` (1..999): the same arguments give the same bytes; two runs
    share no claim id, member or policy."""
    if not 1 <= run <= 999:
        raise ValueError("run must be in 1..999")
    template = _template_policy()
    policies: list[dict[str, Any]] = []
    claims: list[LoadClaim] = []
    for n in range(count):
        group = n // POLICY_SIZE
        policy_id = f"POL-L{run:03d}{group:05d}"
        member_id = f"MBR{run:03d}{n:07d}"
        if n % POLICY_SIZE == 0:
            policies.append(
                {**template, "policy_id": policy_id, "subscriber_id": f"SUB{run:03d}{group:07d}", "members": []}
            )
        policies[-1]["members"].append(member_id)
        claim, expected = _claim(
            n, run=run, policy_id=policy_id, member_id=member_id, subscriber_id=policies[-1]["subscriber_id"]
        )
        claims.append(LoadClaim(f"claims/load/{claim['claim_id']}.json", json.dumps(claim).encode(), expected))
    return LoadBatch(policies=policies, claims=claims)


def _claim(n: int, *, run: int, policy_id: str, member_id: str, subscriber_id: str) -> tuple[dict[str, Any], str]:
    served = FIRST_DAY + timedelta(days=n % SERVICE_DAYS)
    kind = n % 20
    procedure, amount, total, expected = "99213", "150.00", "150.00", "APPROVED"
    if kind == 7:
        procedure, amount, total, expected = "80053", "42.00", "42.00", "APPROVED"
    elif kind == 13:
        procedure, expected = "15780", "DENIED"  # cosmetic: excluded by every policy
    elif kind == 19:
        total, expected = "151.00", "REJECTED"  # TOTAL_MISMATCH
    claim = {
        "schema_version": "1.0",
        "claim_id": f"LOAD-{run:03d}-{n:07d}",
        "claim_type": "professional",
        "member_id": member_id,
        "subscriber_id": subscriber_id,
        "policy_id": policy_id,
        "provider_npi": PROVIDERS[n % len(PROVIDERS)],
        "service_date_from": served.isoformat(),
        "service_date_to": served.isoformat(),
        "received_date": (served + timedelta(days=2)).isoformat(),
        "diagnosis_codes": ["J06.9"],
        "lines": [
            {
                "line_number": 1,
                "procedure_code": procedure,
                "modifiers": [],
                "units": 1,
                "charge": {"amount": amount, "currency": "USD"},
                "service_date": served.isoformat(),
                "diagnosis_pointers": [1],
            }
        ],
        "total_charge": {"amount": total, "currency": "USD"},
        "attachments": [],
        "patient": {"name": f"Load Patient {n}", "birth_date": "1980-01-01", "gender": "unknown"},
    }
    return claim, expected


def seed(session: CloudSession, policies: list[dict[str, Any]]) -> None:
    """Put the batch's policies in the policies table (embedded or over the endpoint alike)."""
    ddb = session.client("dynamodb")
    for policy in policies:
        ddb.put_item(
            TableName=session.names.policies_table,
            Item=to_attributes({"policy_id": policy["policy_id"], "policy": json.dumps(policy)}),
        )


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up: `take()` blocks until one is there.
    Kept as the time the next token is due (no float token count to creep below 1)."""

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate, self.burst = rate, max(1, burst)
        self._clock, self._sleep = clock, sleep
        self._due = clock()

    def take(self) -> None:
        now = self._clock()
        earliest = now - (self.burst - 1) / self.rate  # unused time saves up to `burst` tokens
        due = max(self._due, earliest)
        if due > now:
            self._sleep(due - now)
        self._due = due + 1.0 / self.rate


@dataclass
class LoadReport:
    submitted: int = 0
    elapsed_s: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """Claims that ended ERROR or failed, and uploads that started nothing (key: why)."""
    lost: list[str] = field(default_factory=list)
    """Keys with no outcome: no execution started, or still running at the deadline."""
    unexpected: list[str] = field(default_factory=list)
    """Keys whose outcome differs from what the claim decides on its own."""

    @property
    def finished(self) -> int:
        return sum(self.outcomes.values())

    @property
    def claims_per_second(self) -> float:
        return self.finished / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def percentile(self, pct: float) -> float | None:
        """Nearest-rank percentile of the latencies (ms)."""
        if not self.latencies_ms:
            return None
        ordered = sorted(self.latencies_ms)
        rank = max(1, -(-len(ordered) * pct // 100))
        return ordered[int(rank) - 1]

    def as_json(self) -> dict[str, Any]:
        return {
            "submitted": self.submitted,
            "finished": self.finished,
            "elapsed_s": round(self.elapsed_s, 3),
            "claims_per_second": round(self.claims_per_second, 2),
            "latency_ms": {f"p{p}": self.percentile(p) for p in (50, 95, 99)},
            "outcomes": dict(sorted(self.outcomes.items())),
            "errors": self.errors,
            "lost": self.lost,
            "unexpected": self.unexpected,
        }


def run_load(
    session: CloudSession,
    claims: list[LoadClaim],
    *,
    rate: float,
    timeout: float = 120.0,
    on_progress: Callable[[int, int], None] | None = None,
    poll_interval: float = 0.25,
) -> LoadReport:
    """Upload `claims` at `rate` a second while a watcher follows their executions; returns
    once every claim has an outcome or `timeout` seconds after the last upload.
    `on_progress(submitted, finished)` is called as either count changes."""
    for service in ("s3", "stepfunctions", "dynamodb"):
        session.client(service)  # built here: clients are shared by the two threads below
    report = LoadReport()
    in_flight: dict[str, tuple[LoadClaim, float]] = {}  # arn -> (claim, submitted at, wall clock)
    lock = threading.Lock()
    uploads_done = threading.Event()
    started = time.monotonic()

    def progress() -> None:
        if on_progress is not None:
            on_progress(report.submitted, report.finished + len(report.lost))

    def watch() -> None:
        deadline: float | None = None
        while True:
            with lock:
                pending = dict(in_flight)
            # One listing per poll for every execution, not one describe per claim in flight.
            try:
                listed = session.executions()
            except Exception:  # moto can fail a listing that races an execution's creation: next poll
                listed = []
            ended = [e for e in listed if e["executionArn"] in pending and e["status"] in TERMINAL]
            for execution in ended:
                arn = str(execution["executionArn"])
                claim, submitted_at = pending[arn]
                result = session.result(arn, claim.key)
                stop = execution.get("stopDate") or datetime.now(UTC)
                with lock:
                    del in_flight[arn]
                    report.outcomes[result.outcome] += 1
                    report.latencies_ms.append(max(0.0, (stop.timestamp() - submitted_at) * 1000))
                    if result.outcome == "ERROR" or execution["status"] != "SUCCEEDED":
                        report.errors.append(f"{claim.key}: {result.outcome} {','.join(result.reasons)}")
                    elif result.outcome != claim.expected:
                        report.unexpected.append(f"{claim.key}: {result.outcome}, expected {claim.expected}")
                progress()
            with lock:
                empty = not in_flight
            if uploads_done.is_set():
                deadline = deadline or time.monotonic() + timeout
                if empty or time.monotonic() > deadline:
                    return
            time.sleep(poll_interval)

    watcher = threading.Thread(target=watch, name="icpa-load-watch", daemon=True)
    watcher.start()
    bucket = TokenBucket(rate)
    try:
        for claim in claims:
            bucket.take()
            submitted_at = time.time()
            try:
                arn = session.upload(claim.body, claim.key)
            except RuntimeError as exc:  # no execution started for the upload
                with lock:
                    report.submitted += 1
                    report.lost.append(claim.key)
                    report.errors.append(f"{claim.key}: {exc}")
                continue
            with lock:
                report.submitted += 1
                in_flight[arn] = (claim, submitted_at)
            progress()
    finally:
        uploads_done.set()
        watcher.join()
    report.elapsed_s = time.monotonic() - started
    for arn, (claim, _) in in_flight.items():
        waiting = session.pending_review_for(arn)
        if waiting is not None:
            report.outcomes["PENDING_REVIEW"] += 1
        else:
            report.lost.append(claim.key)
    return report


# -- the command ----------------------------------------------------------------------------


def render(report: LoadReport, console: Any, *, rate: float) -> None:
    from rich.table import Table

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f} ms"

    console.print(
        f"{report.finished} of {report.submitted} claims in {report.elapsed_s:.1f} s: "
        f"[bold]{report.claims_per_second:.1f} claims/s[/] (asked for {rate:g}/s)"
    )
    console.print(
        f"latency p50 {ms(report.percentile(50))}, p95 {ms(report.percentile(95))}, " f"p99 {ms(report.percentile(99))}"
    )
    table = Table(title="Outcomes", title_justify="left")
    table.add_column("outcome")
    table.add_column("claims", justify="right")
    for outcome, count in sorted(report.outcomes.items()):
        table.add_row(outcome, str(count))
    console.print(table)
    console.print(
        f"errors: {len(report.errors)}, lost: {len(report.lost)}, " f"unexpected outcomes: {len(report.unexpected)}"
    )
    for line in (report.errors + [f"lost: {k}" for k in report.lost] + report.unexpected)[:20]:
        console.print(f"  [red]{line}[/]")


def load_session(args: Any) -> CloudSession:
    """--endpoint: that running `icpa serve`; else an embedded local cloud of the run's own, with
    no data directory (a load run leaves nothing behind in the user's claims)."""
    if args.endpoint:
        from icpa_local.connect import find_server, remote_session
        from icpa_local.datadir import DataDir

        server = find_server(DataDir(args.data_dir), args.endpoint)
        assert server is not None  # find_server raises when --endpoint does not answer
        return remote_session(server, DataDir(args.data_dir), args.token)
    from icpa_local.cloud import LocalCloud

    cloud = LocalCloud(time_scale=args.time_scale, workers=args.workers)
    cloud.start()
    return cloud


def run_load_command(args: Any, session: CloudSession, console: Any) -> int:
    """`icpa load`: exit 0 when every claim decided as it should, none lost and none ERROR."""
    with session:
        return _load(args, session, console)


def _load(args: Any, session: CloudSession, console: Any) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    batch = load_batch(args.claims, run=args.run)
    seed(session, batch.policies)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        sent = bar.add_task("uploaded", total=len(batch.claims))
        done = bar.add_task("decided ", total=len(batch.claims))

        def on_progress(submitted: int, finished: int) -> None:
            bar.update(sent, completed=submitted)
            bar.update(done, completed=finished)

        report = run_load(session, batch.claims, rate=args.rate, timeout=args.timeout, on_progress=on_progress)
    if args.json:
        console.print_json(json.dumps(report.as_json()))
    else:
        render(report, console, rate=args.rate)
    return 0 if not (report.errors or report.lost or report.unexpected) else 1
