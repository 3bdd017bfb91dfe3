"""What the commands print for people: the console, outcome colours, ages, and the one table."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Collection, Iterable, Iterator, Sequence
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


PIPED_WIDTH = 160  # piped output with no COLUMNS: a log-friendly page, not rich's 80 columns


def page_width() -> int | None:
    """Columns to fit plain-text output to: $COLUMNS, else the terminal's; None when piped (one
    line per record then, for grep)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        import shutil

        return shutil.get_terminal_size().columns
    return None


def console(*, stderr: bool = False) -> Any:
    """The terminal's width on a terminal; $COLUMNS when set (piped output too); else 160."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or os.environ.get("COLUMNS", "").isdigit() else PIPED_WIDTH
    return Console(highlight=False, soft_wrap=False, width=width, stderr=stderr)


def colored(outcome: str) -> str:
    return f"[{OUTCOME_COLORS.get(outcome, 'white')}]{outcome}[/]"


class FittedTable:
    """A table that never cuts what a user copies. `columns` are (name, justify); only the columns
    named in `wrap` may wrap (reasons, file names); the others (ids, outcomes, amounts) stay whole.
    On a narrow page the columns named in `drop` go first, in that order; if the whole columns
    still don't fit, each row becomes a block of `name value` lines instead of a cropped table."""

    def __init__(
        self,
        title: str,
        columns: Sequence[tuple[str, str]],
        rows: Iterable[Sequence[str]],
        wrap: Collection[str],
        drop: Sequence[str],
    ) -> None:
        self.title = title
        self.columns = list(columns)
        self.rows = [list(row) for row in rows]
        self.wrap = set(wrap)
        self.drop = list(drop)

    def __rich_console__(self, console: Any, options: Any) -> Iterator[Any]:
        shown = [name for name, _ in self.columns]
        for dropped in [None, *self.drop]:
            if dropped in shown:
                shown.remove(dropped)
            if self._minimum_width(console, options, shown) <= options.max_width:
                yield self._table(shown)
                return
        yield from self._blocks()

    def _table(self, shown: Sequence[str]) -> Any:
        from rich import box
        from rich.table import Table

        out = Table(title=self.title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        keep = [index for index, (name, _) in enumerate(self.columns) if name in shown]
        for index in keep:
            name, justify = self.columns[index]
            wraps = name in self.wrap
            out.add_column(name, justify=justify, no_wrap=not wraps, overflow="fold" if wraps else "ellipsis")  # type: ignore[arg-type]
        for row in self.rows:
            out.add_row(*(row[index] for index in keep))
        return out

    def _blocks(self) -> Iterator[Any]:
        from rich.table import Table
        from rich.text import Text

        yield Text(self.title, style="italic")
        for row in self.rows:
            block = Table.grid(padding=(0, 1))
            block.add_column(no_wrap=True, style="dim")
            block.add_column(overflow="fold")
            for (name, _), cell in zip(self.columns, row, strict=True):
                block.add_row(name, cell)
            yield block
            yield Text("")

    def _minimum_width(self, console: Any, options: Any, shown: Sequence[str]) -> int:
        """What the table needs with every whole column at its longest cell and each wrapping
        column at its longest word (rich would crop a whole column rather than report this)."""
        from rich.measure import Measurement
        from rich.text import Text

        widths = []
        for index, (name, _) in enumerate(self.columns):
            if name not in shown:
                continue
            cells = [Text.from_markup(row[index]) for row in self.rows] + [Text(name)]
            if name in self.wrap:
                widths.append(max(Measurement.get(console, options, cell).minimum for cell in cells))
            else:
                widths.append(max(cell.cell_len for cell in cells))
        # SIMPLE_HEAD without its edge: one space either side of each inner column border.
        return sum(widths) + 3 * (len(widths) - 1)


def table(
    title: str,
    columns: Sequence[tuple[str, str]],
    rows: Iterable[Sequence[str]],
    *,
    wrap: Collection[str] = ("reasons",),
    drop: Sequence[str] = (),
) -> FittedTable:
    """A table for people: see FittedTable. `wrap`: the columns that may wrap; `drop`: the
    columns to leave out first on a narrow page."""
    return FittedTable(title, columns, rows, wrap, drop)


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
    return table(title, columns, rows, wrap={"file", "reasons"}, drop=("transitions", "time", "route"))


def json_lines(objects: Iterable[Any]) -> None:
    """--json output: one JSON object per line (process, status, reviews alike), so a consumer can
    stream it; no objects prints nothing."""
    for obj in objects:
        sys.stdout.write(json.dumps(obj, default=str) + "\n")
    sys.stdout.flush()


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
    """The readable part of an API error body: its message and, for a refused field, what was
    wrong with which field ("rationale: String should have at least 5 characters")."""
    if isinstance(body, dict):
        text = str(body.get("message") or body.get("error") or body)
        details = [
            f"{d.get('field')}: {d.get('problem')}" if d.get("field") else str(d.get("problem"))
            for d in body.get("details") or []
            if isinstance(d, dict) and d.get("problem")
        ]
        return f"{text} ({'; '.join(details)})" if details else text
    return str(body)
