"""Fraud's use case: the accepted claim in, a FraudAssessment out (state AssessFraud).

load the normalized claim (with its policy snapshot) -> history (two keyed GSI queries) -> rules
-> optional model judgement -> score -> audit event (step "fraud", decision "SCORED")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from icpa_fraud import SERVICE, __version__
from icpa_fraud.adapters.metrics import NoMetrics
from icpa_fraud.domain.assess import assess
from icpa_fraud.domain.ports import ClaimDocuments, ClaimHistoryStore, FraudMetrics, ModelProvider, Policies
from icpa_fraud.domain.reference import ReferenceData
from icpa_fraud.domain.signals import ClaimHistory, windows
from icpa_fraud.domain.thresholds import Thresholds
from icpa_shared.audit import AuditRecorder, AuditStore, head_of, newest_head
from icpa_shared.contracts import FraudAssessment, StepInput
from icpa_shared.errors import ContractViolationError, ModelThrottledError
from icpa_shared.observability.logging import get_logger
from icpa_shared.observability.tracing import annotate


@dataclass(frozen=True)
class FraudDeps:
    documents: ClaimDocuments
    history: ClaimHistoryStore
    policies: Policies
    audit: AuditStore
    reference: ReferenceData
    clock: Callable[[], datetime]
    model: ModelProvider | None = None
    model_weight: float = 0.3
    thresholds: Thresholds = field(default_factory=Thresholds)
    metrics: FraudMetrics = field(default_factory=NoMetrics)
    version: str = __version__


def assess_claim(step: StepInput, deps: FraudDeps) -> FraudAssessment:
    log = get_logger()
    intake = step.state.intake
    if intake is None:
        raise ContractViolationError("AssessFraud needs state.intake (the accepted claim)")
    claim = deps.documents.get(intake.claim_uri)
    if claim.claim_id != intake.claim_id:
        raise ContractViolationError("the claim document does not belong to state.intake's claim id")

    span = windows(claim, deps.thresholds)
    member = deps.history.member_claims(
        claim.member_id, span.member.start, span.member.end, exclude_claim_id=claim.claim_id
    )
    provider = deps.history.provider_claims(
        claim.provider_npi, span.provider.start, span.provider.end, exclude_claim_id=claim.claim_id
    )
    history = ClaimHistory(
        member=member.entries, provider=provider.entries, truncated=member.truncated or provider.truncated
    )
    # The policy Intake validated the claim against (DECISIONS: point-in-time policy); the
    # table only for documents written before Intake stored it.
    policy = claim.snapshot_policy or deps.policies.get(claim.policy_id)

    try:
        assessment = assess(
            claim,
            history=history,
            policy=policy,
            reference=deps.reference,
            thresholds=deps.thresholds,
            model=deps.model,
            model_weight=deps.model_weight,
            assessed_at=deps.clock(),
            service_version=deps.version,
            received_at=step.state.source.event_time,  # what Intake recorded in the claim's index entry
        )
    except ModelThrottledError:
        deps.metrics.model_throttled()  # counted, then re-raised for the ASL's backoff
        raise
    event = AuditRecorder(store=deps.audit, service=SERVICE, service_version=deps.version).record(
        claim_id=claim.claim_id,
        step="fraud",
        decision="SCORED",
        input_value={"claim_id": claim.claim_id, "claim_uri": intake.claim_uri, "claim_digest": intake.claim_digest},
        output_value=assessment,
        occurred_at=assessment.assessed_at,
        reason_codes=assessment.signal_codes,
        execution_id=step.execution_id,
        model_id=assessment.model.model_id if assessment.model else None,
        model_version=assessment.model.model_version if assessment.model else None,
        once_per_execution=True,  # a retry or a re-run after a crash: the chain says it once
        head=newest_head(intake),  # Intake's event: no chain read before the append
    )
    assessment = assessment.model_copy(update={"audit_head": head_of(event)})
    annotate(SERVICE, claim_id=claim.claim_id, fraud_score=assessment.score, fraud_signals=len(assessment.signals))
    deps.metrics.claim_assessed(
        assessment.signal_codes, model_consulted=assessment.model is not None, score=assessment.score
    )
    log.info(
        "claim.fraud_scored",
        claim_id=claim.claim_id,
        score=assessment.score,
        rules_score=assessment.rules_score,
        signals=assessment.signal_codes,
        model_id=assessment.model.model_id if assessment.model else None,
        history_claims=len(history.member) + len(history.provider),
        history_truncated=history.truncated,
    )
    return assessment
