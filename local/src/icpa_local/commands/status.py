"""`icpa status [CLAIM_ID]`: claims with outcome, route and age; one claim's steps."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from icpa_local.commands.common import EXIT_FAILED, EXIT_OK, session
from icpa_local.commands.render import age, colored, console, json_lines, since, table
from icpa_local.session import ClaimStatus, CloudSession, parse_time
from icpa_shared.adapters.answers import CLAIM_RESPONSE, REMITTANCE, S3PayerAnswers


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    status = sub.add_parser("status", parents=[common], help="claims with their outcome, route and age")
    status.add_argument("claim_id", nargs="?", metavar="CLAIM_ID", help="show this claim's steps")
    status.add_argument("--json", action="store_true", help="one JSON object per claim per line")
    answer = status.add_mutually_exclusive_group()
    answer.add_argument("--fhir", action="store_true", help="print CLAIM_ID's FHIR R4 ClaimResponse")
    answer.add_argument("--x12", action="store_true", help="print CLAIM_ID's X12 835 remittance (837 claims)")
    status.set_defaults(func=run_status)


def claims_table(statuses: list[ClaimStatus], now: datetime) -> Any:
    """`icpa status`: one row a claim."""
    columns = [
        ("claim", "left"),
        ("file", "left"),
        ("outcome", "left"),
        ("route", "left"),
        ("reasons", "left"),
        ("payable", "right"),
        ("age", "right"),
        ("updated", "right"),
    ]
    rows = (
        [
            s.claim_id,
            s.source_file,
            colored(s.outcome),
            s.route,
            ", ".join(s.reasons) or "-",
            s.payable or "-",
            age(s.age_seconds(now)),
            age(since(s.updated_at, now)),
        ]
        for s in statuses
    )
    return table(f"Claims ({len(statuses)})", columns, rows, wrap={"file", "reasons"}, drop=("updated", "age", "file"))


def run_status(args: argparse.Namespace) -> int:
    with session(args, read_only=True) as cloud:
        now = datetime.now(UTC)
        if args.claim_id and (args.fhir or args.x12):
            return _answer(cloud, args.claim_id, REMITTANCE if args.x12 else CLAIM_RESPONSE)
        if args.claim_id:
            return _claim_detail(cloud, args.claim_id, now, as_json=args.json)
        statuses = cloud.claim_statuses()
    if args.json:
        json_lines(s.as_json(now) for s in statuses)
        return EXIT_OK
    console().print(claims_table(statuses, now))
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
        sys.stdout.write(
            json.dumps(
                {
                    "claim": status.as_json(now),
                    "execution": {"arn": status.execution_arn, "status": execution.get("status")},
                    "steps": [
                        {"state": st.state, "entered_at": st.entered_at, "exited_at": st.exited_at} for st in steps
                    ],
                }
            )
            + "\n"
        )
        return EXIT_OK
    out = console()
    out.print(
        f"[bold]{status.claim_id}[/]: {colored(status.outcome)}, route {status.route}, "
        f"reasons {', '.join(status.reasons) or '-'}, payable {status.payable or '-'}, "
        f"age {age(status.age_seconds(now))}"
    )
    if status.review_id:
        out.print(f"waiting for a reviewer: {status.review_id} (icpa review {status.review_id} approve|deny)")
    out.print(f"file {status.source_uri or '-'}")
    out.print(f"execution {status.execution_arn or '-'}: {execution.get('status', '-')}")
    rows = []
    for st in steps:
        entered, exited = parse_time(st.entered_at), parse_time(st.exited_at)
        took = f"{int((exited - entered).total_seconds() * 1000)} ms" if entered and exited else "..."
        rows.append([st.state, st.entered_at, took])
    out.print(table("Steps", [("state", "left"), ("entered", "left"), ("took", "left")], rows))
    return EXIT_OK


def _answer(cloud: CloudSession, claim_id: str, name: str) -> int:
    """The payer's answer as RecordDecision stored it (ClaimResponse JSON or X12 835 text)."""
    body = S3PayerAnswers(cloud.names.documents_bucket, s3=cloud.client("s3")).get(claim_id, name)
    if body is None:
        what = "X12 835 (only claims that came as an 837 get one)" if name == REMITTANCE else "ClaimResponse"
        sys.stderr.write(f"icpa status: claim {claim_id} has no {what}: not decided, or no such claim\n")
        return EXIT_FAILED
    text = body.decode()
    pretty = json.dumps(json.loads(text), indent=2) if name == CLAIM_RESPONSE else text.replace("~", "~\n").rstrip()
    sys.stdout.write(pretty + "\n")
    return EXIT_OK
