"""The local cloud's data directory: its journal, reviewer tokens, logs, inbox and the running
server's address. One local cloud owns a data directory at a time (an flock on `lock`, which the
kernel releases when the owner dies, even by SIGKILL)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any


class DataDirBusy(RuntimeError):
    """Another local cloud (an `icpa serve`, or another command's embedded cloud) owns it."""


def default_data_dir() -> Path:
    """$ICPA_DATA_DIR, else $XDG_DATA_HOME/icpa, else ~/.local/share/icpa."""
    explicit = os.environ.get("ICPA_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "icpa"


@dataclass(frozen=True)
class DataDir:
    root: Path

    @property
    def journal(self) -> Path:
        return self.root / "journal.sqlite3"

    @property
    def reviewers(self) -> Path:
        return self.root / "reviewers.json"

    @property
    def server_info_path(self) -> Path:
        return self.root / "server.json"

    @property
    def lock_path(self) -> Path:
        return self.root / "lock"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    def ensure(self) -> DataDir:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self

    # -- ownership ---------------------------------------------------------------------------

    def lock(self) -> DataDirLock:
        """Own the data directory, or raise DataDirBusy."""
        self.ensure()
        handle = self.lock_path.open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise DataDirBusy(f"{self.root} is in use by another icpa local cloud") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        return DataDirLock(handle)

    def busy(self) -> bool:
        """Someone owns it right now (a server, or another command's embedded cloud)."""
        if not self.lock_path.exists():
            return False
        with self.lock_path.open("a+") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            return False

    # -- the running server's address ---------------------------------------------------------

    def server_info(self) -> dict[str, Any] | None:
        try:
            info = json.loads(self.server_info_path.read_text())
        except (OSError, ValueError):
            return None
        return info if isinstance(info, dict) else None

    def write_server_info(self, info: dict[str, Any]) -> None:
        write_private(self.server_info_path, json.dumps(info, indent=2) + "\n")

    def clear_server_info(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.server_info_path.unlink()


class DataDirLock:
    def __init__(self, handle: IO[str]) -> None:
        self._handle: IO[str] | None = handle

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only, atomically (no reader sees half of it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
