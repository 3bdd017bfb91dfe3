"""What the commands print for people: the console, outcome colours, ages, and the one table."""

from __future__ import annotations

import sys
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from icpa_local.session import ClaimResult, parse_time

OUTCOME_COLORS = {
    "APPROVED": "green",
    "DENIED": "red",
    "REJECTED": "yellow",
    "PENDED": "magenta",
    "PENDING_REVIEW": "cyan",
    "ERROR": "bold red",
    "IN_PROGRESS": "blue",
}


def console() -> Any:
    from rich.console import Console

    # Piped or captured output gets a wide page instead of rich's 80-column default.
    return Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)


def colored(outcome: str) -> str:
    return f"[{OUTCOME_COLORS.get(outcome, 'white')}]{outcome}[/]"


def table(
    title: str,
    columns: Sequence[tuple[str, str]],
    rows: Iterable[Sequence[str]],
    *,
    wrap: Collection[str] | None = None,
) -> Any:
    """A rich table: `columns` are (name, justify); `wrap` names the columns that may wrap (the
    others keep ids and outcomes whole, they are what one copies); None lets every column wrap."""
    from rich.table import Table

    out = Table(title=title, title_justify="left")
    for name, justify in columns:
        out.add_column(name, justify=justify, no_wrap=wrap is not None and name not in wrap)  # type: ignore[arg-type]
    for row in rows:
        out.add_row(*row)
    return out


def results_table(results: Sequence[ClaimResult], title: str) -> Any:
    columns = [
        ("file", "left"),
        ("claim", "left"),
        ("outcome", "left"),
        ("route", "left"),
        ("reasons", "left"),
        ("payable", "right"),
        ("transitions", "right"),
        ("time", "right"),
    ]
    rows = (
        [
            r.file,
            r.claim_id or "-",
            colored(r.outcome),
            r.route,
            ", ".join(r.reasons) or "-",
            r.payable_amount or "-",
            str(r.transitions),
            f"{r.duration_ms} ms",
        ]
        for r in results
    )
    return table(title, columns, rows)


def age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def since(stamp: Any, now: datetime) -> float | None:
    when = parse_time(stamp)
    return None if when is None else max(0.0, (now - when).total_seconds())


def message(body: Any) -> str:
    """The readable part of an API error body."""
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or body)
    return str(body)
