"""The reviewers' view of a workflow state: what the request and the escalation both read."""

from __future__ import annotations

from icpa_review_callback.domain.models import AdjudicationView, FraudView, ReviewSnapshot, RoutingView
from icpa_shared.contracts import Route, WorkflowState
from icpa_shared.errors import ContractViolationError


def snapshot_of(state: WorkflowState) -> ReviewSnapshot:
    """The reviewers' view of the workflow's findings; the state must have reached routing."""
    intake, fraud, adjudication, routing = state.intake, state.fraud, state.adjudication, state.routing
    if intake is None or fraud is None or adjudication is None or routing is None:
        missing = [
            name
            for name, value in (
                ("intake", intake),
                ("fraud", fraud),
                ("adjudication", adjudication),
                ("routing", routing),
            )
            if value is None
        ]
        raise ContractViolationError(f"human review requested before {', '.join(missing)} ran")
    if routing.route is not Route.HUMAN_REVIEW:
        raise ContractViolationError(f"human review requested for a claim routed {routing.route.value}")
    return ReviewSnapshot(
        claim_uri=intake.claim_uri,
        total_charge=intake.total_charge,
        fraud=FraudView(
            score=fraud.score, rules_score=fraud.rules_score, signals=list(fraud.signals), model=fraud.model
        ),
        adjudication=AdjudicationView(
            outcome=adjudication.outcome,
            lines=list(adjudication.lines),
            totals=adjudication.totals,
            reason_codes=list(adjudication.reason_codes),
            explanation=adjudication.explanation,
        ),
        routing=RoutingView(route=routing.route, reasons=list(routing.reasons)),
    )


def claim_id_of(state: WorkflowState) -> str:
    if state.intake is None:
        raise ContractViolationError("the workflow state has no intake result (no claim id)")
    return state.intake.claim_id
