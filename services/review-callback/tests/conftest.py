"""Every test runs against fake AWS credentials in us-east-1 with tracing off, and captures
the service's log lines (the `logs` fixture) so tests can assert what was, and was not, logged."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, settings
from moto import mock_aws

# Before any handler module is imported: its decorators read these at import time.
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from review_callback_cloud import Cloud, create_reviews_table, provisioned_cloud  # noqa: E402

from icpa_review_callback import SERVICE, __version__  # noqa: E402
from icpa_shared.observability.logging import configure_logging  # noqa: E402
from icpa_shared.testing.aws import patched_aws_env  # noqa: E402

# Fuzzing budget per test: HYPOTHESIS_PROFILE=ci runs more examples, reproducibly.
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "ci", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "dev")


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with patched_aws_env(monkeypatch, POWERTOOLS_METRICS_NAMESPACE="ICPA"):
        yield


@pytest.fixture(autouse=True)
def logs() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    configure_logging(service=SERVICE, version=__version__, level="DEBUG", stream=buffer)
    yield buffer
    configure_logging(service=SERVICE, version=__version__, stream=sys.stdout)


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    """Integration tier: every resource on moto, settings pointing at them, fresh handler deps."""
    with provisioned_cloud(monkeypatch) as provisioned:
        yield provisioned


@pytest.fixture
def reviews_ddb() -> Iterator[Any]:
    """Just the reviews table on moto: enough for the store's own tests, and quick to set up."""
    with mock_aws():
        ddb = boto3.client("dynamodb")
        create_reviews_table(ddb)
        yield ddb
