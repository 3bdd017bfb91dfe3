"""Handlers print JSON logs (structlog) and EMF metrics (Powertools) to stdout, as on Lambda.
In one local process those lines must not drown the CLI's output: writes made on a thread that
is running a handler go to the handler log file; everything else reaches the terminal."""

from __future__ import annotations

import io
import sys
import threading
from pathlib import Path
from typing import TextIO

from icpa_local.moto_patches import in_handler


class HandlerLogRouter(io.TextIOBase):
    """Installed once per process as sys.stdout; each local cloud points it at its log file."""

    def __init__(self, terminal: TextIO) -> None:
        self._terminal = terminal
        self._lock = threading.Lock()
        self.log_path: Path | None = None
        self._file: TextIO | None = None
        self.captured: list[str] = []  # handler output since the last open(), for tests and PHI scans

    def open(self, log_path: Path | None) -> None:
        with self._lock:
            self._close()
            self.captured = []
            self.log_path = log_path
            if log_path is not None:
                log_path.parent.mkdir(parents=True, exist_ok=True)
                self._file = log_path.open("a", encoding="utf-8")

    def close(self) -> None:  # type: ignore[override]
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not in_handler():
            return self._terminal.write(text)
        with self._lock:
            self.captured.append(text)
            if self._file is not None:
                self._file.write(text)
                self._file.flush()
        return len(text)

    def flush(self) -> None:
        self._terminal.flush()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._terminal, "encoding", "utf-8")

    def isatty(self) -> bool:
        return self._terminal.isatty()


def router() -> HandlerLogRouter:
    """The process's router, installed on first use."""
    if not isinstance(sys.stdout, HandlerLogRouter):
        sys.stdout = HandlerLogRouter(sys.stdout)
    return sys.stdout
