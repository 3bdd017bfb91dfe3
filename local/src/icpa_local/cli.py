"""`icpa`: the local cloud from the command line.

    icpa demo                          the whole story with bundled sample claims
    icpa process FILE... [--review approve|deny|none] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from icpa_local.cloud import DEFAULT_TIME_SCALE, ClaimResult, LocalCloud

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def results_table(results: Sequence[ClaimResult], title: str) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column, justify in (("file", "left"), ("claim", "left"), ("outcome", "left"), ("route", "left"),
                            ("reasons", "left"), ("payable", "right"), ("transitions", "right"),
                            ("time", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    colors = {"APPROVED": "green", "DENIED": "red", "REJECTED": "yellow", "PENDED": "magenta",
              "PENDING_REVIEW": "cyan", "ERROR": "bold red"}
    for r in results:
        color = colors.get(r.outcome, "white")
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
    with LocalCloud(time_scale=args.time_scale, log_path=workdir / "handlers.jsonl") as cloud:
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


def _print_progress(console: Any, cloud: LocalCloud, run: dict[str, Any]) -> None:
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
    log_path = Path(tempfile.mkdtemp(prefix="icpa-process-")) / "handlers.jsonl"
    results: list[ClaimResult] = []
    failed = False
    with LocalCloud(time_scale=args.time_scale, log_path=log_path) as cloud:
        arns = [(path, cloud.upload(path.read_bytes(), f"claims/{path.name}")) for path in paths]
        for path, arn in arns:
            try:
                status = cloud.wait(arn, timeout=args.timeout)
                if status == "WAITING_FOR_REVIEW" and review:
                    review_id = cloud.pending_review_for(arn)
                    if review_id:
                        code, body = cloud.answer_review(review_id, review, reviewer="cli",
                                                         rationale=args.rationale)
                        if code != 200:
                            raise RuntimeError(f"review refused ({code}): {body}")
                        cloud.wait(arn, timeout=args.timeout, stop_at_review=False)
                result = cloud.result(arn, path.name)
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
    return EXIT_FAILED if failed else EXIT_OK


# -- entry point -------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="icpa", description="ICPA's local cloud: the claims workflow on one laptop.")
    parser.add_argument("--time-scale", type=float, default=DEFAULT_TIME_SCALE,
                        help="factor applied to retry intervals, waits and timeouts (default %(default)s)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for each claim")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="run the whole story with bundled sample claims").set_defaults(func=run_demo)
    process = sub.add_parser("process", help="process claim files and print their outcomes")
    process.add_argument("files", nargs="+", metavar="FILE")
    process.add_argument("--review", choices=("approve", "deny", "none"), default="none",
                         help="answer human reviews with this decision as reviewer 'cli' (default: leave pending)")
    process.add_argument("--rationale", default="Decided from the icpa command line.")
    process.add_argument("--json", action="store_true", help="one JSON object per file per line")
    process.set_defaults(func=run_process)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not 0 < args.time_scale <= 1:
        sys.stderr.write("icpa: --time-scale must be in (0, 1]\n")
        return EXIT_USAGE
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
