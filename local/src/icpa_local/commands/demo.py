"""`icpa demo`: the whole story with the bundled sample claims, on a fresh data directory."""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import Any

from icpa_local.cloud import LocalCloud
from icpa_local.commands.common import EXIT_FAILED, EXIT_OK
from icpa_local.commands.render import console as make_console
from icpa_local.commands.render import results_table
from icpa_local.connect import find_server, remote_session
from icpa_local.datadir import DataDir
from icpa_local.interchanges import execution_arn, split_execution_names
from icpa_local.session import CloudSession


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    demo = sub.add_parser("demo", parents=[common], help="run the whole story with bundled sample claims")
    demo.add_argument(
        "--keep", action="store_true", help="keep the demo's temporary directory (data and handler logs) afterwards"
    )
    demo.set_defaults(func=run_demo)


def _demo_manifest() -> list[dict[str, Any]]:
    manifest: list[dict[str, Any]] = json.loads(resources.files("icpa_local").joinpath("samples/demo.json").read_text())
    return manifest


def _sample_bytes(name: str) -> bytes:
    return resources.files("icpa_local").joinpath(f"samples/{name}").read_bytes()


def run_demo(args: argparse.Namespace) -> int:
    """The story on a throwaway data directory, removed afterwards unless --keep."""
    console = make_console()
    workdir = Path(tempfile.mkdtemp(prefix="icpa-demo-"))
    try:
        return _run_demo(args, console, workdir)
    finally:
        if getattr(args, "keep", False):
            console.print(f"kept {workdir} (data and handler logs)")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _run_demo(args: argparse.Namespace, console: Any, workdir: Path) -> int:
    manifest = _demo_manifest()
    console.print(
        "[bold]ICPA local demo[/]: the real ASL on moto's Step Functions interpreter, the real "
        "handlers in-process, uploads starting executions through the EventBridge rule."
    )
    kept = "kept" if getattr(args, "keep", False) else "removed at the end; --keep keeps it"
    console.print(f"handler logs: {workdir / 'handlers.jsonl'} ({kept})\n")
    started = time.perf_counter()
    with _demo_session(args, workdir) as cloud:
        console.print(
            f"local cloud up in {time.perf_counter() - started:.1f} s: buckets, tables, topics, "
            f"{len(manifest)} sample claims to upload\n"
        )
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
            for run in list(runs):
                if not run["done"]:
                    _advance(console, cloud, run)
                    if run["done"]:
                        runs += _split_claims(console, cloud, run)
            time.sleep(0.02)
        results = [cloud.result(r["arn"], r["file"]) for r in runs]
    console.print()
    console.print(results_table(results, "Outcomes"))
    mismatched = [(r, m) for r, m in zip(results, runs, strict=True) if r.outcome != m["expect"]]
    for result, entry in mismatched:
        console.print(f"[red]{entry['file']}: expected {entry['expect']}, got {result.outcome}[/]")
    console.print(
        f"\n{len(results)} claims in {time.perf_counter() - started:.1f} s "
        f"(time scale {args.time_scale}: retries and waits run {1 / args.time_scale:.0f}x faster)"
    )
    return EXIT_FAILED if mismatched else EXIT_OK


def _advance(console: Any, cloud: CloudSession, run: dict[str, Any]) -> None:
    """Print the states one claim has entered since the last poll; answer its review as the
    manifest says once it waits on one."""
    _print_progress(console, cloud, run)
    status = str(cloud.describe(run["arn"])["status"])
    if status != "RUNNING":
        _print_progress(console, cloud, run)
        run["done"] = True
        return
    review_id = cloud.pending_review_for(run["arn"])
    if review_id and not run["answered"] and run.get("review"):
        verdict = run["review"].upper()
        code, _ = cloud.answer_review(
            review_id,
            verdict,
            reviewer="demo-reviewer",
            rationale=run.get("rationale", "Reviewed the documentation for the demo."),
        )
        console.print(
            f"  [cyan]{run['file']}[/]: reviewer demo-reviewer answered {verdict} "
            f"on {review_id} through the review API ({code})"
        )
        run["answered"] = True


def _split_claims(console: Any, cloud: CloudSession, run: dict[str, Any]) -> list[dict[str, Any]]:
    """An X12 interchange's run ends once it is split: each of its claims then runs in an
    execution of its own, followed like an uploaded claim (demo.json's `claims` say what to expect)."""
    names = split_execution_names(cloud.history(run["arn"]))
    if names:
        console.print(f"  [cyan]{run['file']}[/]: split into {len(names)} claim executions")
    expected = run.get("claims", [])
    return [
        {**claim, "file": f"{run['file']} #{n}", "arn": execution_arn(cloud.names.state_machine_arn(), name)}
        | {"seen": 0, "answered": False, "done": False}
        for n, (name, claim) in enumerate(zip(names, expected, strict=True), start=1)
    ]


def _demo_session(args: argparse.Namespace, workdir: Path) -> CloudSession:
    """The demo tells the same story every time: a fresh data directory of its own, unless
    --endpoint names a server to run it against."""
    if args.endpoint:
        server = find_server(DataDir(args.data_dir), args.endpoint)
        assert server is not None  # find_server raises when --endpoint does not answer
        return remote_session(server, DataDir(args.data_dir), args.token)
    cloud = LocalCloud(
        time_scale=args.time_scale,
        log_path=workdir / "handlers.jsonl",
        data_dir=workdir / "data",
        workers=args.workers,
    )
    cloud.start()
    return cloud


def _print_progress(console: Any, cloud: CloudSession, run: dict[str, Any]) -> None:
    events = cloud.history(run["arn"])
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]
    for name in entered[run["seen"] :]:
        console.print(f"  [bold]{run['file']}[/] -> {name}")
    run["seen"] = len(entered)
