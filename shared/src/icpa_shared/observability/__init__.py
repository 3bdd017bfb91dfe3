"""Logging (structlog JSON + PHI redaction), tracing (X-Ray) and metrics (EMF)."""
