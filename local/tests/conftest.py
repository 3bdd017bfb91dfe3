"""Fixtures shared by the local cloud's tests (a test module's own fixture of the same name wins)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from local_fakes import FakeSteps

from icpa_local.cloud import LocalCloud


@pytest.fixture
def steps() -> FakeSteps:
    """Handlers that answer like the real ones, scripted per test."""
    return FakeSteps()


@pytest.fixture
def cloud(steps: FakeSteps) -> Iterator[LocalCloud]:
    """A local cloud running the `steps` handlers, its waits scaled to a thousandth."""
    with LocalCloud(handler_overrides=steps.handlers(), time_scale=0.001, seed_policies=False) as c:
        yield c
