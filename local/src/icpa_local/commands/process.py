"""`icpa process FILE...`: upload claim files and follow each to its outcome."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from icpa_local.commands.common import EXIT_CLAIM_ERROR, EXIT_FAILED, EXIT_OK, EXIT_USAGE, session
from icpa_local.commands.render import console, results_table
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
    process.add_argument("files", nargs="+", metavar="FILE")
    process.add_argument(
        "--review",
        choices=("approve", "deny", "none"),
        default="none",
        help="answer human reviews with this decision as reviewer 'cli' (default: leave pending)",
    )
    process.add_argument("--rationale", default=DEFAULT_RATIONALE)
    process.add_argument("--json", action="store_true", help="one JSON object per file per line")
    process.set_defaults(func=run_process)


def run_process(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.files]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        sys.stderr.write(f"icpa process: no such file: {', '.join(missing)}\n")
        return EXIT_USAGE
    review = None if args.review == "none" else args.review
    results: list[ClaimResult] = []
    failed = False
    with session(args) as cloud:
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
        console().print(results_table(results, "Outcomes"))
    if failed:
        return EXIT_FAILED
    errored = [r.file for r in results if r.outcome == "ERROR"]
    if errored:
        sys.stderr.write(f"icpa process: outcome ERROR for {', '.join(errored)}\n")
        return EXIT_CLAIM_ERROR
    return EXIT_OK
