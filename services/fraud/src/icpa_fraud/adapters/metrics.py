"""Fraud metrics (CloudWatch EMF through Powertools), emitted only when a metrics namespace is
configured (POWERTOOLS_METRICS_NAMESPACE): without one nothing is imported or printed."""

from __future__ import annotations

from collections.abc import Sequence

from icpa_fraud.domain.ports import FraudMetrics
from icpa_shared.observability.tracing import add_metric, get_metrics


class NoMetrics:
    def claim_assessed(self, signal_codes: Sequence[str], *, model_consulted: bool, score: float) -> None:
        return None

    def model_throttled(self) -> None:
        return None


class EmfMetrics:
    """`ClaimsAssessed` (dimension `model`: consulted or none), `FraudScore`, `ModelCalls`,
    `ModelThrottles`, and one `Signal_<CODE>` count per signal raised, so a dashboard shows
    which rules fire how often."""

    def __init__(self, service: str) -> None:
        self.service = service

    def claim_assessed(self, signal_codes: Sequence[str], *, model_consulted: bool, score: float) -> None:
        get_metrics(self.service).add_dimension(name="model", value="consulted" if model_consulted else "none")
        add_metric(self.service, "ClaimsAssessed")
        add_metric(self.service, "FraudScore", score, unit="NoUnit")
        if model_consulted:
            add_metric(self.service, "ModelCalls")
        for code in signal_codes:
            add_metric(self.service, f"Signal_{code}")

    def model_throttled(self) -> None:
        add_metric(self.service, "ModelCalls")
        add_metric(self.service, "ModelThrottles")


def fraud_metrics(service: str, namespace: str | None) -> FraudMetrics:
    return EmfMetrics(service) if namespace else NoMetrics()
