"""ICPA adjudication service."""

__version__ = "1.2.0"  # kept equal to pyproject.toml by tests/test_adjudication_version.py
SERVICE = "adjudication"  # the one name the service logs, audits and emits metrics under
