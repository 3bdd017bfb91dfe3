"""Intake metrics (CloudWatch EMF through Powertools), emitted only when a metrics namespace is
configured (POWERTOOLS_METRICS_NAMESPACE): without one nothing is imported or printed."""

from __future__ import annotations

from icpa_intake.domain.ports import IntakeMetrics
from icpa_shared.contracts import Outcome
from icpa_shared.observability.tracing import add_metric, get_metrics


class NoMetrics:
    def claim_accepted(self, source_format: str) -> None:
        return None

    def claim_quarantined(self, outcome: Outcome) -> None:
        return None

    def claim_invalid(self) -> None:
        return None


class EmfMetrics:
    """`ClaimsReceived` (every file), `ClaimsAccepted` by source format, `ClaimsInvalid` (files
    Intake rejected) and
    `ClaimsQuarantined` by outcome (one claim per invocation; the step handler flushes them)."""

    def __init__(self, service: str) -> None:
        self.service = service

    def claim_accepted(self, source_format: str) -> None:
        get_metrics(self.service).add_dimension(name="source_format", value=source_format)
        add_metric(self.service, "ClaimsReceived")
        add_metric(self.service, "ClaimsAccepted")

    def claim_quarantined(self, outcome: Outcome) -> None:
        get_metrics(self.service).add_dimension(name="outcome", value=outcome.value)
        add_metric(self.service, "ClaimsQuarantined")

    def claim_invalid(self) -> None:
        add_metric(self.service, "ClaimsReceived")
        add_metric(self.service, "ClaimsInvalid")


def intake_metrics(service: str, namespace: str | None) -> IntakeMetrics:
    return EmfMetrics(service) if namespace else NoMetrics()
