"""Powertools Tracer (X-Ray) and Metrics (EMF), wired once for every service.

Both are created on first use: importing aws_xray_sdk costs ~480 ms cold (measured on a 2-core machine),
so nothing here is imported until a handler actually runs.
"""

from __future__ import annotations

import functools
import os
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

METRICS_NAMESPACE = "ICPA"

F = TypeVar("F", bound=Callable[..., Any])

_tracers: dict[str, Any] = {}
_metrics: dict[str, Any] = {}
# The latest annotations, kept whether or not X-Ray is on: local runs and tests inspect them
# (e.g. the PHI scan) without an X-Ray daemon. Bounded, so it never grows in a warm container.
recent_annotations: deque[tuple[str, str, str | int | float | bool]] = deque(maxlen=5000)


def tracing_enabled() -> bool:
    return os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").lower() not in ("1", "true")


def get_tracer(service: str) -> Any:
    if service not in _tracers:
        from aws_lambda_powertools import Tracer  # lazy: pulls in aws_xray_sdk

        _tracers[service] = Tracer(service=service, disabled=not tracing_enabled())
    return _tracers[service]


def get_metrics(service: str) -> Any:
    if service not in _metrics:
        from aws_lambda_powertools import Metrics

        _metrics[service] = Metrics(namespace=METRICS_NAMESPACE, service=service)
    return _metrics[service]


def annotate(service: str, **annotations: str | int | float | bool) -> None:
    """Add X-Ray annotations (claim id, outcome, route) to the current segment."""
    for key, value in annotations.items():
        recent_annotations.append((service, key, value))
    if not tracing_enabled():
        return
    tracer = get_tracer(service)
    for key, value in annotations.items():
        tracer.put_annotation(key=key, value=value)


def add_metric(service: str, name: str, value: float = 1, unit: str = "Count") -> None:
    from aws_lambda_powertools.metrics import MetricUnit

    get_metrics(service).add_metric(name=name, unit=MetricUnit[unit], value=value)


@contextmanager
def metrics_flushed(service: str) -> Iterator[None]:
    try:
        yield
    finally:
        if service in _metrics:
            _metrics[service].flush_metrics()


def traced(service: str) -> Callable[[F], F]:
    """Decorator: an X-Ray subsegment around the call when tracing is on, nothing otherwise."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            if not tracing_enabled():
                return fn(*args, **kwargs)
            with get_tracer(service).provider.in_subsegment(f"## {fn.__name__}"):
                return fn(*args, **kwargs)

        return inner  # type: ignore[return-value]

    return wrap
