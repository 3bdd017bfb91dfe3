"""Adjudication test fixtures: tiers, hypothesis profiles and a moto-backed AWS account."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from icpa_shared.testing.aws import patched_aws_env

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "dev")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "unit: pure domain and handler tests with fakes")
    config.addinivalue_line("markers", "integration: real handlers and adapters on moto")


@pytest.fixture(autouse=True)
def _no_tracing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fresh moto account with dummy credentials; cached clients and deps forgotten."""
    from moto import mock_aws

    from icpa_adjudication.settings import get_settings
    from icpa_adjudication.wiring import default_deps

    with patched_aws_env(monkeypatch):
        default_deps.cache_clear()
        get_settings.cache_clear()
        with mock_aws():
            yield
        default_deps.cache_clear()
        get_settings.cache_clear()
