"""ICPA router service."""

__version__ = "1.1.0"  # kept equal to pyproject.toml by tests/test_router_version.py
