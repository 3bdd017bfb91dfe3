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


class _Sink:
    """Where handler output goes; one per process, shared by every router instance, so output
    is kept even when something else (a test runner) swaps sys.stdout and a new router wraps it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.log_path: Path | None = None
        self.file: TextIO | None = None
        self.captured: list[str] = []


_SINK = _Sink()


class HandlerLogRouter(io.TextIOBase):
    """Installed as sys.stdout; each local cloud points the shared sink at its log file."""

    def __init__(self, terminal: TextIO) -> None:
        self._terminal = terminal

    @property
    def captured(self) -> list[str]:
        """Handler output since the last open(), for tests and PHI scans."""
        return _SINK.captured

    @property
    def log_path(self) -> Path | None:
        return _SINK.log_path

    def open(self, log_path: Path | None) -> None:
        with _SINK.lock:
            self._close()
            _SINK.captured = []
            _SINK.log_path = log_path
            if log_path is not None:
                log_path.parent.mkdir(parents=True, exist_ok=True)
                _SINK.file = log_path.open("a", encoding="utf-8")

    def close(self) -> None:  # type: ignore[override]
        with _SINK.lock:
            self._close()

    @staticmethod
    def _close() -> None:
        if _SINK.file is not None:
            _SINK.file.close()
            _SINK.file = None

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not in_handler():
            return self._terminal.write(text)
        return write_handler_output(text)

    def flush(self) -> None:
        self._terminal.flush()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._terminal, "encoding", "utf-8")

    def isatty(self) -> bool:
        return self._terminal.isatty()


def write_handler_output(text: str) -> int:
    """Handler output to the handler log, whichever stream sys.stdout is now (a handler run in a
    worker process prints there; its lines arrive here with its result)."""
    with _SINK.lock:
        _SINK.captured.append(text)
        if _SINK.file is not None:
            _SINK.file.write(text)
            _SINK.file.flush()
    return len(text)


def router() -> HandlerLogRouter:
    """The router on sys.stdout, installed (again) if something replaced it."""
    if not isinstance(sys.stdout, HandlerLogRouter):
        sys.stdout = HandlerLogRouter(sys.stdout)
    return sys.stdout
