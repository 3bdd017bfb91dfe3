"""The journal the hooks write to, if any: set by the local cloud that owns a data directory."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from icpa_local.persistence.journal import Journal

_active: Journal | None = None
_quiet = threading.local()  # inner writes of a transaction


def activate(journal: Journal | None) -> None:
    """The journal the hooks write to (None: hooks pass through)."""
    global _active
    _active = journal


def active_journal() -> Journal | None:
    journal = _active
    if journal is None or not journal.active or getattr(_quiet, "on", False):
        return None
    return journal


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """No journaling of the writes made on this thread inside (a transaction journals its outcome)."""
    _quiet.on = True
    try:
        yield
    finally:
        _quiet.on = False
