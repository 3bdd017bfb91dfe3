"""Test set-up for Intake: dummy AWS credentials, tracing off, fresh clients per test, and a
moto account with the buckets and tables of docs/ARCHITECTURE.md."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, settings
from intake_testkit import World, create_aws_resources
from moto import mock_aws

from icpa_intake import SERVICE, wiring
from icpa_shared.observability import tracing
from icpa_shared.testing.aws import patched_aws_env

# Fuzzing budget: bounded per test; HYPOTHESIS_PROFILE=ci runs more examples, derandomized.
settings.register_profile("dev", max_examples=150, deadline=None)
settings.register_profile(
    "ci", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "dev")


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with patched_aws_env(monkeypatch, unset=["POWERTOOLS_METRICS_NAMESPACE"]):
        wiring.reset()
        yield
        wiring.reset()
    # A Metrics object left by a metrics test would be flushed (empty) by every later invocation.
    tracing._metrics.pop(SERVICE, None)


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    """A moto account with the local resources; yields the s3 and dynamodb clients."""
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        create_aws_resources(s3, ddb)
        yield {"s3": s3, "dynamodb": ddb}
