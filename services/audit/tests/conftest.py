"""Every test runs with fake AWS credentials in us-east-1, tracing off, and the service's log
lines captured (the `logs` fixture); `aws` gives a fresh moto account."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

# Before any handler module is imported: it configures logging and reads settings at import.
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from icpa_audit import SERVICE, __version__  # noqa: E402
from icpa_audit.settings import get_settings  # noqa: E402
from icpa_audit.wiring import default_deps  # noqa: E402
from icpa_shared.observability.logging import configure_logging  # noqa: E402
from icpa_shared.testing.aws import patched_aws_env  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "unit: pure domain tests with fakes")
    config.addinivalue_line("markers", "integration: the real handler and adapters on moto")


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    unset = ("ICPA_ARCHIVE_BUCKET", "ICPA_AUDIT_TABLE")
    with patched_aws_env(monkeypatch, unset=unset, POWERTOOLS_METRICS_NAMESPACE="ICPA"):
        get_settings.cache_clear()
        default_deps.cache_clear()
        yield
        get_settings.cache_clear()
        default_deps.cache_clear()


@pytest.fixture
def aws() -> Iterator[None]:
    """A fresh moto account (S3, DynamoDB, Step Functions) for the test."""
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture
def cloud(aws: None) -> Iterator[Any]:
    """The audit table, the archive bucket and the claims state machine on moto (audit_aws.Cloud)."""
    from audit_aws import make_cloud

    yield from make_cloud()


@pytest.fixture(autouse=True)
def logs() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    configure_logging(service=SERVICE, version=__version__, level="DEBUG", stream=buffer)
    yield buffer
    configure_logging(service=SERVICE, version=__version__, stream=sys.stdout)
