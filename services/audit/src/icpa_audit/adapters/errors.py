"""AWS failures as the project's typed errors: throttling, 5xx and lost connections are
TransientDependencyError, so the archiver's invocation is retried (and dead-lettered at the end)."""

from __future__ import annotations

from icpa_shared.adapters.aws import raise_typed
from icpa_shared.errors import TransientDependencyError


def raise_if_transient(exc: BaseException, what: str) -> None:
    """Raise TransientDependencyError for a retryable failure; return for anything else."""
    raise_typed(exc, what)
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import HTTPClientError

    if isinstance(exc, BotoConnectionError | HTTPClientError):
        raise TransientDependencyError(f"{what}: {type(exc).__name__}") from exc
