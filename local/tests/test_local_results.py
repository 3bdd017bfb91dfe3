"""results.claim_result is a pure function of an execution's description, history and the
records read for it: each branch of the outcome, without a cloud."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from icpa_local.results import claim_result, read_execution

START = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
ARN = "arn:aws:states:us-east-1:123456789012:execution:claims:e-1"


def entered(name: str, doc: dict[str, Any]) -> dict[str, Any]:
    return {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": name, "input": json.dumps(doc)}}


def exited(name: str, doc: dict[str, Any]) -> dict[str, Any]:
    return {"type": "TaskStateExited", "stateExitedEventDetails": {"name": name, "output": json.dumps(doc)}}


def describe(status: str, **extra: Any) -> dict[str, Any]:
    return {"status": status, "startDate": START, **extra}


def test_a_succeeded_execution_reads_its_record_from_the_output() -> None:
    # Given a SUCCEEDED execution whose output carries the record
    record = {"claim_id": "CLM-1", "outcome": "APPROVED", "reason_codes": ["OK"], "payable": {"amount": "12.50"}}
    output = {"intake": {"claim_id": "CLM-1"}, "routing": {"route": "AUTO_APPROVE"}, "record": record}
    events = [entered("Intake", {}), exited("Intake", {"intake": {"claim_id": "CLM-1"}}), entered("Record", {})]
    view = read_execution(
        ARN,
        describe("SUCCEEDED", output=json.dumps(output), stopDate=START + timedelta(seconds=2)),
        events,
        now=START + timedelta(hours=1),
    )
    # When its result is read
    result = claim_result(view, file="a.json")
    # Then the record decides it, and the duration ends at the stop date
    assert (result.claim_id, result.outcome, result.route, result.reasons, result.payable_amount) == (
        "CLM-1",
        "APPROVED",
        "AUTO",
        ["OK"],
        "12.50",
    )
    assert (result.transitions, result.states, result.duration_ms) == (2, ["Intake", "Record"], 2000)
    assert view.decided and not view.may_wait_for_review


def test_a_running_execution_with_a_pending_review_is_pending_review() -> None:
    doc = {"intake": {"claim_id": "CLM-2"}, "routing": {"route": "HUMAN_REVIEW", "reasons": ["HIGH_AMOUNT"]}}
    view = read_execution(ARN, describe("RUNNING"), [entered("RequestReview", doc)], now=START + timedelta(seconds=3))
    assert view.may_wait_for_review
    result = claim_result(view, file="b.json", review_id="REV-9")
    assert (result.outcome, result.route, result.reasons, result.review_id, result.duration_ms) == (
        "PENDING_REVIEW",
        "HUMAN",
        ["HIGH_AMOUNT"],
        "REV-9",
        3000,
    )


def test_without_an_outcome_in_state_the_claims_table_has_the_last_word_else_error() -> None:
    doc = {"intake": {"claim_id": "CLM-3"}}
    view = read_execution(
        ARN, describe("FAILED", error="States.TaskFailed", stopDate=START), [exited("Intake", doc)], now=START
    )
    stored = {"outcome": "REJECTED", "reason_codes": ["BAD"], "payable": None}
    assert (claim_result(view, file="c.json", stored_record=stored).outcome, view.claim_id) == ("REJECTED", "CLM-3")
    errored = claim_result(view, file="c.json")
    assert (errored.outcome, errored.reasons, errored.route) == ("ERROR", ["States.TaskFailed"], "NONE")
