"""structlog, configured once: JSON lines, correlation ids bound, PHI redacted last."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sys
from typing import Any, TextIO

import structlog

from icpa_shared.observability.redaction import redact_event

_configured = False

# What an id bound to every log line may look like (a claim id, Q-<digest>, a request id).
_LOGGABLE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def loggable_id(value: object) -> str | None:
    """`value` itself when it is a short plain id, else a bounded stand-in for it.

    Ids bound to the context appear in every line of an invocation: an unvalidated one (a
    claim file's own `claim_id`, any length, any characters) would cost a redaction pass per
    line and could carry PHI. The stand-in still correlates: the same value, the same digest."""
    if value is None or value == "":
        return None
    text = value if isinstance(value, str) else repr(type(value))
    if len(text) <= 128 and _LOGGABLE_ID.fullmatch(text):
        return text
    return f"invalid-{hashlib.sha256(text.encode('utf-8', 'replace')).hexdigest()[:16]}"


class _CurrentStdout:
    """Writes to whatever sys.stdout is at write time (Lambda's stdout, or a local router)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def configure_logging(*, service: str, version: str, level: str = "INFO", stream: TextIO | None = None) -> None:
    """Idempotent. `stream` lets tests capture the rendered lines."""
    global _configured
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_event,  # in front of the renderer: nothing unredacted is ever rendered
        structlog.processors.JSONRenderer(sort_keys=True),
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        logger_factory=structlog.PrintLoggerFactory(file=stream or _CurrentStdout()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service, service_version=version)
    _configured = True


def get_logger(**initial: Any) -> Any:
    return structlog.get_logger(**initial)


def bind_invocation(context: Any | None, *, claim_id: str | None = None) -> None:
    """Bind the Lambda request id, function name, X-Ray trace id and claim id (correlation id)
    to every line of this invocation."""
    values: dict[str, Any] = {}
    if context is not None:
        values["request_id"] = getattr(context, "aws_request_id", None)
        values["function_name"] = getattr(context, "function_name", None)
    trace = os.environ.get("_X_AMZN_TRACE_ID")
    if trace:
        values["xray_trace_id"] = trace.split(";")[0].removeprefix("Root=")
    safe_id = loggable_id(claim_id)
    if safe_id:
        values["claim_id"] = safe_id
        values["correlation_id"] = safe_id
    structlog.contextvars.bind_contextvars(**values)


def bind_claim(claim_id: str) -> None:
    safe_id = loggable_id(claim_id)
    structlog.contextvars.bind_contextvars(claim_id=safe_id, correlation_id=safe_id)


def clear_invocation() -> None:
    structlog.contextvars.unbind_contextvars(
        "request_id", "function_name", "xray_trace_id", "claim_id", "correlation_id"
    )
