"""ICPA router service."""

__version__ = "1.2.0"  # kept equal to pyproject.toml by tests/test_router_version.py
SERVICE = "router"  # the one name the service logs, audits and emits metrics under
