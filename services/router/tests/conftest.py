"""Router test fixtures: tiers, hypothesis profiles and a moto-backed AWS account."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from icpa_shared.testing.aws import patched_aws_env

settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "ci", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "dev")

ROUTER_ENV = (
    "ICPA_ROUTING_POLICY_VERSION",
    "ICPA_FRAUD_LOW_THRESHOLD",
    "ICPA_FRAUD_HIGH_THRESHOLD",
    "ICPA_AUTO_APPROVE_MAX_PAYABLE",
    "ICPA_MODEL_DISAGREEMENT_DELTA",
    "POWERTOOLS_METRICS_NAMESPACE",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "unit: pure domain and handler tests with fakes")
    config.addinivalue_line("markers", "integration: real handlers and adapters on moto")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    for name in ROUTER_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fresh moto account with dummy credentials; cached clients, settings and deps forgotten."""
    from moto import mock_aws
    from router_testkit import forget_cached_wiring

    with patched_aws_env(monkeypatch):
        forget_cached_wiring()
        with mock_aws():
            yield
        forget_cached_wiring()
