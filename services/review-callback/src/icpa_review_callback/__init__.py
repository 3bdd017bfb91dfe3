"""ICPA review-callback service."""

__version__ = "1.1.0"  # kept equal to pyproject.toml by tests/test_review_callback_version.py
