"""`icpa process FILE|DIR...`: upload claim files and follow each to its outcome."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from icpa_local.claimfiles import CLAIM_SUFFIXES, claim_files
from icpa_local.commands.common import EXIT_CLAIM_ERROR, EXIT_FAILED, EXIT_OK, EXIT_USAGE, session
from icpa_local.commands.render import colored, console, results_table
from icpa_local.session import DEFAULT_RATIONALE, ClaimResult

PROCESS_EXIT_CODES = (
    "exit status: 0 every claim reached a business outcome (APPROVED, DENIED, REJECTED, PENDED, "
    "PENDING_REVIEW); 1 a claim could not be followed (timeout, refused review); 2 usage; "
    f"{EXIT_CLAIM_ERROR} at least one outcome is ERROR (1 wins over {EXIT_CLAIM_ERROR})"
)


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    process = sub.add_parser(
        "process", parents=[common], help="process claim files and print their outcomes", epilog=PROCESS_EXIT_CODES
    )
    process.add_argument(
        "files",
        nargs="+",
        metavar="FILE|DIR",
        help=f"claim files, or folders whose claim files ({', '.join(CLAIM_SUFFIXES)}) are taken by name",
    )
    process.add_argument(
        "--review",
        choices=("approve", "deny", "none"),
        default="none",
        help="answer human reviews with this decision as reviewer 'cli'; none leaves them pending",
    )
    process.add_argument(
        "--rationale", default=DEFAULT_RATIONALE, help="the reviewer's rationale with --review (at least 10 characters)"
    )
    process.add_argument("--json", action="store_true", help="one JSON object per file per line")
    process.set_defaults(func=run_process)


def claim_paths(arguments: list[str]) -> tuple[list[Path], str | None]:
    """The files to process, folders expanded; or why the arguments name none."""
    paths: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            found = claim_files(path)
            if not found:
                return [], f"no claim files in {argument} (claim files end in {', '.join(CLAIM_SUFFIXES)})"
            paths.extend(found)
        elif path.is_file():
            paths.append(path)
        else:
            return [], f"no such file or folder: {argument}"
    return paths, None


def run_process(args: argparse.Namespace) -> int:
    paths, problem = claim_paths(args.files)
    if problem:
        sys.stderr.write(f"icpa process: {problem}\n")
        return EXIT_USAGE
    review = None if args.review == "none" else args.review
    results: list[ClaimResult] = []
    failed = False
    progress = _Progress(len(paths), quiet=args.json)
    with session(args) as cloud, progress:
        arns = [(path, cloud.upload(path.read_bytes(), f"claims/{path.name}")) for path in paths]
        for path, arn in arns:
            try:
                result = cloud.follow(arn, path.name, review=review, rationale=args.rationale, timeout=args.timeout)
            except (TimeoutError, RuntimeError) as exc:
                progress.failed(path.name, str(exc))
                failed = True
                continue
            results.append(result)
            progress.finished(result)
            if args.json:
                sys.stdout.write(json.dumps(result.as_json()) + "\n")
                sys.stdout.flush()
    if not args.json:
        console().print(results_table(results, "Outcomes"))
    if failed:
        return EXIT_FAILED
    repeated = [r.file for r in results if r.outcome == "REJECTED" and "DUPLICATE_CLAIM_ID" in r.reasons]
    if repeated and not args.json:
        sys.stderr.write(
            f"icpa process: {', '.join(repeated)}: this data directory already has a claim with that id "
            "(a claim id is processed once); give a fresh --data-dir to process them again as new\n"
        )
    errored = [r.file for r in results if r.outcome == "ERROR"]
    if errored:
        sys.stderr.write(f"icpa process: outcome ERROR for {', '.join(errored)}\n")
        return EXIT_CLAIM_ERROR
    return EXIT_OK


class _Progress:
    """Each claim as it finishes, on stderr (stdout keeps the table or the JSON lines): a rich
    progress bar above those lines for a batch on a terminal, plain lines otherwise."""

    def __init__(self, total: int, *, quiet: bool) -> None:
        self.total, self.done = total, 0
        self.out = console(stderr=True)
        self.bar: Any = None
        if total > 1 and self.out.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            columns = (TextColumn("claims"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            self.bar = Progress(*columns, console=self.out, transient=True)
            self.task = self.bar.add_task("claims", total=total)
        self.quiet = quiet and self.bar is None  # --json piped: the JSON lines are the progress

    def __enter__(self) -> _Progress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def finished(self, result: ClaimResult) -> None:
        self._line(f"{result.file}: {colored(result.outcome)} {result.claim_id or ''}".rstrip())

    def failed(self, name: str, why: str) -> None:
        self._line(f"{name}: [bold red]not followed[/]: {why}", always=True)

    def _line(self, text: str, *, always: bool = False) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.advance(self.task)
        if always or not self.quiet:
            self.out.print(f"[{self.done}/{self.total}] {text}", markup=True, highlight=False)
