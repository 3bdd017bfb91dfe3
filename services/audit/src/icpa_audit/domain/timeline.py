"""A claim's decision trail for people (`icpa audit CLAIM_ID`) and for tools (`--json`)."""

from __future__ import annotations

import re
import textwrap
from datetime import UTC, datetime
from typing import Any

from icpa_audit.domain.trail import ArchivedRun, Trail
from icpa_audit.domain.verification import TrailVerification, execution_name
from icpa_shared.contracts.audit import AuditEvent

_WHITESPACE = re.compile(r"\s+")


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _one_line(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def in_time_order(trail: Trail) -> list[AuditEvent]:
    return sorted(trail.events, key=lambda event: (event.occurred_at, event.sequence))


def event_line(event: AuditEvent, width: int | None = None) -> str:
    """time, step, service@version, decision, reasons, model, reviewer + rationale, execution;
    one line, or wrapped between its parts to `width` columns (see _fit)."""
    parts = [
        _when(event.occurred_at),
        f"#{event.sequence:<3}",
        f"{event.step:<17}",
        f"{event.service + '@' + event.service_version:<24}",
        event.decision,
    ]
    if event.reason_codes:
        parts.append(f"reasons: {', '.join(event.reason_codes)}")
    if event.model_id:
        version = f" (version {event.model_version})" if event.model_version else ""
        parts.append(f"model: {event.model_id}{version}")
    if event.reviewer_id:
        parts.append(f"reviewer: {event.reviewer_id}")
    if event.rationale:
        parts.append(f'rationale: "{_one_line(event.rationale)}"')
    if event.execution_id:
        parts.append(f"[execution {execution_name(event.execution_id)}]")
    return _fit(parts, width)


_CONTINUED = " " * 6  # continuation lines, under the event's sequence number


def _fit(parts: list[str], width: int | None, *, indent: str = "  ") -> str:
    """Parts joined by two spaces; with `width`, a new line (indented) wherever the next part would
    pass it. A part longer than a line wraps between words, never inside one (ids stay whole)."""
    if width is None:
        return "  ".join(parts)
    parts = [part.rstrip() for part in parts]  # column padding is for the one-line form
    lines: list[str] = []
    current = ""
    for part in parts:
        candidate = part if not current else f"{current}  {part}"
        room = width - len(indent) - (len(_CONTINUED) if lines else 0)
        if len(candidate) <= room or not current:
            current = candidate
            continue
        lines.append(current)
        current = part
    lines.append(current)
    out: list[str] = []
    for index, line in enumerate(lines):
        first = indent if index == 0 else indent + _CONTINUED
        wrapped = textwrap.wrap(
            line,
            width=max(width, len(first) + 20),
            initial_indent=first,
            subsequent_indent=indent + _CONTINUED,
            break_long_words=False,
            break_on_hyphens=False,
        )
        out.extend(wrapped or [first])
    return "\n".join(out)[len(indent) :]


def _run_line(run: ArchivedRun, width: int | None = None) -> str:
    execution = run.document.execution
    stop = _when(execution.stop_date) if execution.stop_date else "-"
    outcome = run.outcome or "no recorded outcome"
    parts = [
        run.name,
        execution.status,
        f"{_when(execution.start_date)} -> {stop}",
        f"outcome {outcome}",
        f"({len(run.document.history)} history events, archived {_when(run.document.archived_at)})",
    ]
    return _fit(parts, width)


def render_timeline(trail: Trail, verification: TrailVerification | None = None, *, width: int | None = None) -> str:
    """One line per audit event in time order, the archived executions, then the verdict. With
    `width` (a terminal's), an event's line wraps between its parts, continued under it."""
    lines = [f"Claim {trail.claim_id}: {len(trail.events)} audit event(s), {len(trail.archives)} archived execution(s)"]
    lines.append("")
    lines.append("Timeline:")
    if trail.events:
        lines.extend(f"  {event_line(event, width)}" for event in in_time_order(trail))
    else:
        lines.append("  (no audit events)")
    lines.append("")
    lines.append("Archived executions:")
    if trail.archives:
        lines.extend(f"  {_run_line(run, width)}" for run in trail.archives)
    else:
        lines.append("  (none)")
    lines.extend(f"  unreadable: {item.key}: {item.problem}" for item in trail.unreadable)
    lines.append("")
    if verification is None:
        lines.append("Verification: not run")
    else:
        lines.append(f"Verification: {verification.summary()}")
    text = "\n".join(lines)
    return text if width is None else "\n".join(_wrap_line(line, width) for line in text.splitlines())


def _wrap_line(line: str, width: int) -> str:
    """A long header or verdict line wrapped between words, continued two columns in."""
    if len(line) <= width:
        return line
    indent = line[: len(line) - len(line.lstrip())]
    return "\n".join(
        textwrap.wrap(
            line.strip(),
            width=width,
            initial_indent=indent,
            subsequent_indent=indent + "  ",
            break_long_words=False,
            break_on_hyphens=False,
        )
    )


def trail_to_json(trail: Trail, verification: TrailVerification | None = None) -> dict[str, Any]:
    """JSON-ready: the events (time order, as recorded), the executions, and the verdict."""
    return {
        "claim_id": trail.claim_id,
        "events": [event.model_dump(mode="json") for event in in_time_order(trail)],
        "executions": [
            {
                "name": run.name,
                "arn": run.arn,
                "status": run.document.execution.status,
                "start_date": run.document.execution.start_date.isoformat(),
                "stop_date": (
                    run.document.execution.stop_date.isoformat() if run.document.execution.stop_date else None
                ),
                "outcome": run.outcome,
                "archive_key": run.key,
                "archived_at": run.document.archived_at.isoformat(),
                "archiver_version": run.document.archiver_version,
                "history_events": len(run.document.history),
                "history_sha256": run.document.history_sha256,
            }
            for run in trail.archives
        ],
        "unreadable_archives": [item.model_dump(mode="json") for item in trail.unreadable],
        "verification": None if verification is None else verification.model_dump(mode="json"),
    }
