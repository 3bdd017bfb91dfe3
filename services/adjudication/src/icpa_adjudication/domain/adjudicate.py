"""Line-level adjudication: deterministic, explainable, shaped after FHIR ClaimResponse.

The order, per line in line_number order (never input order, so the result does not depend on
how the lines arrive):

1. eligibility   POLICY_LAPSED, NOT_EFFECTIVE_ON_DATE, MEMBER_NOT_ON_POLICY
2. benefit       NOT_COVERED, EXCLUDED_SERVICE
3. conditions    WAITING_PERIOD, PRIOR_AUTH_REQUIRED
4. pricing       NO_FEE_SCHEDULE_RATE (covered, but the schedule cannot price it)
   The first tier that fails denies the line with every reason of that tier, and later tiers
   are not consulted: a line denied for a deterministic fact (a lapsed policy) is not also
   marked with a conditional one (missing prior auth), which would send it to a human.
5. allowed       min(submitted, fee schedule rate x units)               FEE_SCHEDULE_APPLIED
                 capped by what is left of the per-procedure limit        PER_PROCEDURE_LIMIT
                 (the limit is per claim and procedure, so splitting units across lines does
                 not raise it; a line that finds the limit used up is denied with that code)
6. deductible    min(allowed, annual_deductible - deductible_met - used)  DEDUCTIBLE_APPLIED
7. copay         min(copay for the procedure, what is left)               COPAY_APPLIED
8. coinsurance   rate x what is left, half-up to cents                    COINSURANCE_APPLIED
9. payable       allowed - deductible - copay - coinsurance
10. benefit max  payable capped by annual_benefit_max - benefits_paid_to_date - paid so far.
                 LineAdjudication requires payable + member share == allowed, and the member's
                 share (deductible, copay, coinsurance) is what the plan's terms make them pay
                 regardless of the benefit max, so the amount cut from payable is cut from
                 `allowed` too (ANNUAL_LIMIT_REACHED): it is not allowed under this year's
                 benefit. A line that finds the benefit already used up is denied with that
                 code and consumes nothing (its deductible stays available to later lines).

Denied lines pay nothing and carry zero allowed, deductible, copay and coinsurance. Covered
lines carry COVERED first, then the adjustments in the order they were applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from icpa_adjudication.domain.codes import NO_FEE_SCHEDULE_RATE
from icpa_adjudication.domain.fee_schedule import FeeSchedule
from icpa_shared.contracts import (
    Adjudication,
    AdjudicationOutcome,
    AdjudicationTotals,
    Claim,
    ClaimLine,
    LineAdjudication,
    Money,
    Policy,
    PolicyStatus,
)
from icpa_shared.contracts import reasons as rc
from icpa_shared.contracts.money import total
from icpa_shared.errors import ContractViolationError, InvalidClaimError

CURRENCY_MISMATCH = "CURRENCY_MISMATCH"

ELIGIBILITY_REASONS = frozenset({rc.POLICY_LAPSED, rc.NOT_EFFECTIVE_ON_DATE, rc.MEMBER_NOT_ON_POLICY})


@dataclass
class _Running:
    """What earlier lines of this claim have used up (mutated line by line, in order)."""

    deductible_left: Money
    benefit_left: Money
    procedure_limit_left: dict[str, Money]


def adjudicate(
    claim: Claim,
    policy: Policy,
    fee_schedule: FeeSchedule,
    *,
    adjudicated_at: datetime,
    service_version: str,
) -> Adjudication:
    currency = _common_currency(claim, policy, fee_schedule)
    running = _Running(
        deductible_left=policy.annual_deductible - policy.deductible_met,
        benefit_left=_left_of(policy.annual_benefit_max, policy.benefits_paid_to_date),
        procedure_limit_left=dict(policy.per_procedure_limits),
    )
    lines = [
        _adjudicate_line(line, claim.member_id, policy, fee_schedule, running)
        for line in sorted(claim.lines, key=lambda line: line.line_number)
    ]
    return Adjudication(
        claim_id=claim.claim_id,
        policy_id=policy.policy_id,
        outcome=_outcome(lines),
        lines=lines,
        totals=_totals(lines, currency),
        reason_codes=claim_reason_codes(lines),
        service_version=service_version,
        adjudicated_at=adjudicated_at,
    )


def with_explanation(adjudication: Adjudication, text: str, model_id: str | None) -> Adjudication:
    """The same result with its explanation attached (validated again: length limits hold)."""
    return Adjudication.model_validate(
        {**adjudication.model_dump(), "explanation": text, "explanation_model_id": model_id}
    )


def claim_reason_codes(lines: list[LineAdjudication]) -> list[str]:
    """The union of the denied lines' reasons (first seen first), ANNUAL_LIMIT_REACHED when the
    benefit max cut a paid line, and COVERED when there is nothing else to say."""
    codes = [
        code for line in lines for code in line.reason_codes if not line.covered or code == rc.ANNUAL_LIMIT_REACHED
    ]
    return list(dict.fromkeys(codes)) or [rc.COVERED]


# --- one line ---------------------------------------------------------------------------------


def _adjudicate_line(
    line: ClaimLine, member_id: str, policy: Policy, fees: FeeSchedule, running: _Running
) -> LineAdjudication:
    denial = _denial_reasons(line, member_id, policy, fees)
    if denial:
        return _denied(line, denial)
    return _priced(line, policy, fees, running)


def _denial_reasons(line: ClaimLine, member_id: str, policy: Policy, fees: FeeSchedule) -> list[str]:
    for tier in (
        _eligibility_denials(line, member_id, policy),
        _benefit_denials(line, policy),
        _condition_denials(line, policy),
        [] if fees.rate_for(line.procedure_code) is not None else [NO_FEE_SCHEDULE_RATE],
    ):
        if tier:
            return tier
    return []


def _eligibility_denials(line: ClaimLine, member_id: str, policy: Policy) -> list[str]:
    reasons = []
    if policy.status is not PolicyStatus.ACTIVE:
        reasons.append(rc.POLICY_LAPSED)
    if not policy.effective_from <= line.service_date <= policy.effective_to:
        reasons.append(rc.NOT_EFFECTIVE_ON_DATE)
    if not policy.covers_member(member_id):
        reasons.append(rc.MEMBER_NOT_ON_POLICY)
    return reasons


def _benefit_denials(line: ClaimLine, policy: Policy) -> list[str]:
    reasons = []
    if line.procedure_code not in policy.covered_procedures:
        reasons.append(rc.NOT_COVERED)
    if line.procedure_code in policy.excluded_procedures:
        reasons.append(rc.EXCLUDED_SERVICE)
    return reasons


def _condition_denials(line: ClaimLine, policy: Policy) -> list[str]:
    reasons = []
    wait_days = policy.waiting_periods_days.get(line.procedure_code, 0)
    # Days since the policy began, not effective_from + wait: that sum can pass 9999-12-31.
    if (line.service_date - policy.effective_from).days < wait_days:
        reasons.append(rc.WAITING_PERIOD)
    code = line.procedure_code
    if code in policy.prior_auth_required and code not in policy.prior_authorizations:
        reasons.append(rc.PRIOR_AUTH_REQUIRED)
    return reasons


def _priced(line: ClaimLine, policy: Policy, fees: FeeSchedule, running: _Running) -> LineAdjudication:
    code = line.procedure_code
    submitted = line.charge
    zero = Money.zero(submitted.currency)
    reasons = [rc.COVERED]

    rate = fees.rate_for(code)
    assert rate is not None  # _denial_reasons denied unpriced codes
    scheduled = rate.times(Decimal(line.units))
    allowed = submitted
    if scheduled < submitted:
        allowed = scheduled
        reasons.append(rc.FEE_SCHEDULE_APPLIED)

    limit_left = running.procedure_limit_left.get(code)
    if limit_left is not None and limit_left < allowed:
        if limit_left.amount == 0:
            return _denied(line, [rc.PER_PROCEDURE_LIMIT])
        allowed = limit_left
        reasons.append(rc.PER_PROCEDURE_LIMIT)

    deductible = allowed.min(running.deductible_left)
    if deductible.amount > 0:
        reasons.append(rc.DEDUCTIBLE_APPLIED)
    left = allowed - deductible

    copay = left.min(policy.copays.get(code, zero))
    if copay.amount > 0:
        reasons.append(rc.COPAY_APPLIED)
    left = left - copay

    coinsurance = left.times(policy.coinsurance_rate)  # rate <= 1, so never more than `left`
    if coinsurance.amount > 0:
        reasons.append(rc.COINSURANCE_APPLIED)
    payable = left - coinsurance

    if running.benefit_left < payable:
        if running.benefit_left.amount == 0:
            return _denied(line, [rc.ANNUAL_LIMIT_REACHED])
        cut = payable - running.benefit_left
        payable = running.benefit_left
        allowed = allowed - cut
        reasons.append(rc.ANNUAL_LIMIT_REACHED)

    running.deductible_left = running.deductible_left - deductible
    running.benefit_left = running.benefit_left - payable
    if limit_left is not None:
        running.procedure_limit_left[code] = limit_left - allowed

    return LineAdjudication(
        line_number=line.line_number,
        procedure_code=code,
        eligible=True,
        covered=True,
        submitted=submitted,
        allowed=allowed,
        deductible=deductible,
        copay=copay,
        coinsurance=coinsurance,
        payable=payable,
        reason_codes=reasons,
    )


def _denied(line: ClaimLine, reasons: list[str]) -> LineAdjudication:
    zero = Money.zero(line.charge.currency)
    return LineAdjudication(
        line_number=line.line_number,
        procedure_code=line.procedure_code,
        eligible=not ELIGIBILITY_REASONS.intersection(reasons),
        covered=False,
        submitted=line.charge,
        allowed=zero,
        deductible=zero,
        copay=zero,
        coinsurance=zero,
        payable=zero,
        reason_codes=reasons,
    )


# --- the claim --------------------------------------------------------------------------------


def _outcome(lines: list[LineAdjudication]) -> AdjudicationOutcome:
    covered = sum(1 for line in lines if line.covered)
    if covered == len(lines):
        return AdjudicationOutcome.APPROVED
    if covered == 0:
        return AdjudicationOutcome.DENIED
    return AdjudicationOutcome.PARTIAL


def _totals(lines: list[LineAdjudication], currency: str) -> AdjudicationTotals:
    return AdjudicationTotals(
        submitted=total((line.submitted for line in lines), currency),
        allowed=total((line.allowed for line in lines), currency),
        deductible=total((line.deductible for line in lines), currency),
        copay=total((line.copay for line in lines), currency),
        coinsurance=total((line.coinsurance for line in lines), currency),
        payable=total((line.payable for line in lines), currency),
    )


def _left_of(limit: Money, used: Money) -> Money:
    """What is left of an annual amount; never negative (a policy may be over its max already)."""
    return Money.zero(limit.currency) if limit <= used else limit - used


def _common_currency(claim: Claim, policy: Policy, fees: FeeSchedule) -> str:
    policy_amounts = [
        policy.annual_deductible,
        policy.deductible_met,
        policy.annual_benefit_max,
        policy.benefits_paid_to_date,
        *policy.copays.values(),
        *policy.per_procedure_limits.values(),
    ]
    policy_currencies = {m.currency for m in policy_amounts}
    if len(policy_currencies) != 1 or fees.currency not in policy_currencies:
        raise ContractViolationError(
            f"policy {policy.policy_id} and fee schedule {fees.fee_schedule_id} mix currencies"
        )
    if claim.total_charge.currency != fees.currency:
        raise InvalidClaimError(
            f"claim {claim.claim_id} is in {claim.total_charge.currency}; its policy pays in {fees.currency}",
            reasons=[CURRENCY_MISMATCH],
        )
    return fees.currency
