"""A claim's fraud assessment: the rules first, then (optionally) a model, then the score."""

from __future__ import annotations

from datetime import datetime

from icpa_fraud.domain import signals as rules
from icpa_fraud.domain.ports import ModelProvider
from icpa_fraud.domain.reference import ReferenceData
from icpa_fraud.domain.scoring import composite_score, rules_score
from icpa_fraud.domain.signals import ClaimHistory
from icpa_fraud.domain.summary import summarize
from icpa_fraud.domain.thresholds import Thresholds
from icpa_shared.contracts import Claim, FraudAssessment, FraudSignal, Policy


def detect_signals(
    claim: Claim,
    *,
    history: ClaimHistory,
    policy: Policy | None,
    reference: ReferenceData,
    thresholds: Thresholds,
    received_at: datetime | None = None,
) -> list[FraudSignal]:
    """Every rule's signal, one per code, sorted by code. `received_at`: when the inbox received
    the claim (the duplicate rules compare it only with claims received before it)."""
    others = history.others(claim)
    earlier = others.received_before(claim, received_at)
    found = [
        rules.exact_duplicate(claim, earlier),
        rules.near_duplicate(claim, earlier, thresholds),
        rules.member_daily_frequency(claim, others, thresholds),
        rules.provider_daily_volume(claim, others, thresholds),
        rules.charge_outlier(claim, reference.charges, thresholds),
        rules.provider_watchlist(claim, reference.watchlist),
        rules.outside_coverage_dates(claim, policy),
    ]
    return sorted((s for s in found if s is not None), key=lambda s: s.code)


def assess(
    claim: Claim,
    *,
    history: ClaimHistory,
    policy: Policy | None,
    reference: ReferenceData,
    thresholds: Thresholds,
    model: ModelProvider | None,
    model_weight: float,
    assessed_at: datetime,
    service_version: str,
    received_at: datetime | None = None,
) -> FraudAssessment:
    found = detect_signals(
        claim, history=history, policy=policy, reference=reference, thresholds=thresholds, received_at=received_at
    )
    rules_only = rules_score(found)
    judgement = None
    if model is not None:
        summary = summarize(claim, signals=found, rules=rules_only, history=history.others(claim), reference=reference)
        judgement = model.judge(summary, session_key=claim.claim_id)
    return FraudAssessment(
        claim_id=claim.claim_id,
        score=composite_score(rules_only, judgement.score if judgement else None, model_weight),
        rules_score=rules_only,
        signals=found,
        model=judgement,
        service_version=service_version,
        assessed_at=assessed_at,
    )
