"""What was paid on each line and why the rest was not: the one settlement both answers
(FHIR ClaimResponse, X12 835) are written from, and the ONE table from ICPA's reason codes to
claim adjustment group codes, CARC and RARC values.

Only code values are shipped (the CARC/RARC lists are published by X12; their descriptions are
X12's and stay out of this repository). Balancing holds by construction and is checked:
charge - adjustments = paid on every line, so also on the claim.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final, Literal

from icpa_shared.contracts import Adjudication, Claim, ClaimLine, LineAdjudication, Money, Outcome
from icpa_shared.contracts import reasons as rc
from icpa_shared.contracts.money import total
from icpa_shared.errors import ContractViolationError

Group = Literal["CO", "PR", "OA"]  # contractual obligation, patient responsibility, other


@dataclass(frozen=True)
class CarcCode:
    group: Group
    carc: str
    rarc: str | None = None


# ICPA reason code -> how an 835 and a ClaimResponse say it. Reasons that adjust nothing
# (COVERED, the routing and fraud codes) are not here.
CARC: Final[dict[str, CarcCode]] = {
    rc.FEE_SCHEDULE_APPLIED: CarcCode("CO", "45"),  # charge above the fee schedule
    rc.DEDUCTIBLE_APPLIED: CarcCode("PR", "1"),
    rc.COINSURANCE_APPLIED: CarcCode("PR", "2"),
    rc.COPAY_APPLIED: CarcCode("PR", "3"),
    rc.PER_PROCEDURE_LIMIT: CarcCode("PR", "119"),  # benefit maximum for the period/occurrence
    rc.ANNUAL_LIMIT_REACHED: CarcCode("PR", "119"),
    rc.NOT_COVERED: CarcCode("PR", "204"),  # not covered under the patient's current plan
    rc.EXCLUDED_SERVICE: CarcCode("PR", "96", "N130"),  # non-covered; see plan benefit documents
    rc.WAITING_PERIOD: CarcCode("PR", "96", "N130"),
    rc.PRIOR_AUTH_REQUIRED: CarcCode("CO", "197"),  # authorization absent
    rc.POLICY_LAPSED: CarcCode("PR", "27"),  # incurred after coverage terminated
    rc.NOT_EFFECTIVE_ON_DATE: CarcCode("PR", "26"),  # incurred outside the coverage dates
    rc.MEMBER_NOT_ON_POLICY: CarcCode("CO", "31"),  # patient not identified as our insured
    rc.EXACT_DUPLICATE: CarcCode("CO", "18"),  # exact duplicate claim/service
    "REVIEWER_DENIED": CarcCode("CO", "96", "N10"),  # denied after manual review (router's code)
}
FALLBACK_DENIAL: Final = CarcCode("CO", "96")
"""A denial whose reason has no entry above (a new code not yet mapped): non-covered."""

# Reasons that shape a payment (never the reason a line or claim is denied).
_PAYMENT_PARTS: Final = frozenset(
    {rc.FEE_SCHEDULE_APPLIED, rc.DEDUCTIBLE_APPLIED, rc.COINSURANCE_APPLIED, rc.COPAY_APPLIED}
)
_REDUCTION_ORDER: Final = (rc.ANNUAL_LIMIT_REACHED, rc.PER_PROCEDURE_LIMIT, rc.FEE_SCHEDULE_APPLIED)
_MEMBER_SHARES: Final = (
    ("deductible", rc.DEDUCTIBLE_APPLIED),
    ("coinsurance", rc.COINSURANCE_APPLIED),
    ("copay", rc.COPAY_APPLIED),
)


@dataclass(frozen=True)
class Adjustment:
    code: CarcCode
    amount: Money
    reason: str  # the ICPA reason code it stands for


@dataclass(frozen=True)
class LineSettlement:
    line: ClaimLine
    allowed: Money
    deductible: Money
    copay: Money
    coinsurance: Money
    paid: Money
    adjustments: tuple[Adjustment, ...]
    reason_codes: tuple[str, ...]

    @property
    def charge(self) -> Money:
        return self.line.charge

    @property
    def patient_responsibility(self) -> Money:
        return _sum((a.amount for a in self.adjustments if a.code.group == "PR"), self.charge.currency)


@dataclass(frozen=True)
class Settlement:
    claim: Claim
    outcome: Outcome
    lines: tuple[LineSettlement, ...]
    reason_codes: tuple[str, ...]
    decided_on: date

    @property
    def charge(self) -> Money:
        return self.claim.total_charge

    @property
    def paid(self) -> Money:
        return _sum((line.paid for line in self.lines), self.charge.currency)

    @property
    def patient_responsibility(self) -> Money:
        return _sum((line.patient_responsibility for line in self.lines), self.charge.currency)

    def total(self, name: str) -> Money:
        return _sum((getattr(line, name) for line in self.lines), self.charge.currency)


def _sum(amounts: Iterable[Money], currency: str) -> Money:
    return total(amounts, currency)


def denial_code(reasons: Sequence[str]) -> tuple[str, CarcCode]:
    """The first reason that says why a claim or line is denied, and how an 835 says it."""
    for reason in reasons:
        code = CARC.get(reason)
        if code is not None and reason not in _PAYMENT_PARTS:
            return reason, code
    return (reasons[0] if reasons else "DENIED"), FALLBACK_DENIAL


def settle(
    claim: Claim, adjudication: Adjudication, outcome: Outcome, reason_codes: list[str], decided_on: date
) -> Settlement:
    """The final decision applied to the adjudicated lines: an APPROVED claim pays what
    adjudication found payable (uncovered lines adjusted by their reason); a DENIED one pays
    nothing, every line adjusted by the denial's reason. Other outcomes have no answer."""
    if outcome not in (Outcome.APPROVED, Outcome.DENIED):
        raise ContractViolationError(f"a {outcome.value} claim has no payer answer")
    if adjudication.claim_id != claim.claim_id:
        raise ContractViolationError("the adjudication is for another claim")
    adjudicated = {line.line_number: line for line in adjudication.lines}
    if sorted(adjudicated) != sorted(line.line_number for line in claim.lines):
        raise ContractViolationError("the adjudication's lines are not the claim's")
    claim_denial = denial_code(reason_codes) if outcome is Outcome.DENIED else None
    lines = tuple(_settle_line(line, adjudicated[line.line_number], claim_denial) for line in claim.lines)
    return Settlement(
        claim=claim, outcome=outcome, lines=lines, reason_codes=tuple(reason_codes), decided_on=decided_on
    )


def _settle_line(
    line: ClaimLine, adjudicated: LineAdjudication, claim_denial: tuple[str, CarcCode] | None
) -> LineSettlement:
    zero = Money.zero(line.charge.currency)
    if claim_denial is not None or not adjudicated.covered:
        reason, code = (
            denial_code(adjudicated.reason_codes) if not adjudicated.covered or claim_denial is None else claim_denial
        )
        settled = LineSettlement(
            line=line,
            allowed=zero,
            deductible=zero,
            copay=zero,
            coinsurance=zero,
            paid=zero,
            adjustments=(Adjustment(code, line.charge, reason),),
            reason_codes=tuple(dict.fromkeys([*adjudicated.reason_codes, reason])),
        )
    else:
        adjustments: list[Adjustment] = []
        reduction = adjudicated.submitted - adjudicated.allowed
        if reduction.amount > 0:
            reason = next((r for r in _REDUCTION_ORDER if r in adjudicated.reason_codes), rc.FEE_SCHEDULE_APPLIED)
            adjustments.append(Adjustment(CARC[reason], reduction, reason))
        for name, reason in _MEMBER_SHARES:
            amount: Money = getattr(adjudicated, name)
            if amount.amount > 0:
                adjustments.append(Adjustment(CARC[reason], amount, reason))
        settled = LineSettlement(
            line=line,
            allowed=adjudicated.allowed,
            deductible=adjudicated.deductible,
            copay=adjudicated.copay,
            coinsurance=adjudicated.coinsurance,
            paid=adjudicated.payable,
            adjustments=tuple(adjustments),
            reason_codes=tuple(adjudicated.reason_codes),
        )
    check_balanced(settled)
    return settled


def check_balanced(line: LineSettlement) -> None:
    """charge - adjustments = paid, or ContractViolationError (an 835 that does not balance is
    rejected by every payee's system)."""
    adjusted = sum((a.amount.amount for a in line.adjustments), Decimal("0"))
    if line.charge.amount - adjusted != line.paid.amount:
        raise ContractViolationError(f"line {line.line.line_number} does not balance: charge - adjustments != paid")
