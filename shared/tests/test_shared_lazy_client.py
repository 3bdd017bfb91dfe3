"""LazyClient: an adapter uses the client it was given, else one cached client built on first use."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from icpa_shared.adapters import aws
from icpa_shared.adapters.aws import LazyClient


class Adapter:
    _ddb = LazyClient("dynamodb")

    def __init__(self, dynamodb: Any = None) -> None:
        self._client = dynamodb


class RegionalAdapter:
    _s3 = LazyClient("s3")

    def __init__(self, region: str | None = None) -> None:
        self._client: Any = None
        self._region = region


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str | None]]]:
    """Records the clients `aws.client` is asked for, and answers a fresh object for each."""
    calls: list[tuple[str, str | None]] = []

    def fake_client(service: str, region: str | None = None) -> object:
        calls.append((service, region))
        return object()

    monkeypatch.setattr(aws, "client", fake_client)
    yield calls


def test_the_client_given_is_used_and_none_is_built(built: list[tuple[str, str | None]]) -> None:
    given = object()

    assert Adapter(given)._ddb is given
    assert built == []


def test_without_one_a_client_is_built_on_first_use_and_kept(built: list[tuple[str, str | None]]) -> None:
    adapter = Adapter()
    assert built == []  # constructing the adapter builds nothing

    first = adapter._ddb

    assert adapter._ddb is first and adapter._client is first
    assert built == [("dynamodb", None)]


def test_the_adapter_region_is_used_when_it_has_one(built: list[tuple[str, str | None]]) -> None:
    RegionalAdapter("eu-west-1")._s3  # noqa: B018 - the read is the point

    assert built == [("s3", "eu-west-1")]


def test_on_the_class_it_is_the_descriptor() -> None:
    descriptor = Adapter._ddb

    assert isinstance(descriptor, LazyClient) and descriptor.service == "dynamodb"


def test_adapters_share_the_cached_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    aws.reset_clients()
    try:
        assert Adapter()._ddb is Adapter()._ddb is aws.client("dynamodb")
    finally:
        aws.reset_clients()
