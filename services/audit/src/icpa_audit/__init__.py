"""ICPA audit service: archives finished executions and explains a claim's decision trail."""

__version__ = "1.0.0"  # kept equal to pyproject.toml by tests/test_audit_version.py
