"""Turning AWS failures into the platform's typed errors."""

from __future__ import annotations

from icpa_shared.adapters.aws import raise_typed
from icpa_shared.errors import TransientDependencyError


def raise_dependency_error(exc: BaseException, what: str) -> None:
    """Raise TransientDependencyError for throttling, 5xx-style codes and network failures
    (timeouts, dropped connections); return for anything else so the caller re-raises it."""
    raise_typed(exc, what)
    from botocore.exceptions import (
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    if isinstance(exc, ConnectionClosedError | ConnectTimeoutError | EndpointConnectionError | ReadTimeoutError):
        raise TransientDependencyError(f"{what}: {type(exc).__name__}") from exc
