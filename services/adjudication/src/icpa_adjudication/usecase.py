"""Adjudicate one claim: the intake's claim document, its policy and fee schedule in, an
explained `Adjudication` out, and the decision audited. Ports only (no AWS): tests run it
with fakes, the Lambda (handler.py) with the adapters wiring.py builds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from icpa_adjudication import __version__
from icpa_adjudication.domain.adjudicate import adjudicate, with_explanation
from icpa_adjudication.domain.explanation import Explainer
from icpa_adjudication.domain.ports import ClaimSource, FeeScheduleRepository, PolicyRepository
from icpa_shared.audit import AuditRecorder, head_of, newest_head
from icpa_shared.contracts import Adjudication, StepInput
from icpa_shared.errors import ContractViolationError
from icpa_shared.observability.logging import get_logger


@dataclass(frozen=True)
class AdjudicationDeps:
    claims: ClaimSource
    policies: PolicyRepository
    fee_schedules: FeeScheduleRepository
    explainer: Explainer
    audit: AuditRecorder
    clock: Callable[[], datetime]


def adjudicate_step(step: StepInput, deps: AdjudicationDeps) -> Adjudication:
    intake = step.state.intake
    if intake is None:
        raise ContractViolationError("adjudication needs state.intake")
    claim = deps.claims.get(intake.claim_uri)
    if claim.claim_id != intake.claim_id:
        raise ContractViolationError(f"the document at claim_uri is not claim {intake.claim_id}")
    # The policy Intake validated the claim against (DECISIONS: point-in-time policy); the
    # table only for documents written before Intake stored it.
    policy = claim.snapshot_policy or deps.policies.get(claim.policy_id)
    fee_schedule = deps.fee_schedules.get(policy.fee_schedule_id)

    result = adjudicate(claim, policy, fee_schedule, adjudicated_at=deps.clock(), service_version=__version__)
    explanation = deps.explainer.explain(result)
    result = with_explanation(result, explanation.text, explanation.model_id)

    event = deps.audit.record(
        claim_id=result.claim_id,
        step="adjudication",
        decision=result.outcome.value,
        input_value=intake,
        output_value=result,
        occurred_at=result.adjudicated_at,
        reason_codes=result.reason_codes,
        execution_id=step.execution_id,
        model_id=explanation.model_id,
        model_version=explanation.model_version,
        once_per_execution=True,  # a retry or a re-run after a crash: the chain says it once
        head=newest_head(intake, step.state.fraud),  # the steps before
    )
    result = result.model_copy(update={"audit_head": head_of(event)})
    get_logger().info(
        "claim.adjudicated",
        outcome=result.outcome.value,
        lines=len(result.lines),
        reason_codes=result.reason_codes,
        payable=str(result.totals.payable.amount),
    )
    return result
