"""Route one claim: state.fraud and state.adjudication in, a RoutingDecision out under the
routing policy, audited, annotated and counted."""

from __future__ import annotations

from dataclasses import dataclass

from icpa_router import __version__
from icpa_router.domain.policy import RoutingPolicy
from icpa_router.domain.route import route
from icpa_router.usecases import StepDeps
from icpa_shared.audit import head_of, newest_head
from icpa_shared.contracts import RoutingDecision, StepInput
from icpa_shared.errors import ContractViolationError
from icpa_shared.observability.logging import get_logger


@dataclass(frozen=True)
class RouteDeps(StepDeps):
    policy: RoutingPolicy


def route_claim(step: StepInput, deps: RouteDeps) -> RoutingDecision:
    fraud, adjudication = step.state.fraud, step.state.adjudication
    if fraud is None or adjudication is None:
        raise ContractViolationError("routing needs state.fraud and state.adjudication")
    decision = route(fraud, adjudication, deps.policy, decided_at=deps.clock(), service_version=__version__)

    model = fraud.model
    event = deps.audit.record(
        claim_id=decision.claim_id,
        step="router",
        decision=decision.route.value,
        input_value={
            "fraud": fraud.model_dump(mode="json"),
            "adjudication": adjudication.model_dump(mode="json"),
            "policy": deps.policy.model_dump(mode="json"),
        },
        output_value=decision,
        occurred_at=decision.decided_at,
        reason_codes=decision.reasons,
        execution_id=step.execution_id,
        model_id=model.model_id if model else None,
        model_version=model.model_version if model else None,
        once_per_execution=True,  # a retry or a re-run after a crash: the chain says it once
        head=newest_head(step.state.intake, fraud, adjudication),  # the steps before it
    )
    decision = decision.model_copy(update={"audit_head": head_of(event)})
    deps.annotate(claim_id=decision.claim_id, route=decision.route.value)
    deps.metrics.claim_routed(decision.route)
    get_logger().info(
        "claim.routed", route=decision.route.value, reasons=decision.reasons, policy_version=decision.policy_version
    )
    return decision
