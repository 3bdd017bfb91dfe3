"""Explanations: human-readable text drafted from an adjudication that is already computed.

An explainer only writes words. The outcome and every amount come from `adjudicate`; a model's
draft is accepted only if each amount it states is one the adjudication contains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, Protocol

from icpa_adjudication.domain.codes import NO_FEE_SCHEDULE_RATE
from icpa_shared.contracts import Adjudication, AdjudicationTotals, LineAdjudication, Money
from icpa_shared.contracts import reasons as rc

MAX_EXPLANATION_CHARS: Final = 4000

REASON_TEXT: Final[dict[str, str]] = {
    rc.COVERED: "covered by the policy",
    rc.POLICY_LAPSED: "the policy was not active",
    rc.NOT_EFFECTIVE_ON_DATE: "the service date is outside the policy's effective dates",
    rc.MEMBER_NOT_ON_POLICY: "the patient is not a member on this policy",
    rc.NOT_COVERED: "the procedure is not a covered service",
    rc.EXCLUDED_SERVICE: "the procedure is excluded by the policy",
    rc.WAITING_PERIOD: "the procedure's waiting period had not ended",
    rc.PRIOR_AUTH_REQUIRED: "the procedure needs a prior authorization that is not on file",
    rc.ANNUAL_LIMIT_REACHED: "the policy's annual benefit maximum was reached",
    rc.PER_PROCEDURE_LIMIT: "the policy's limit for this procedure applies",
    rc.FEE_SCHEDULE_APPLIED: "the fee schedule lowered the allowed amount",
    rc.DEDUCTIBLE_APPLIED: "part of the amount counts towards the deductible",
    rc.COPAY_APPLIED: "a copay applies",
    rc.COINSURANCE_APPLIED: "coinsurance applies",
    NO_FEE_SCHEDULE_RATE: "the fee schedule has no rate for the procedure, so it needs manual pricing",
}


@dataclass(frozen=True)
class Explanation:
    text: str
    model_id: str | None = None
    model_version: str | None = None


class Explainer(Protocol):
    def explain(self, adjudication: Adjudication) -> Explanation: ...


def explanation_facts(adjudication: Adjudication) -> dict[str, Any]:
    """What an explainer may see: outcome, amounts, procedure codes and reason codes. No claim
    id, policy id, member, provider, dates or diagnoses (nothing that identifies a patient)."""

    def amounts(item: LineAdjudication) -> dict[str, str]:
        return {
            name: str(getattr(item, name).amount)
            for name in ("submitted", "allowed", "deductible", "copay", "coinsurance", "payable")
        }

    totals = adjudication.totals
    return {
        "outcome": adjudication.outcome.value,
        "currency": totals.payable.currency,
        "reason_codes": list(adjudication.reason_codes),
        "totals": {
            name: str(getattr(totals, name).amount)
            for name in ("submitted", "allowed", "deductible", "copay", "coinsurance", "payable")
        },
        "lines": [
            {
                "line_number": line.line_number,
                "procedure_code": line.procedure_code,
                "eligible": line.eligible,
                "covered": line.covered,
                **amounts(line),
                "reason_codes": list(line.reason_codes),
            }
            for line in adjudication.lines
        ],
    }


def stated_amounts(adjudication: Adjudication) -> frozenset[Decimal]:
    """Every amount an explanation may mention: the lines', the totals' and the member share."""
    found: set[Decimal] = set()
    items: list[LineAdjudication | AdjudicationTotals] = [*adjudication.lines, adjudication.totals]
    for item in items:
        for name in ("submitted", "allowed", "deductible", "copay", "coinsurance", "payable"):
            found.add(getattr(item, name).amount)
        found.add((item.deductible + item.copay + item.coinsurance).amount)
    return frozenset(found)


# 1,234.56 or 1234.56 (what a model writes for money); not part of a longer number.
_AMOUNT = re.compile(r"(?<![\d.,])(?:\d{1,3}(?:,\d{3})+|\d+)\.\d{2}(?![\d])")


def foreign_amounts(text: str, adjudication: Adjudication) -> list[str]:
    """Amounts (n.nn) in `text` that the adjudication does not contain."""
    allowed = stated_amounts(adjudication)
    return [m for m in _AMOUNT.findall(text) if Decimal(m.replace(",", "")) not in allowed]


class TemplateExplainer:
    """The default: deterministic text from the computed result, no model involved."""

    def explain(self, adjudication: Adjudication) -> Explanation:
        return Explanation(text=render_explanation(adjudication))


def render_explanation(adjudication: Adjudication) -> str:
    t = adjudication.totals
    covered = sum(1 for line in adjudication.lines if line.covered)
    member_share = t.deductible + t.copay + t.coinsurance
    head = [
        f"Outcome: {adjudication.outcome.value}. {covered} of {len(adjudication.lines)} " f"line(s) covered.",
        f"The plan pays {_m(t.payable)} of {_m(t.submitted)} submitted. Allowed {_m(t.allowed)}; "
        f"member share {_m(member_share)} (deductible {_m(t.deductible)}, copay {_m(t.copay)}, "
        f"coinsurance {_m(t.coinsurance)}).",
    ]
    body = [_line_text(line) for line in adjudication.lines]
    return _fit(head, body)


def _line_text(line: LineAdjudication) -> str:
    prefix = f"Line {line.line_number} ({line.procedure_code}):"
    if not line.covered:
        why = "; ".join(f"{REASON_TEXT.get(code, code)} ({code})" for code in line.reason_codes)
        return f"{prefix} denied, submitted {_m(line.submitted)}, pays {_m(line.payable)}: {why}."
    adjustments = [c for c in line.reason_codes if c != rc.COVERED]
    detail = f"{prefix} covered, submitted {_m(line.submitted)}, allowed {_m(line.allowed)}"
    for name in ("deductible", "copay", "coinsurance"):
        amount: Money = getattr(line, name)
        if amount.amount > 0:
            detail += f", {name} {_m(amount)}"
    detail += f", plan pays {_m(line.payable)}"
    if adjustments:
        detail += ": " + "; ".join(f"{REASON_TEXT.get(c, c)} ({c})" for c in adjustments)
    return detail + "."


def _fit(head: list[str], body: list[str]) -> str:
    """Join, keeping under the contract's limit: whole lines only, then a count of the rest."""
    text = "\n".join(head)
    for index, line in enumerate(body):
        after = len(body) - index - 1
        reserve = len(_more(after)) if after else 0  # room to say what was left out
        if len(text) + 1 + len(line) + reserve > MAX_EXPLANATION_CHARS:
            return text + _more(len(body) - index)
        text += "\n" + line
    return text


def _more(count: int) -> str:
    return f"\n({count} more line(s) not shown.)"


def _m(money: Money) -> str:
    return str(money)
