"""ICPA audit service: archives finished executions and explains a claim's decision trail."""

__version__ = "1.0.0"  # kept equal to pyproject.toml by tests/unit/test_audit_version.py

# The one name the service logs, audits and emits metrics under.
SERVICE = "audit"
