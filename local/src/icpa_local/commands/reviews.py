"""`icpa reviews` (pending reviews) and `icpa review ID approve|deny`, through the review API."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from datetime import UTC, datetime
from typing import Any

from icpa_local.commands.common import EXIT_FAILED, EXIT_OK, session
from icpa_local.commands.render import age, colored, console, json_lines, message, since, table
from icpa_local.session import CLI_REVIEWER, CloudSession, parse_time


def rationale_rule() -> str:
    """The review API's rule for a rationale, read from the contract (one definition)."""
    from pydantic import TypeAdapter

    from icpa_shared.contracts.review import Rationale

    schema = TypeAdapter(Rationale).json_schema()
    return f"{schema.get('minLength', 1)} to {schema.get('maxLength', 'any number of')} characters"


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    reviews = sub.add_parser("reviews", parents=[common], help="pending reviews, through the review API")
    reviews.add_argument("--json", action="store_true", help="one JSON object per pending review per line")
    reviews.set_defaults(func=run_reviews)

    review = sub.add_parser("review", parents=[common], help="decide a pending review as reviewer 'cli'")
    review.add_argument("review_id", metavar="ID", help="the review's id, as `icpa reviews` lists it (REV-...)")
    review.add_argument("decision", choices=("approve", "deny"), help="approve or deny the claim")
    review.add_argument(
        "--rationale",
        required=True,
        help=f"why, in {rationale_rule()} (kept on the claim's audit chain; the API refuses a shorter one)",
    )
    review.add_argument("--json", action="store_true", help="the API's answer and the outcome as one JSON object")
    review.add_argument("--no-wait", action="store_true", help="do not wait for the claim's outcome")
    review.set_defaults(func=run_review)


def reviews_table(reviews: list[dict[str, Any]], now: datetime) -> Any:
    """`icpa reviews`: one row a pending review, as the review API lists it."""
    columns = [
        ("review", "left"),
        ("claim", "left"),
        ("waiting", "right"),
        ("due in", "right"),
        ("reasons", "left"),
        ("fraud", "right"),
        ("payable", "right"),
    ]
    rows = []
    for r in reviews:
        due = parse_time(r.get("due_by"))
        rows.append(
            [
                r.get("review_id", "-"),
                r.get("claim_id", "-"),
                age(since(r.get("created_at"), now)),
                age(None if due is None else max(0.0, (due - now).total_seconds())),
                ", ".join(r.get("reasons", [])) or "-",
                str(r.get("fraud_score", "-")),
                str((r.get("payable") or {}).get("amount", "-")),
            ]
        )
    return table(f"Pending reviews ({len(reviews)})", columns, rows, drop=("fraud", "waiting"))


def run_reviews(args: argparse.Namespace) -> int:
    with session(args, read_only=True) as cloud:
        code, reviews = cloud.list_reviews(reviewer=CLI_REVIEWER)
    if code != 200:
        reason = message(reviews[0] if reviews else None)
        sys.stderr.write(f"icpa reviews: the review API refused ({code}): {reason}\n")
        return EXIT_FAILED
    if args.json:
        json_lines(reviews)
        return EXIT_OK
    console().print(reviews_table(reviews, datetime.now(UTC)))
    if reviews:
        console().print('decide one: icpa review <review> approve|deny --rationale "..."')
    return EXIT_OK


def run_review(args: argparse.Namespace) -> int:
    decision = args.decision.upper()
    with session(args) as cloud:
        code, body = cloud.answer_review(args.review_id, decision, reviewer=CLI_REVIEWER, rationale=args.rationale)
        if code != 200:
            if args.json:
                sys.stdout.write(json.dumps({"status": code, "body": body}) + "\n")
            else:
                error = body.get("error") if isinstance(body, dict) else None
                sys.stderr.write(f"icpa review: refused ({code}{' ' + error if error else ''}): {message(body)}\n")
            return EXIT_FAILED
        claim_id = body.get("claim_id") if isinstance(body, dict) else None
        outcome = _follow(cloud, claim_id, args.timeout) if claim_id and not args.no_wait else None
    if args.json:
        sys.stdout.write(json.dumps({"status": code, "body": body, "outcome": outcome}) + "\n")
        return EXIT_OK
    out = console()
    out.print(f"{args.review_id}: {decision} by {CLI_REVIEWER} on claim {claim_id}")
    if outcome:
        out.print(f"claim {claim_id}: {colored(outcome)}")
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
