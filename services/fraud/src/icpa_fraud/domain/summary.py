"""The de-identified claim summary a model judges, and the prompt built from it.

Only procedure codes, units, amounts, counts, the provider's specialty and signal codes go in:
no names, birth dates, addresses, member or subscriber ids, diagnosis codes or service dates.
Lines are sorted, so the same claim gives the same summary whatever the order of its lines.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from icpa_fraud.domain.reference import ReferenceData
from icpa_fraud.domain.signals import ClaimHistory
from icpa_shared.contracts import Claim, FraudSignal, Money
from icpa_shared.contracts.money import quantize
from icpa_shared.contracts.types import ProcedureCode, ReasonCode, Score

UNKNOWN_SPECIALTY = "unknown"


class LineSummary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    procedure_code: ProcedureCode
    units: int = Field(ge=1)
    charge: Money
    charge_per_unit: Decimal
    reference_p50: Decimal | None = None
    reference_p95: Decimal | None = None


class SignalSummary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: ReasonCode
    weight: Score


class ClaimSummary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal["1.0"] = "1.0"
    claim_type: str
    line_count: int
    service_days: int
    total_charge: Money
    lines: list[LineSummary]
    provider_specialty: str
    member_claims_in_window: int
    provider_claims_in_window: int
    signals: list[SignalSummary]
    rules_score: Score


def summarize(
    claim: Claim, *, signals: list[FraudSignal], rules: float, history: ClaimHistory, reference: ReferenceData
) -> ClaimSummary:
    lines = []
    for line in claim.lines:
        band = reference.charges.band(line.procedure_code, line.charge.currency)
        lines.append(
            LineSummary(
                procedure_code=line.procedure_code,
                units=line.units,
                charge=line.charge,
                charge_per_unit=quantize(line.charge.amount / line.units),
                reference_p50=band.p50 if band else None,
                reference_p95=band.p95 if band else None,
            )
        )
    lines.sort(key=lambda s: (s.procedure_code, s.charge.amount, s.units))
    return ClaimSummary(
        claim_type=claim.claim_type.value,
        line_count=len(claim.lines),
        service_days=len({line.service_date for line in claim.lines}),
        total_charge=claim.total_charge,
        lines=lines,
        provider_specialty=reference.providers.specialty(claim.provider_npi) or UNKNOWN_SPECIALTY,
        member_claims_in_window=len({h.claim_id for h in history.member}),
        provider_claims_in_window=len({h.claim_id for h in history.provider}),
        signals=[SignalSummary(code=s.code, weight=s.weight) for s in sorted(signals, key=lambda s: s.code)],
        rules_score=rules,
    )


INSTRUCTIONS = (
    "You assess the fraud risk of one health-insurance claim for a claims examiner. "
    "The claim is summarized below as de-identified JSON: procedure codes, units, charges with "
    "reference percentiles per unit, counts of the member's and provider's other claims nearby, "
    "the provider's specialty, and the rule signals already raised with their weights. "
    'Answer with only one JSON object: {"score": <a number from 0 to 1>, "rationale": '
    '"<at most three sentences, no personal data>"}.'
)


def prompt(summary: ClaimSummary) -> str:
    body = json.dumps(summary.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return f"{INSTRUCTIONS}\n\nCLAIM SUMMARY: {body}"
