"""Builders for contract objects: each returns a valid object unless a test overrides fields."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from icpa_shared.contracts import (
    Adjudication,
    AdjudicationOutcome,
    AdjudicationTotals,
    Claim,
    ClaimLine,
    IntakeResult,
    LineAdjudication,
    Money,
    Policy,
    SourceObject,
    StepInput,
    WorkflowState,
)
from icpa_shared.contracts.money import total

VALID_NPI = "1234567893"
FIXED_NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def usd(amount: str | int | Decimal) -> Money:
    return Money.of(amount)


def a_line(number: int = 1, **overrides: Any) -> ClaimLine:
    fields: dict[str, Any] = {
        "line_number": number,
        "procedure_code": "99213",
        "modifiers": [],
        "units": 1,
        "charge": usd("150.00"),
        "service_date": date(2026, 3, 1),
        "diagnosis_pointers": [1],
    }
    fields.update(overrides)
    return ClaimLine(**fields)


def a_claim(**overrides: Any) -> Claim:
    lines = overrides.pop("lines", None) or [a_line(1)]
    fields: dict[str, Any] = {
        "claim_id": "CLM-0001",
        "member_id": "MBR000001",
        "subscriber_id": "SUB000001",
        "policy_id": "POL-GOLD001",
        "provider_npi": VALID_NPI,
        "service_date_from": min(line.service_date for line in lines),
        "service_date_to": max(line.service_date for line in lines),
        "received_date": date(2026, 3, 5),
        "diagnosis_codes": ["J06.9"],
        "lines": lines,
        "total_charge": Money(amount=sum((line.charge.amount for line in lines), Decimal("0")), currency="USD"),
    }
    fields.update(overrides)
    return Claim(**fields)


def a_policy(**overrides: Any) -> Policy:
    fields: dict[str, Any] = {
        "policy_id": "POL-GOLD001",
        "plan_code": "GOLD-PPO",
        "status": "ACTIVE",
        "effective_from": date(2026, 1, 1),
        "effective_to": date(2026, 12, 31),
        "subscriber_id": "SUB000001",
        "members": ["MBR000001"],
        "annual_deductible": usd("500.00"),
        "deductible_met": usd("0.00"),
        "coinsurance_rate": Decimal("0.20"),
        "copays": {},
        "covered_procedures": ["99213", "99214", "80053", "71046"],
        "excluded_procedures": [],
        "annual_benefit_max": usd("100000.00"),
        "benefits_paid_to_date": usd("0.00"),
        "per_procedure_limits": {},
        "waiting_periods_days": {},
        "prior_auth_required": [],
        "prior_authorizations": [],
        "fee_schedule_id": "FS-2026",
    }
    fields.update(overrides)
    return Policy(**fields)


def a_source(**overrides: Any) -> SourceObject:
    fields: dict[str, Any] = {
        "bucket": "icpa-inbox",
        "key": "claims/clm-0001.json",
        "etag": "0123456789abcdef0123456789abcdef",
        "size": 1024,
    }
    fields.update(overrides)
    return SourceObject(**fields)


def an_intake_result(claim: Claim | None = None, **overrides: Any) -> IntakeResult:
    claim = claim or a_claim()
    fields: dict[str, Any] = {
        "claim_id": claim.claim_id,
        "claim_uri": f"s3://icpa-documents/claims/{claim.claim_id}.json",
        "claim_digest": "a" * 64,
        "source_format": "icpa",
        "line_count": len(claim.lines),
        "total_charge": claim.total_charge,
        "received_date": claim.received_date,
        "service_version": "1.0.0",
    }
    fields.update(overrides)
    return IntakeResult(**fields)


def a_step(state: WorkflowState | None = None, **state_fields: Any) -> StepInput:
    if state is None:
        state = WorkflowState(source=a_source(), **state_fields)
    return StepInput(
        state=state,
        execution_id="arn:aws:states:us-east-1:123456789012:execution:icpa-claims:test-1",
    )


_ADJUDICATED_AMOUNTS = ("allowed", "deductible", "copay", "coinsurance", "payable")


def a_line_adjudication(number: int = 1, submitted: str = "150.00", **overrides: Any) -> LineAdjudication:
    """A covered line paid in full unless amounts are given (strings); payable defaults to
    allowed minus the member's share, so the line adds up."""
    fields: dict[str, Any] = {
        "line_number": number,
        "procedure_code": "99213",
        "eligible": True,
        "covered": True,
        "submitted": usd(submitted),
        "allowed": usd(submitted),
        "deductible": usd("0"),
        "copay": usd("0"),
        "coinsurance": usd("0"),
        "reason_codes": ["COVERED"],
    }
    fields.update({k: usd(v) if k in _ADJUDICATED_AMOUNTS else v for k, v in overrides.items()})
    fields.setdefault("payable", fields["allowed"] - (fields["deductible"] + fields["copay"] + fields["coinsurance"]))
    return LineAdjudication(**fields)


def an_adjudication_of(claim: Claim, lines: list[LineAdjudication], **overrides: Any) -> Adjudication:
    """The adjudication of `claim` with these lines: totals summed, outcome from coverage."""
    names = ("submitted", "allowed", "deductible", "copay", "coinsurance", "payable")
    currency = claim.total_charge.currency
    sums = {name: total((getattr(line, name) for line in lines), currency) for name in names}
    covered = [line.covered for line in lines]
    outcome = (
        AdjudicationOutcome.APPROVED
        if all(covered)
        else AdjudicationOutcome.DENIED
        if not any(covered)
        else AdjudicationOutcome.PARTIAL
    )
    fields: dict[str, Any] = {
        "claim_id": claim.claim_id,
        "policy_id": claim.policy_id,
        "outcome": outcome,
        "lines": lines,
        "totals": AdjudicationTotals(**sums),
        "service_version": "1.0.0",
        "adjudicated_at": FIXED_NOW,
    }
    fields.update(overrides)
    return Adjudication(**fields)
