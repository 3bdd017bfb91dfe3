"""A claim's result, read back from the execution history and the claims table."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from icpa_local.session import ClaimResult, CloudSession

ROUTES = {"AUTO_APPROVE": "AUTO", "AUTO_DENY": "AUTO", "HUMAN_REVIEW": "HUMAN"}


def _latest_state_document(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The newest state document the execution produced (the last state's output or input)."""
    for event in reversed(events):
        for key in ("stateExitedEventDetails", "stateEnteredEventDetails"):
            details = event.get(key)
            if details:
                raw = details.get("output") if key == "stateExitedEventDetails" else details.get("input")
                if raw:
                    try:
                        doc = json.loads(raw)
                    except ValueError:
                        continue
                    if isinstance(doc, dict):
                        return doc
    return {}


def claim_result(cloud: CloudSession, arn: str, file: str) -> ClaimResult:
    from icpa_local.session import ClaimResult

    description = cloud.describe(arn)
    status = str(description["status"])
    events = cloud.history(arn)
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]
    doc = _latest_state_document(events)
    if status == "SUCCEEDED" and description.get("output"):
        doc = json.loads(description["output"])
    start = description["startDate"]
    stop = description.get("stopDate") or datetime.now(UTC)
    duration_ms = int((stop - start).total_seconds() * 1000)

    intake = doc.get("intake") or {}
    routing = doc.get("routing") or {}
    record = doc.get("record")
    quarantine = doc.get("quarantine")
    claim_id = intake.get("claim_id") or (quarantine or {}).get("claim_id") or (record or {}).get("claim_id")
    route = ROUTES.get(routing.get("route", ""), "NONE")
    review_id = None

    if record:
        outcome = record["outcome"]
        reasons = list(record.get("reason_codes", []))
        payable = (record.get("payable") or {}).get("amount")
    elif quarantine:
        outcome = quarantine["outcome"]
        reasons = list(quarantine.get("reason_codes", []))
        payable = None
    elif status == "RUNNING" and (review_id := cloud.pending_review_for(arn)):
        outcome, reasons, payable = "PENDING_REVIEW", list(routing.get("reasons", [])), None
        route = "HUMAN"
    else:
        # No record in the state: the claims table has the last word (e.g. an execution that
        # failed after quarantine), else the execution's own error.
        stored = cloud.claim_record(claim_id) if claim_id else None
        if stored:
            outcome, reasons = stored["outcome"], list(stored.get("reason_codes", []))
            payable = (stored.get("payable") or {}).get("amount")
        else:
            outcome = "ERROR"
            reasons = [str(description.get("error") or status)]
            payable = None
    return ClaimResult(
        file=file, claim_id=claim_id, execution_arn=arn, status=status, outcome=outcome, route=route,
        reasons=reasons, payable_amount=payable, transitions=len(entered), duration_ms=duration_ms,
        review_id=review_id, states=entered,
    )
