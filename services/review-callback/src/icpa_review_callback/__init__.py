"""ICPA review-callback service."""

__version__ = "1.1.0"  # kept equal to pyproject.toml by tests/unit/test_review_callback_version.py

# The one name the service logs, audits and emits metrics under.
SERVICE = "review-callback"
