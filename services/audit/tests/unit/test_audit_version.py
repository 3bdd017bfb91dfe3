"""The service knows its own version at run time, and it is the one it is released as."""

import tomllib
from pathlib import Path

from icpa_audit import __version__


def test_runtime_version_matches_pyproject() -> None:
    project = tomllib.loads(Path("services/audit/pyproject.toml").read_text())["project"]
    assert project["version"] == __version__
