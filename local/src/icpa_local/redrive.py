"""`icpa redrive CLAIM_ID`: process a claim that ended ERROR again, once the fault is fixed.

An ERROR claim's original is kept in quarantine (`<claim_id>/original`, with `reason.json`
naming the inbox object it came from). Redrive puts those bytes back in the inbox under the
original key: a new version of the object, so the normal path runs end to end (the inbox rule,
the claims table's conditional registration, which takes over a claim id whose record is ERROR)
and the claim gets its normal outcome, recorded once. Only ERROR claims are redriven: a REJECTED
claim is the file's own fault, and a decided one is decided.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from icpa_local.session import ClaimResult, CloudSession

REDRIVABLE = "ERROR"


class RedriveRefused(RuntimeError):
    """The claim cannot be redriven (unknown, not ERROR, or its original is not in quarantine)."""


@dataclass(frozen=True)
class Redrive:
    claim_id: str
    key: str
    previous_execution: str | None
    result: ClaimResult


def _quarantined(session: CloudSession, claim_id: str, name: str) -> bytes:
    s3 = session.client("s3")
    try:
        body: bytes = s3.get_object(Bucket=session.names.quarantine_bucket, Key=f"{claim_id}/{name}")["Body"].read()
    except s3.exceptions.NoSuchKey:
        raise RedriveRefused(f"{claim_id}: no {name} in s3://{session.names.quarantine_bucket}/{claim_id}/") from None
    return body


def original_of(session: CloudSession, claim_id: str) -> tuple[str, bytes]:
    """(inbox key, original bytes) of a quarantined claim."""
    reason: dict[str, Any] = json.loads(_quarantined(session, claim_id, "reason.json"))
    key = (reason.get("source") or {}).get("key")
    if not isinstance(key, str) or not key:
        raise RedriveRefused(f"{claim_id}: reason.json names no source key")
    return key, _quarantined(session, claim_id, "original")


def redrive(session: CloudSession, claim_id: str, *, timeout: float = 120.0) -> Redrive:
    record = session.claim_record(claim_id)
    if record is None:
        raise RedriveRefused(f"no claim {claim_id}")
    outcome = str(record.get("outcome"))
    if outcome != REDRIVABLE:
        raise RedriveRefused(f"{claim_id} is {outcome}: only {REDRIVABLE} claims are redriven")
    key, body = original_of(session, claim_id)
    arn = session.upload(body, key)
    result = session.follow(arn, key.rsplit("/", 1)[-1], timeout=timeout)
    return Redrive(claim_id=claim_id, key=key, previous_execution=record.get("execution_id"), result=result)


def run_redrive_command(args: Any, session: CloudSession, console: Any) -> int:
    """Exit 0 when the redriven claim reached an outcome other than ERROR."""
    with session:
        try:
            done = redrive(session, args.claim_id, timeout=args.timeout)
        except RedriveRefused as exc:
            console.print(f"[red]icpa redrive: {exc}[/]")
            return 1
    result = done.result
    if getattr(args, "json", False):
        console.print_json(
            json.dumps(
                {
                    "claim_id": done.claim_id,
                    "key": done.key,
                    "previous_execution": done.previous_execution,
                    **result.as_json(),
                }
            )
        )
    else:
        console.print(
            f"{done.claim_id}: redriven from s3://{session.names.inbox_bucket}/{done.key} -> "
            f"[bold]{result.outcome}[/] ({', '.join(result.reasons) or '-'}), "
            f"execution {result.execution_arn}"
        )
    return 0 if result.outcome != REDRIVABLE else 1
