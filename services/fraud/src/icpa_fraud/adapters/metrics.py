"""Fraud metrics (CloudWatch EMF through Powertools), emitted only when a metrics namespace is
configured (POWERTOOLS_METRICS_NAMESPACE): without one nothing is imported or printed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from icpa_shared.observability.tracing import add_metric, get_metrics


class FraudMetrics(Protocol):
    def claim_assessed(self, signal_codes: Sequence[str], *, model_consulted: bool) -> None: ...


class NoMetrics:
    def claim_assessed(self, signal_codes: Sequence[str], *, model_consulted: bool) -> None:
        return None


class EmfMetrics:
    """`ClaimsAssessed` (dimension `model`: consulted or none) and one `Signal_<CODE>` count per
    signal raised, so a dashboard shows which rules fire how often."""

    def __init__(self, service: str) -> None:
        self.service = service

    def claim_assessed(self, signal_codes: Sequence[str], *, model_consulted: bool) -> None:
        get_metrics(self.service).add_dimension(name="model", value="consulted" if model_consulted else "none")
        add_metric(self.service, "ClaimsAssessed")
        for code in signal_codes:
            add_metric(self.service, f"Signal_{code}")


def fraud_metrics(service: str, namespace: str | None) -> FraudMetrics:
    return EmfMetrics(service) if namespace else NoMetrics()
