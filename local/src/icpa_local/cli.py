"""`icpa`: the local cloud from the command line.

    icpa demo                          the whole story with bundled sample claims (fresh data dir)
    icpa process FILE... [--review approve|deny|none] [--json]
    icpa serve [--port N] [--inbox DIR]  the local cloud as a server that loses nothing
    icpa status [CLAIM_ID] [--json]    claims with outcome, route and age; one claim's steps
    icpa reviews [--json]              pending reviews, through the review API
    icpa review ID approve|deny --rationale TEXT
    icpa audit CLAIM_ID [--verify] [--json]  the decision trail, verified against chain and archive

Every command takes --data-dir DIR (default $ICPA_DATA_DIR, $XDG_DATA_HOME/icpa or
~/.local/share/icpa). process/status/reviews/review talk to a running `icpa serve` when there is
one (--endpoint URL, the data dir's server, or 127.0.0.1:4566), else run an embedded local cloud
on the same data directory for their own duration.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from icpa_local.cloud import DEFAULT_TIME_SCALE, LocalCloud
from icpa_local.connect import ServerUnreachable, find_server, open_session, remote_session
from icpa_local.datadir import DataDir, DataDirBusy, default_data_dir
from icpa_local.session import (
    CLI_REVIEWER,
    DEFAULT_RATIONALE,
    ClaimResult,
    ClaimStatus,
    CloudSession,
    parse_time,
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_CLAIM_ERROR = 3  # icpa process: every file was followed, and at least one outcome is ERROR
PROCESS_EXIT_CODES = (
    "exit status: 0 every claim reached a business outcome (APPROVED, DENIED, REJECTED, PENDED, "
    "PENDING_REVIEW); 1 a claim could not be followed (timeout, refused review); 2 usage; "
    f"{EXIT_CLAIM_ERROR} at least one outcome is ERROR (1 wins over {EXIT_CLAIM_ERROR})"
)


def _console() -> Any:
    from rich.console import Console

    # Piped or captured output gets a wide page instead of rich's 80-column default.
    return Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)


OUTCOME_COLORS = {"APPROVED": "green", "DENIED": "red", "REJECTED": "yellow", "PENDED": "magenta",
                  "PENDING_REVIEW": "cyan", "ERROR": "bold red", "IN_PROGRESS": "blue"}


def results_table(results: Sequence[ClaimResult], title: str) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column, justify in (("file", "left"), ("claim", "left"), ("outcome", "left"), ("route", "left"),
                            ("reasons", "left"), ("payable", "right"), ("transitions", "right"),
                            ("time", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for r in results:
        color = OUTCOME_COLORS.get(r.outcome, "white")
        table.add_row(
            r.file, r.claim_id or "-", f"[{color}]{r.outcome}[/]", r.route, ", ".join(r.reasons) or "-",
            r.payable_amount or "-", str(r.transitions), f"{r.duration_ms} ms",
        )
    return table


# -- demo --------------------------------------------------------------------------------------


def _demo_manifest() -> list[dict[str, Any]]:
    manifest: list[dict[str, Any]] = json.loads(
        resources.files("icpa_local").joinpath("samples/demo.json").read_text()
    )
    return manifest


def _sample_bytes(name: str) -> bytes:
    return resources.files("icpa_local").joinpath(f"samples/{name}").read_bytes()


def run_demo(args: argparse.Namespace) -> int:
    console = _console()
    manifest = _demo_manifest()
    workdir = Path(tempfile.mkdtemp(prefix="icpa-demo-"))
    console.print("[bold]ICPA local demo[/]: the real ASL on moto's Step Functions interpreter, the real "
                  "handlers in-process, uploads starting executions through the EventBridge rule.")
    console.print(f"handler logs: {workdir / 'handlers.jsonl'}\n")
    started = time.perf_counter()
    with _demo_session(args, workdir) as cloud:
        console.print(f"local cloud up in {time.perf_counter() - started:.1f} s: buckets, tables, topics, "
                      f"{len(manifest)} sample claims to upload\n")
        runs: list[dict[str, Any]] = []
        for entry in manifest:
            arn = cloud.upload(_sample_bytes(entry["file"]), f"claims/{entry['file']}")
            runs.append({**entry, "arn": arn, "seen": 0, "answered": False, "done": False})
            console.print(f"  [dim]uploaded[/] s3://{cloud.names.inbox_bucket}/claims/{entry['file']}")
        console.print()
        deadline = time.monotonic() + args.timeout
        while not all(r["done"] for r in runs):
            if time.monotonic() > deadline:
                console.print("[red]timed out waiting for the workflow[/]")
                return EXIT_FAILED
            for run in runs:
                if run["done"]:
                    continue
                _print_progress(console, cloud, run)
                status = str(cloud.describe(run["arn"])["status"])
                if status != "RUNNING":
                    _print_progress(console, cloud, run)
                    run["done"] = True
                    continue
                review_id = cloud.pending_review_for(run["arn"])
                if review_id and not run["answered"] and run.get("review"):
                    verdict = run["review"].upper()
                    code, _ = cloud.answer_review(
                        review_id, verdict, reviewer="demo-reviewer",
                        rationale=run.get("rationale", "Reviewed the documentation for the demo."),
                    )
                    console.print(f"  [cyan]{run['file']}[/]: reviewer demo-reviewer answered {verdict} "
                                  f"on {review_id} through the review API ({code})")
                    run["answered"] = True
            time.sleep(0.02)
        results = [cloud.result(r["arn"], r["file"]) for r in runs]
    console.print()
    console.print(results_table(results, "Outcomes"))
    mismatched = [(r, m) for r, m in zip(results, manifest, strict=True) if r.outcome != m["expect"]]
    for result, entry in mismatched:
        console.print(f"[red]{entry['file']}: expected {entry['expect']}, got {result.outcome}[/]")
    console.print(f"\n{len(results)} claims in {time.perf_counter() - started:.1f} s "
                  f"(time scale {args.time_scale}: retries and waits run {1 / args.time_scale:.0f}x faster)")
    return EXIT_FAILED if mismatched else EXIT_OK


def _demo_session(args: argparse.Namespace, workdir: Path) -> CloudSession:
    """The demo tells the same story every time: a fresh data directory of its own, unless
    --endpoint names a server to run it against."""
    if args.endpoint:
        server = find_server(DataDir(args.data_dir), args.endpoint)
        assert server is not None  # find_server raises when --endpoint does not answer
        return remote_session(server, DataDir(args.data_dir), args.token)
    cloud = LocalCloud(time_scale=args.time_scale, log_path=workdir / "handlers.jsonl", data_dir=workdir / "data")
    cloud.start()
    return cloud


def _print_progress(console: Any, cloud: CloudSession, run: dict[str, Any]) -> None:
    events = cloud.history(run["arn"])
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]
    for name in entered[run["seen"]:]:
        console.print(f"  [bold]{run['file']}[/] -> {name}")
    run["seen"] = len(entered)


# -- process -----------------------------------------------------------------------------------


def run_process(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.files]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        sys.stderr.write(f"icpa process: no such file: {', '.join(missing)}\n")
        return EXIT_USAGE
    review = None if args.review == "none" else args.review
    results: list[ClaimResult] = []
    failed = False
    with _session(args) as cloud:
        arns = [(path, cloud.upload(path.read_bytes(), f"claims/{path.name}")) for path in paths]
        for path, arn in arns:
            try:
                result = cloud.follow(arn, path.name, review=review, rationale=args.rationale, timeout=args.timeout)
            except (TimeoutError, RuntimeError) as exc:
                sys.stderr.write(f"icpa process: {path.name}: {exc}\n")
                failed = True
                continue
            results.append(result)
            if args.json:
                sys.stdout.write(json.dumps(result.as_json()) + "\n")
                sys.stdout.flush()
    if not args.json:
        _console().print(results_table(results, "Outcomes"))
    if failed:
        return EXIT_FAILED
    errored = [r.file for r in results if r.outcome == "ERROR"]
    if errored:
        sys.stderr.write(f"icpa process: outcome ERROR for {', '.join(errored)}\n")
        return EXIT_CLAIM_ERROR
    return EXIT_OK


# -- sessions ----------------------------------------------------------------------------------


def _session(args: argparse.Namespace, *, read_only: bool = False) -> CloudSession:
    """A running icpa serve when there is one, else an embedded cloud on the data directory.
    `read_only` (status, reviews, audit): an embedded cloud only reads the state; it resumes
    nothing and runs no workflow step."""
    from icpa_local.serve import load_overrides

    return open_session(
        DataDir(args.data_dir), endpoint=args.endpoint, token=args.token, time_scale=args.time_scale,
        handler_overrides=load_overrides(args.handlers), read_only=read_only,
    )


# -- serve -------------------------------------------------------------------------------------


def run_serve(args: argparse.Namespace) -> int:
    from icpa_local.serve import run_serve as serve

    return serve(DataDir(args.data_dir), port=args.port, inbox=args.inbox, time_scale=args.time_scale,
                 handlers=args.handlers)


# -- status ------------------------------------------------------------------------------------



def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def _since(stamp: Any, now: datetime) -> float | None:
    when = parse_time(stamp)
    return None if when is None else max(0.0, (now - when).total_seconds())


def run_status(args: argparse.Namespace) -> int:
    with _session(args, read_only=True) as cloud:
        now = datetime.now(UTC)
        if args.claim_id:
            return _claim_detail(cloud, args.claim_id, now, as_json=args.json)
        statuses = cloud.claim_statuses()
    if args.json:
        sys.stdout.write(json.dumps([s.as_json(now) for s in statuses]) + "\n")
        return EXIT_OK
    from rich.table import Table

    table = Table(title=f"Claims ({len(statuses)})", title_justify="left")
    for column, justify in (("claim", "left"), ("outcome", "left"), ("route", "left"), ("reasons", "left"),
                            ("payable", "right"), ("age", "right"), ("updated", "right")):
        # ids and outcomes whole (they are what one copies); the reasons wrap
        table.add_column(column, justify=justify, no_wrap=column != "reasons")  # type: ignore[arg-type]
    for s in statuses:
        color = OUTCOME_COLORS.get(s.outcome, "white")
        table.add_row(s.claim_id, f"[{color}]{s.outcome}[/]", s.route, ", ".join(s.reasons) or "-",
                      s.payable or "-", _age(s.age_seconds(now)), _age(_since(s.updated_at, now)))
    _console().print(table)
    return EXIT_OK


def _claim_detail(cloud: CloudSession, claim_id: str, now: datetime, *, as_json: bool) -> int:
    status: ClaimStatus | None = cloud.claim_status(claim_id)
    if status is None:
        sys.stderr.write(f"icpa status: no claim {claim_id}\n")
        return EXIT_FAILED
    execution: dict[str, Any] = {}
    steps = []
    if status.execution_arn:
        try:
            execution = cloud.describe(status.execution_arn)
            steps = cloud.steps(status.execution_arn)
        except Exception as exc:  # the claim row stands without its execution
            execution = {"status": f"unavailable ({type(exc).__name__})"}
    if as_json:
        sys.stdout.write(json.dumps({
            "claim": status.as_json(now),
            "execution": {"arn": status.execution_arn, "status": execution.get("status")},
            "steps": [{"state": st.state, "entered_at": st.entered_at, "exited_at": st.exited_at} for st in steps],
        }) + "\n")
        return EXIT_OK
    console = _console()
    color = OUTCOME_COLORS.get(status.outcome, "white")
    console.print(f"[bold]{status.claim_id}[/]: [{color}]{status.outcome}[/], route {status.route}, "
                  f"reasons {', '.join(status.reasons) or '-'}, payable {status.payable or '-'}, "
                  f"age {_age(status.age_seconds(now))}")
    if status.review_id:
        console.print(f"waiting for a reviewer: {status.review_id} (icpa review {status.review_id} approve|deny)")
    console.print(f"execution {status.execution_arn or '-'}: {execution.get('status', '-')}")
    from rich.table import Table

    table = Table(title="Steps", title_justify="left")
    for column in ("state", "entered", "took"):
        table.add_column(column)
    for st in steps:
        entered, exited = parse_time(st.entered_at), parse_time(st.exited_at)
        took = f"{int((exited - entered).total_seconds() * 1000)} ms" if entered and exited else "..."
        table.add_row(st.state, st.entered_at, took)
    console.print(table)
    return EXIT_OK


# -- reviews -----------------------------------------------------------------------------------


def run_reviews(args: argparse.Namespace) -> int:
    with _session(args, read_only=True) as cloud:
        code, reviews = cloud.list_reviews(reviewer=CLI_REVIEWER)
    if code != 200:
        reason = _message(reviews[0] if reviews else None)
        sys.stderr.write(f"icpa reviews: the review API refused ({code}): {reason}\n")
        return EXIT_FAILED
    if args.json:
        sys.stdout.write(json.dumps(reviews) + "\n")
        return EXIT_OK
    from rich.table import Table

    now = datetime.now(UTC)
    table = Table(title=f"Pending reviews ({len(reviews)})", title_justify="left")
    for column, justify in (("review", "left"), ("claim", "left"), ("waiting", "right"), ("due in", "right"),
                            ("reasons", "left"), ("fraud", "right"), ("payable", "right")):
        table.add_column(column, justify=justify, no_wrap=column != "reasons")  # type: ignore[arg-type]
    for r in reviews:
        due = parse_time(r.get("due_by"))
        table.add_row(
            r.get("review_id", "-"), r.get("claim_id", "-"), _age(_since(r.get("created_at"), now)),
            _age(None if due is None else max(0.0, (due - now).total_seconds())),
            ", ".join(r.get("reasons", [])) or "-", str(r.get("fraud_score", "-")),
            str((r.get("payable") or {}).get("amount", "-")),
        )
    _console().print(table)
    if reviews:
        _console().print("decide one: icpa review <review> approve|deny --rationale \"...\"")
    return EXIT_OK


def _message(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or body)
    return str(body)


def run_review(args: argparse.Namespace) -> int:
    decision = args.decision.upper()
    with _session(args) as cloud:
        code, body = cloud.answer_review(args.review_id, decision, reviewer=CLI_REVIEWER, rationale=args.rationale)
        if code != 200:
            if args.json:
                sys.stdout.write(json.dumps({"status": code, "body": body}) + "\n")
            else:
                error = body.get("error") if isinstance(body, dict) else None
                sys.stderr.write(f"icpa review: refused ({code}{' ' + error if error else ''}): {_message(body)}\n")
            return EXIT_FAILED
        claim_id = body.get("claim_id") if isinstance(body, dict) else None
        outcome = _follow(cloud, claim_id, args.timeout) if claim_id and not args.no_wait else None
    if args.json:
        sys.stdout.write(json.dumps({"status": code, "body": body, "outcome": outcome}) + "\n")
        return EXIT_OK
    console = _console()
    console.print(f"{args.review_id}: {decision} by {CLI_REVIEWER} on claim {claim_id}")
    if outcome:
        color = OUTCOME_COLORS.get(outcome, "white")
        console.print(f"claim {claim_id}: [{color}]{outcome}[/]")
    return EXIT_OK


def _follow(cloud: CloudSession, claim_id: str, timeout: float) -> str | None:
    """Wait for the resumed execution to end (an embedded cloud must not stop before it has)."""
    record = cloud.claim_record(claim_id)
    arn = (record or {}).get("execution_id")
    if not arn:
        return None
    with contextlib.suppress(TimeoutError):  # the outcome is read either way
        cloud.wait(arn, timeout=timeout, stop_at_review=False)
    record = cloud.claim_record(claim_id)
    return None if record is None else str(record.get("outcome"))


# -- entry point -------------------------------------------------------------------------------


def _common() -> argparse.ArgumentParser:
    """Options every command takes (before or after the command's name)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                        help="where the local cloud keeps its state (default: $ICPA_DATA_DIR, "
                             "$XDG_DATA_HOME/icpa or ~/.local/share/icpa)")
    common.add_argument("--endpoint", default=argparse.SUPPRESS,
                        help="a running icpa serve's endpoint URL (default: the data dir's server, "
                             "else http://127.0.0.1:4566 if it answers, else an embedded local cloud)")
    common.add_argument("--token", default=argparse.SUPPRESS,
                        help="review API bearer token (default: $ICPA_REVIEW_TOKEN, else the cli "
                             "reviewer's from reviewers.json)")
    common.add_argument("--handlers", default=argparse.SUPPRESS, help=argparse.SUPPRESS)  # tests: module:fn
    return common


COMMON_DEFAULTS: dict[str, Callable[[], Any]] = {
    "data_dir": default_data_dir, "endpoint": lambda: None, "token": lambda: None, "handlers": lambda: None,
}


# -- audit -------------------------------------------------------------------------------------


def run_audit(args: argparse.Namespace) -> int:
    """The claim's decision trail as a timeline, verified (--verify) against its hash chain and
    the archived execution histories; exits 1 naming the broken link when verification fails."""
    from icpa_audit.adapters.archive_bucket import S3ArchiveReader
    from icpa_audit.adapters.audit_chain import AuditChainReader
    from icpa_audit.domain import load_trail, render_timeline, trail_to_json, verify_trail

    with _session(args, read_only=True) as cloud:
        try:
            trail = load_trail(
                args.claim_id,
                AuditChainReader(cloud.names.audit_table, dynamodb=cloud.client("dynamodb")),
                S3ArchiveReader(cloud.names.archive_bucket, s3=cloud.client("s3")),
            )
        except ValueError as exc:
            sys.stderr.write(f"icpa audit: {exc}\n")
            return EXIT_USAGE
    if not trail.events and not trail.archives:
        sys.stderr.write(f"icpa audit: no audit trail for {args.claim_id}\n")
        return EXIT_FAILED
    verification = verify_trail(trail) if args.verify else None
    if args.json:
        sys.stdout.write(json.dumps(trail_to_json(trail, verification), default=str) + "\n")
    else:
        sys.stdout.write(render_timeline(trail, verification).rstrip("\n") + "\n")
    if verification is not None and not verification.ok:
        for broken in verification.broken:
            sys.stderr.write(f"icpa audit: verification failed at {broken.link}: {broken.problem}\n")
        return EXIT_FAILED
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(prog="icpa", description="ICPA's local cloud: the claims workflow on one laptop.",
                                     parents=[common])
    parser.add_argument("--time-scale", type=float, default=DEFAULT_TIME_SCALE,
                        help="factor applied to retry intervals, waits and timeouts (default %(default)s)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for each claim")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", parents=[common],
                   help="run the whole story with bundled sample claims").set_defaults(func=run_demo)

    process = sub.add_parser("process", parents=[common], help="process claim files and print their outcomes",
                             epilog=PROCESS_EXIT_CODES)
    process.add_argument("files", nargs="+", metavar="FILE")
    process.add_argument("--review", choices=("approve", "deny", "none"), default="none",
                         help="answer human reviews with this decision as reviewer 'cli' (default: leave pending)")
    process.add_argument("--rationale", default=DEFAULT_RATIONALE)
    process.add_argument("--json", action="store_true", help="one JSON object per file per line")
    process.set_defaults(func=run_process)

    serve = sub.add_parser("serve", parents=[common],
                           help="run the local cloud as a server on 127.0.0.1 (AWS endpoint, review API, inbox)")
    serve.add_argument("--port", type=int, default=4566,
                       help="the AWS endpoint's port; the review API takes the next one (default %(default)s; "
                            "0 picks a free pair)")
    serve.add_argument("--inbox", type=Path, default=None,
                       help="a folder whose files are uploaded to the inbox (default <data-dir>/inbox)")
    serve.set_defaults(func=run_serve)

    status = sub.add_parser("status", parents=[common], help="claims with their outcome, route and age")
    status.add_argument("claim_id", nargs="?", metavar="CLAIM_ID", help="show this claim's steps")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=run_status)

    reviews = sub.add_parser("reviews", parents=[common], help="pending reviews, through the review API")
    reviews.add_argument("--json", action="store_true")
    reviews.set_defaults(func=run_reviews)

    review = sub.add_parser("review", parents=[common], help="decide a pending review as reviewer 'cli'")
    review.add_argument("review_id", metavar="ID")
    review.add_argument("decision", choices=("approve", "deny"))
    review.add_argument("--rationale", required=True, help="why (kept on the claim's audit chain)")
    review.add_argument("--json", action="store_true")
    review.add_argument("--no-wait", action="store_true", help="do not wait for the claim's outcome")
    review.set_defaults(func=run_review)

    audit = sub.add_parser("audit", parents=[common], help="a claim's decision trail, verified")
    audit.add_argument("claim_id", metavar="CLAIM_ID")
    audit.add_argument("--verify", action="store_true",
                       help="check the hash chain and the archived histories; exit 1 naming a broken link")
    audit.add_argument("--json", action="store_true")
    audit.set_defaults(func=run_audit)

    from icpa_local import load as load_cmd  # their own modules (load.py, redrive.py)
    from icpa_local import redrive as redrive_cmd

    load = sub.add_parser("load", parents=[common], help="drive the local cloud at a steady rate; print throughput, "
                          "latency percentiles, outcomes and errors (embedded and throwaway unless --endpoint)")
    load.add_argument("--claims", type=int, default=200, help="how many claims (default %(default)s)")
    load.add_argument("--rate", type=float, default=10.0, help="uploads a second (default %(default)s)")
    load.add_argument("--run", type=int, default=1, help="1..999: runs with different numbers share no claim ids")
    load.add_argument("--json", action="store_true")
    load.set_defaults(func=lambda a: load_cmd.run_load_command(a, load_cmd.load_session(a), _console()))
    redrive = sub.add_parser("redrive", parents=[common], help="process an ERROR claim again from its original")
    redrive.add_argument("claim_id", metavar="CLAIM_ID")
    redrive.add_argument("--json", action="store_true")
    redrive.set_defaults(func=lambda a: redrive_cmd.run_redrive_command(a, _session(a), _console()))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for name, default in COMMON_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, default())
    if not 0 < args.time_scale <= 1:
        sys.stderr.write("icpa: --time-scale must be in (0, 1]\n")
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except ServerUnreachable as exc:
        sys.stderr.write(f"icpa: {exc}\n")
        return EXIT_USAGE
    except DataDirBusy as exc:
        sys.stderr.write(f"icpa: {exc}\n")
        return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
