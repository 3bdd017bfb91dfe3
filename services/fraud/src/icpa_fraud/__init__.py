"""ICPA fraud service."""

__version__ = "1.1.0"  # kept equal to pyproject.toml by tests/test_fraud_version.py
