"""Fake handlers for the local cloud's own tests.

- `FakeSteps`: every workflow step scripted (the moto patches and persistence machinery).
- `fraud_only()`: for `icpa serve --handlers local_fakes:fraud_only` and the CLI tests: the real
  intake, adjudication, router and review-callback handlers with a deterministic fraud step (low
  score, no signals), so the server mechanics do not depend on the fraud service's rules.
- `fraud_breaks_on_broken()`: the same, but a claim id containing BROKEN ends with outcome ERROR.
- `spy_on()`: every call of one function from then on, for the emulator patches' "skips the
  cost" tests.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from icpa_shared.contracts import FraudAssessment, StepInput
from icpa_shared.testing.builders import an_intake_result


@dataclass(frozen=True)
class Call:
    caller: str  # the calling frame's module
    args: tuple[Any, ...]
    result: Any


def spy_on(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[Call]:
    """Every call of `owner.name` from here on (the original still answers)."""
    calls: list[Call] = []
    original = getattr(owner, name)

    def spy(*args: Any) -> Any:
        result = original(*args)
        calls.append(Call(sys._getframe(1).f_globals.get("__name__", ""), args, result))
        return result

    monkeypatch.setattr(owner, name, spy)
    return calls


class FakeSteps:
    """Handlers that answer like the real ones, scripted per test."""

    def __init__(self) -> None:
        self.fraud_failures: list[Exception] = []
        self.intake_error: Exception | None = None
        self.calls: dict[str, list[dict[str, Any]]] = {}

    def _log(self, name: str, event: dict[str, Any]) -> None:
        self.calls.setdefault(name, []).append(event)

    def handlers(self) -> dict[str, Any]:
        def intake(event: dict[str, Any], ctx: Any) -> Any:
            self._log("intake", event)
            if self.intake_error:
                raise self.intake_error
            return an_intake_result().model_dump(mode="json")

        def fraud(event: dict[str, Any], ctx: Any) -> Any:
            self._log("fraud", event)
            if self.fraud_failures:
                raise self.fraud_failures.pop(0)
            return {"score": 0.1}

        def simple(name: str, result: Any) -> Any:
            def handler(event: dict[str, Any], ctx: Any) -> Any:
                self._log(name, event)
                return result(event) if callable(result) else result

            return handler

        def quarantine(event: dict[str, Any]) -> Any:
            name = event["state"]["error"]["Error"]
            outcome = "REJECTED" if name == "InvalidClaimError" else "ERROR"
            return {
                "claim_id": "CLM-0001",
                "outcome": outcome,
                "reason_codes": ["X_REASON"],
                "quarantine_uri": "s3://icpa-quarantine/CLM-0001/original",
            }

        return {
            "IntakeFunction": intake,
            "FraudFunction": fraud,
            "AdjudicationFunction": simple("adjudication", {"outcome": "APPROVED"}),
            "RouterFunction": simple("router", {"route": "AUTO_APPROVE", "reasons": ["R_OK"]}),
            "RecordDecisionFunction": simple(
                "record",
                lambda e: {
                    "claim_id": "CLM-0001",
                    "outcome": e["state"]["final"]["outcome"],
                    "decided_by": e["state"]["final"]["decided_by"],
                    "reason_codes": ["R_OK"],
                },
            ),
            "QuarantineFunction": simple("quarantine", quarantine),
            "ReviewRequestFunction": simple("review_request", {}),
            "EscalationFunction": simple("escalation", {}),
            "ReviewApiFunction": simple("review_api", {"statusCode": 200, "body": "{}"}),
        }


def _fraud(event: dict[str, Any], context: Any) -> dict[str, Any]:
    step = StepInput.model_validate(event)
    intake = step.state.intake
    assert intake is not None  # the ASL runs fraud after intake
    assessment = FraudAssessment(
        claim_id=intake.claim_id,
        score=0.05,
        rules_score=0.05,
        signals=[],
        model=None,
        service_version="0.0.0",
        assessed_at=datetime.now(UTC),
    )
    return assessment.model_dump(mode="json")


def fraud_only() -> dict[str, Any]:
    return {"FraudFunction": _fraud}


def _fraud_breaks(event: dict[str, Any], context: Any) -> dict[str, Any]:
    step = StepInput.model_validate(event)
    assert step.state.intake is not None
    if "BROKEN" in step.state.intake.claim_id:
        raise RuntimeError("the fraud model is broken")  # no typed error: quarantined, outcome ERROR
    return _fraud(event, context)


def fraud_breaks_on_broken() -> dict[str, Any]:
    """`fraud_only`, except that claims whose id says BROKEN fail with an untyped error."""
    return {"FraudFunction": _fraud_breaks}


# --- handlers a worker process imports by name (icpa_local.workers; test_local_workers.py) -------


class ClaimDeniedForTest(Exception):
    """A typed error raised in a worker: its class name is what the caller must see."""


def worker_echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    sys.stdout.write(f'{{"event": "worker.echo", "function": "{context.function_name}"}}\n')  # its log line
    return {"echo": event, "function": context.function_name, "request_id": context.aws_request_id}


def worker_raises(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise ClaimDeniedForTest(f"denied {event.get('claim_id')}")


def worker_not_json(event: dict[str, Any], context: Any) -> Any:
    return {"when": datetime.now(UTC)}  # a datetime: not a JSON result


def worker_exits(event: dict[str, Any], context: Any) -> Any:
    os._exit(3)  # the runtime dies mid-invocation


def worker_busy(event: dict[str, Any], context: Any) -> dict[str, Any]:
    total = sum(i * i for i in range(int(event.get("n", 200_000))))
    return {"total": total}
