"""Every service knows its own version at run time, and it is the one it is released as
(services/<svc>/pyproject.toml). One test for all six services, not six copies."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

import pytest

SERVICES = sorted(p.name for p in Path("services").iterdir() if (p / "pyproject.toml").exists())


def test_every_service_is_listed() -> None:
    listed = list(SERVICES)
    assert listed == ["adjudication", "audit", "fraud", "intake", "review-callback", "router"]


@pytest.mark.parametrize("service", SERVICES)
def test_runtime_version_matches_pyproject(service: str) -> None:
    package = importlib.import_module("icpa_" + service.replace("-", "_"))
    project = tomllib.loads((Path("services") / service / "pyproject.toml").read_text())["project"]
    assert project["version"] == package.__version__
    assert package.SERVICE  # the one name the service logs, audits and emits metrics under
