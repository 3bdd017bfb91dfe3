"""RouteClaim (ResultPath $.routing): StepInput with state.fraud and state.adjudication ->
RoutingDecision. Only the Lambda side lives here; the routing is usecases/route.py's."""

from __future__ import annotations

from typing import Any

from icpa_router import SERVICE, __version__
from icpa_router.settings import get_settings
from icpa_router.usecases.route import RouteDeps, route_claim
from icpa_router.wiring import default_deps
from icpa_shared.contracts import RoutingDecision, StepInput
from icpa_shared.handler import step_handler


def handle(step: StepInput, deps: RouteDeps | None = None) -> RoutingDecision:
    return route_claim(step, deps or default_deps().route)


@step_handler(service=SERVICE, version=__version__, log_level=get_settings().log_level)
def handler(step: StepInput, context: Any) -> RoutingDecision:
    return handle(step)
