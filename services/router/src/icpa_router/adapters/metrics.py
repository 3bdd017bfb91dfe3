"""Decision metrics (CloudWatch EMF through Powertools), emitted only when a metrics namespace
is configured: without one nothing is imported or printed, which keeps the step cheap."""

from __future__ import annotations

from icpa_router.domain.ports import DecisionMetrics
from icpa_shared.contracts import Outcome, Route
from icpa_shared.observability.tracing import add_metric, get_metrics


class NoMetrics:
    def claim_routed(self, route: Route) -> None:
        return None

    def claim_decided(self, outcome: Outcome, route: Route) -> None:
        return None


class EmfMetrics:
    """`ClaimsRouted` by route and `ClaimsDecided` by outcome and route (one claim per
    invocation, so the dimensions apply to the one metric; the handler flushes them)."""

    def __init__(self, service: str) -> None:
        self.service = service

    def claim_routed(self, route: Route) -> None:
        get_metrics(self.service).add_dimension(name="route", value=route.value)
        add_metric(self.service, "ClaimsRouted")

    def claim_decided(self, outcome: Outcome, route: Route) -> None:
        metrics = get_metrics(self.service)
        metrics.add_dimension(name="outcome", value=outcome.value)
        metrics.add_dimension(name="route", value=route.value)
        add_metric(self.service, "ClaimsDecided")


def decision_metrics(service: str, namespace: str | None) -> DecisionMetrics:
    return EmfMetrics(service) if namespace else NoMetrics()
