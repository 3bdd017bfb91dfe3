"""The routing rules: which claims a machine may decide, and which need a human.

- AUTO_DENY only for deterministic facts nobody can review away: the fraud signal
  EXACT_DUPLICATE, or an adjudication DENIED where every denied line's reasons are in
  DETERMINISTIC_DENIAL_REASONS (lapsed policy, not covered, excluded, ...).
- AUTO_APPROVE only when the adjudication APPROVED every line, the fraud score is below
  fraud_low, the payable is below auto_approve_max_payable, and the fraud model and the fraud
  rules agree (their scores differ by less than disagreement_delta; no model means no dispute).
- HUMAN_REVIEW for everything else, with every reason that sent it there.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Final

from icpa_router.domain import codes
from icpa_router.domain.policy import RoutingPolicy
from icpa_shared.contracts import (
    Adjudication,
    AdjudicationOutcome,
    FraudAssessment,
    Route,
    RoutingDecision,
)
from icpa_shared.contracts import reasons as rc
from icpa_shared.errors import ContractViolationError

MAX_REASONS: Final = 30  # RoutingDecision.reasons


def route(
    fraud: FraudAssessment,
    adjudication: Adjudication,
    policy: RoutingPolicy,
    *,
    decided_at: datetime,
    service_version: str,
) -> RoutingDecision:
    if fraud.claim_id != adjudication.claim_id:
        raise ContractViolationError("fraud assessment and adjudication are for different claims")
    chosen, reasons = _decide(fraud, adjudication, policy)
    return RoutingDecision(
        claim_id=adjudication.claim_id,
        route=chosen,
        reasons=_unique(reasons)[:MAX_REASONS],
        policy_version=policy.version,
        service_version=service_version,
        decided_at=decided_at,
    )


def fraud_band(score: float, policy: RoutingPolicy) -> str:
    if score >= policy.fraud_high:
        return codes.FRAUD_SCORE_HIGH
    if score >= policy.fraud_low:
        return codes.FRAUD_SCORE_ELEVATED
    return codes.FRAUD_SCORE_LOW


def model_disagrees(fraud: FraudAssessment, policy: RoutingPolicy) -> bool:
    if fraud.model is None:
        return False
    # Decimal of the printed floats: 0.7 - 0.3 is 0.39999999999999997 in binary floating point.
    gap = abs(Decimal(str(fraud.model.score)) - Decimal(str(fraud.rules_score)))
    return gap >= policy.delta


def denial_reasons(adjudication: Adjudication) -> list[str]:
    """The reasons of the denied lines, first seen first."""
    return _unique([code for line in adjudication.lines if not line.covered for code in line.reason_codes])


def _decide(fraud: FraudAssessment, adjudication: Adjudication, policy: RoutingPolicy) -> tuple[Route, list[str]]:
    outcome = adjudication.outcome
    denials = denial_reasons(adjudication)

    deterministic: list[str] = []
    if rc.EXACT_DUPLICATE in fraud.signal_codes:
        deterministic.append(rc.EXACT_DUPLICATE)
    if outcome is AdjudicationOutcome.DENIED and set(denials) <= rc.DETERMINISTIC_DENIAL_REASONS:
        deterministic += [codes.ADJUDICATION_DENIED, *denials]
    if deterministic:
        return Route.AUTO_DENY, deterministic

    reasons: list[str] = []
    needs_human = outcome is not AdjudicationOutcome.APPROVED
    if outcome is AdjudicationOutcome.APPROVED:
        reasons.append(codes.ADJUDICATION_APPROVED)
    elif outcome is AdjudicationOutcome.PARTIAL:
        reasons += [codes.PARTIAL_OUTCOME, *denials]
    else:  # DENIED for a reason a human may see differently (prior auth, waiting period, limits)
        reasons += [codes.ADJUDICATION_DENIED, *denials]

    band = fraud_band(fraud.score, policy)
    reasons.append(band)
    needs_human |= band != codes.FRAUD_SCORE_LOW

    payable = adjudication.totals.payable
    if outcome is not AdjudicationOutcome.DENIED:
        if payable.currency != policy.auto_approve_max_payable.currency:
            reasons.append(codes.PAYABLE_CURRENCY_UNSUPPORTED)
            needs_human = True
        elif not payable < policy.auto_approve_max_payable:
            reasons.append(codes.AMOUNT_ABOVE_THRESHOLD)
            needs_human = True

    if model_disagrees(fraud, policy):
        reasons.append(codes.MODEL_RULES_DISAGREE)
        needs_human = True

    if not needs_human:
        return Route.AUTO_APPROVE, reasons
    return Route.HUMAN_REVIEW, reasons + fraud.signal_codes  # the signals help the reviewer


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
