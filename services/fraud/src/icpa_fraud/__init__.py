"""ICPA fraud service."""

from typing import Final

__version__ = "1.2.0"  # kept equal to pyproject.toml by tests/test_fraud_version.py

# The one name Fraud logs, audits and emits metrics under.
SERVICE: Final = "fraud"
