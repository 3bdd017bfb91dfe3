"""A claim's result: a pure function of its execution's description and history, and of the
records read for it (the review it waits on, its row in the claims table). No AWS calls here:
the session reads, this module decides."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ROUTES = {"AUTO_APPROVE": "AUTO", "AUTO_DENY": "AUTO", "HUMAN_REVIEW": "HUMAN"}


@dataclass
class ClaimResult:
    """What `icpa process --json` prints for one file."""

    file: str
    claim_id: str | None
    execution_arn: str
    status: str
    outcome: str
    route: str
    reasons: list[str]
    payable_amount: str | None
    transitions: int
    duration_ms: int
    review_id: str | None = None
    states: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "states"}
        return out


@dataclass(frozen=True)
class ExecutionView:
    """What an execution's description and history say about its claim."""

    arn: str
    description: dict[str, Any]
    states: list[str]
    document: dict[str, Any]  # the newest state document (the output once SUCCEEDED)
    duration_ms: int

    @property
    def status(self) -> str:
        return str(self.description["status"])

    @property
    def record(self) -> dict[str, Any] | None:
        return self.document.get("record")

    @property
    def quarantine(self) -> dict[str, Any] | None:
        return self.document.get("quarantine")

    @property
    def claim_id(self) -> str | None:
        intake = self.document.get("intake") or {}
        found = intake.get("claim_id") or (self.quarantine or {}).get("claim_id") or (self.record or {}).get("claim_id")
        return None if found is None else str(found)

    @property
    def decided(self) -> bool:
        """The state document carries the claim's outcome: nothing else needs reading."""
        return bool(self.record) or bool(self.quarantine)

    @property
    def may_wait_for_review(self) -> bool:
        return not self.decided and self.status == "RUNNING"


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


def read_execution(arn: str, description: dict[str, Any], events: list[dict[str, Any]], now: datetime) -> ExecutionView:
    """`now` ends the duration of an execution that has not stopped."""
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]
    doc = _latest_state_document(events)
    if str(description["status"]) == "SUCCEEDED" and description.get("output"):
        doc = json.loads(description["output"])
    stop = description.get("stopDate") or now
    duration_ms = int((stop - description["startDate"]).total_seconds() * 1000)
    return ExecutionView(arn=arn, description=description, states=entered, document=doc, duration_ms=duration_ms)


def claim_result(
    execution: ExecutionView,
    *,
    file: str,
    review_id: str | None = None,
    stored_record: dict[str, Any] | None = None,
) -> ClaimResult:
    """`review_id`: the PENDING review a RUNNING execution waits on; `stored_record`: the claim's
    row in the claims table, which has the last word when the state document has no outcome
    (e.g. an execution that failed after quarantine)."""
    routing = execution.document.get("routing") or {}
    record, quarantine = execution.record, execution.quarantine
    route = ROUTES.get(routing.get("route", ""), "NONE")
    pending = None

    if record:
        outcome = record["outcome"]
        reasons = list(record.get("reason_codes", []))
        payable = (record.get("payable") or {}).get("amount")
    elif quarantine:
        outcome = quarantine["outcome"]
        reasons = list(quarantine.get("reason_codes", []))
        payable = None
    elif execution.may_wait_for_review and review_id:
        outcome, reasons, payable = "PENDING_REVIEW", list(routing.get("reasons", [])), None
        route, pending = "HUMAN", review_id
    elif stored_record:
        outcome, reasons = stored_record["outcome"], list(stored_record.get("reason_codes", []))
        payable = (stored_record.get("payable") or {}).get("amount")
    elif "InterchangeSplit" in execution.states:  # an X12 interchange: each claim has its own execution
        outcome, reasons, payable = "SPLIT", [], None
    else:
        outcome = "ERROR"
        reasons = [str(execution.description.get("error") or execution.status)]
        payable = None
    return ClaimResult(
        file=file,
        claim_id=execution.claim_id,
        execution_arn=execution.arn,
        status=execution.status,
        outcome=outcome,
        route=route,
        reasons=reasons,
        payable_amount=payable,
        transitions=len(execution.states),
        duration_ms=execution.duration_ms,
        review_id=pending,
        states=execution.states,
    )
