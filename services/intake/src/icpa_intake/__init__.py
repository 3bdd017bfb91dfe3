"""ICPA intake service."""

__version__ = "1.1.0"  # kept equal to pyproject.toml by tests/test_intake_version.py
