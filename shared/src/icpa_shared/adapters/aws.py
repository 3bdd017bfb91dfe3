"""boto3 clients built lazily (cached per container; LazyClient for adapters), and ClientError
turned into the project's typed errors."""

from __future__ import annotations

from typing import Any, Generic, Protocol, overload

from typing_extensions import TypeVar

from icpa_shared.errors import TransientDependencyError

_TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalServerError",
        "InternalFailure",
        "SlowDown",
        "RequestTimeout",
        "TransactionConflictException",
    }
)

_clients: dict[tuple[str, str | None], Any] = {}


def client(service: str, region: str | None = None) -> Any:
    """A cached boto3 client (one per service and region per container)."""
    key = (service, region)
    if key not in _clients:
        import boto3  # lazy: keeps module import cheap for tests and cold start

        _clients[key] = boto3.client(service, region_name=region)  # type: ignore[call-overload]
    return _clients[key]


def reset_clients() -> None:
    """Forget cached clients (tests that switch endpoints or mocks)."""
    _clients.clear()


class _Adapter(Protocol):
    _client: Any


ClientT = TypeVar("ClientT", default=Any)  # an unannotated LazyClient is LazyClient[Any]


class LazyClient(Generic[ClientT]):
    """An adapter's boto3 client, declared once on the class with its types-boto3 type:
    `_ddb: LazyClient[DynamoDBClient] = LazyClient("dynamodb")` (the type imported under
    TYPE_CHECKING: stubs are for mypy, never imported at run time).

    Reading it gives the client the adapter was constructed with (kept in `self._client`: tests
    pass moto's or a stub) or, while that is None, the cached `client(service, region)` built on
    first use, `region` being the adapter's `_region` when it has one. So constructing an
    adapter never imports boto3 (cheap imports, cheap cold start)."""

    def __init__(self, service: str) -> None:
        self.service = service

    @overload
    def __get__(self, adapter: None, owner: type[object] | None = None) -> LazyClient[ClientT]: ...

    @overload
    def __get__(self, adapter: _Adapter, owner: type[object] | None = None) -> ClientT: ...

    def __get__(self, adapter: _Adapter | None, owner: type[object] | None = None) -> LazyClient[ClientT] | ClientT:
        if adapter is None:
            return self
        if adapter._client is None:
            adapter._client = client(self.service, getattr(adapter, "_region", None))
        built: ClientT = adapter._client
        return built


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def is_transient(exc: BaseException) -> bool:
    return error_code(exc) in _TRANSIENT_CODES


def raise_typed(exc: BaseException, what: str) -> None:
    """Re-raise a transient ClientError as TransientDependencyError; others stay as they are."""
    if is_transient(exc):
        raise TransientDependencyError(f"{what}: {error_code(exc)}") from exc


def raise_if_transient(exc: BaseException, what: str) -> None:
    """raise_typed, and a lost connection or a timeout (botocore's ConnectionError and
    HTTPClientError families) as TransientDependencyError too; return for anything else."""
    raise_typed(exc, what)
    from botocore.exceptions import ConnectionError as BotoConnectionError  # lazy, as client() is
    from botocore.exceptions import HTTPClientError

    if isinstance(exc, BotoConnectionError | HTTPClientError):
        raise TransientDependencyError(f"{what}: {type(exc).__name__}") from exc
