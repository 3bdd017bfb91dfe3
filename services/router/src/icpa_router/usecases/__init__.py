"""The Router's use cases, one module per Lambda function (handlers/ has the same names).
Ports in, contract out, the decision audited; no AWS, so tests run them with fakes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from icpa_router.domain.ports import DecisionMetrics
from icpa_shared.audit import AuditRecorder


@dataclass(frozen=True)
class StepDeps:
    """What both use cases depend on besides their own port."""

    audit: AuditRecorder
    metrics: DecisionMetrics
    annotate: Callable[..., None]
    clock: Callable[[], datetime]
