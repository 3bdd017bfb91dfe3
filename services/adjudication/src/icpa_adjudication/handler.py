"""Adjudicate (ResultPath $.adjudication): StepInput with state.intake -> Adjudication."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from icpa_adjudication import __version__
from icpa_adjudication.adapters.fee_schedules import BundledFeeSchedules
from icpa_adjudication.adapters.policies import DynamoPolicyRepository
from icpa_adjudication.domain.adjudicate import adjudicate, with_explanation
from icpa_adjudication.domain.explanation import Explainer, TemplateExplainer
from icpa_adjudication.domain.ports import ClaimSource, FeeScheduleRepository, PolicyRepository
from icpa_adjudication.settings import AdjudicationSettings, get_settings
from icpa_shared.adapters.audit_store import DynamoAuditStore
from icpa_shared.adapters.claims import S3ClaimDocuments
from icpa_shared.audit import AuditRecorder
from icpa_shared.contracts import Adjudication, StepInput
from icpa_shared.errors import ContractViolationError
from icpa_shared.handler import step_handler
from icpa_shared.observability.logging import get_logger

SERVICE = "adjudication"


@dataclass(frozen=True)
class Deps:
    claims: ClaimSource
    policies: PolicyRepository
    fee_schedules: FeeScheduleRepository
    explainer: Explainer
    audit: AuditRecorder
    clock: Callable[[], datetime]


def build_deps(settings: AdjudicationSettings) -> Deps:
    explainer: Explainer = TemplateExplainer()
    if settings.explainer == "bedrock-agent":
        from icpa_adjudication.adapters.bedrock_explainer import BedrockAgentExplainer

        assert settings.bedrock_agent_id and settings.bedrock_agent_alias_id  # the settings check this
        explainer = BedrockAgentExplainer(
            settings.bedrock_agent_id,
            settings.bedrock_agent_alias_id,
            timeout_seconds=settings.bedrock_timeout_seconds,
        )
    return Deps(
        claims=S3ClaimDocuments(settings.documents_bucket),
        policies=DynamoPolicyRepository(settings.policies_table),
        fee_schedules=BundledFeeSchedules(),
        explainer=explainer,
        audit=AuditRecorder(DynamoAuditStore(settings.audit_table), SERVICE, __version__),
        clock=lambda: datetime.now(UTC),
    )


@cache
def default_deps() -> Deps:
    return build_deps(get_settings())


def handle(step: StepInput, deps: Deps) -> Adjudication:
    intake = step.state.intake
    if intake is None:
        raise ContractViolationError("adjudication needs state.intake")
    claim = deps.claims.get(intake.claim_uri)
    if claim.claim_id != intake.claim_id:
        raise ContractViolationError(f"the document at claim_uri is not claim {intake.claim_id}")
    policy = deps.policies.get(claim.policy_id)
    fee_schedule = deps.fee_schedules.get(policy.fee_schedule_id)

    result = adjudicate(claim, policy, fee_schedule, adjudicated_at=deps.clock(), service_version=__version__)
    explanation = deps.explainer.explain(result)
    result = with_explanation(result, explanation.text, explanation.model_id)

    deps.audit.record(
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
    )
    get_logger().info(
        "claim.adjudicated",
        outcome=result.outcome.value,
        lines=len(result.lines),
        reason_codes=result.reason_codes,
        payable=str(result.totals.payable.amount),
    )
    return result


@step_handler(service=SERVICE, version=__version__, log_level=get_settings().log_level)
def handler(step: StepInput, context: Any) -> Adjudication:
    return handle(step, default_deps())
