"""EscalateReview (the Catch on AwaitHumanReview's States.Timeout/States.HeartbeatTimeout):
mark the review TIMED_OUT and tell the supervisors. Returns EscalationResult at $.escalation."""

from __future__ import annotations

from typing import Any

from icpa_review_callback import SERVICE, __version__
from icpa_review_callback.settings import get_settings
from icpa_review_callback.usecases.escalation import escalate_review
from icpa_review_callback.wiring import ReviewDeps, default_deps
from icpa_shared.contracts import EscalationResult, StepInput
from icpa_shared.handler import step_handler
from icpa_shared.observability.tracing import add_metric


def handle(step: StepInput, deps: ReviewDeps | None = None) -> EscalationResult:
    deps = deps or default_deps()
    result = escalate_review(step, deps.ports, now=deps.clock())
    add_metric(SERVICE, "ReviewEscalated")
    return result


@step_handler(service=SERVICE, version=__version__, log_level=get_settings().log_level)
def handler(step: StepInput, context: Any) -> EscalationResult:
    return handle(step)
