"""What both router Lambdas (RouteClaim in handler.py, RecordDecision in record_handler.py)
depend on besides their own port, built the same way for both."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from icpa_router import __version__
from icpa_router.adapters.metrics import DecisionMetrics, decision_metrics
from icpa_router.settings import RouterSettings
from icpa_shared.adapters.audit_store import DynamoAuditStore
from icpa_shared.audit import AuditRecorder
from icpa_shared.observability.tracing import annotate

SERVICE = "router"


@dataclass(frozen=True)
class StepDeps:
    audit: AuditRecorder
    metrics: DecisionMetrics
    annotate: Callable[..., None]
    clock: Callable[[], datetime]


def step_deps(settings: RouterSettings) -> dict[str, Any]:
    """StepDeps' fields, for a handler's Deps (a StepDeps subclass) to be built with."""
    return {
        "audit": AuditRecorder(DynamoAuditStore(settings.audit_table), SERVICE, __version__),
        "metrics": decision_metrics(SERVICE, settings.metrics_namespace),
        "annotate": functools.partial(annotate, SERVICE),
        "clock": lambda: datetime.now(UTC),
    }
