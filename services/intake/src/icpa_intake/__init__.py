"""ICPA intake service."""

from typing import Final

__version__ = "1.3.0"  # kept equal to pyproject.toml by tests/test_intake_version.py

# The one name Intake logs, audits and emits metrics under.
SERVICE: Final = "intake"
