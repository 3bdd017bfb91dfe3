"""A folder that feeds the inbox bucket: drop a claim file in, it is uploaded to
`s3://<inbox>/claims/<name>` (which starts the workflow, as any upload does) and moved aside.

    <inbox>/                 files dropped here (names starting with '.' or '~', or ending in
                             .part/.tmp/.swp/.crdownload, are left alone: still being written)
    <inbox>/.processing/     a file being uploaded (moved here first, atomically)
    <inbox>/accepted/        uploaded
    <inbox>/failed/          not a claim file (extension, empty), or could not be read or
                             uploaded; <name>.reason.txt says why

Nothing is lost: a file is renamed (never copied-then-deleted) between the folders, only after
the step it marks has happened. A file is picked up once its size and mtime held still for one
poll, so a half-written file is not uploaded. After a crash, a file left in .processing/ is
uploaded again unless the bucket already holds the same bytes under its key (then it only
moves on to accepted/).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from icpa_local.claimfiles import not_a_claim

PROCESSING: Final = ".processing"
ACCEPTED: Final = "accepted"
FAILED: Final = "failed"
MAX_FILE_BYTES: Final = 5 * 1024 * 1024  # the workflow itself rejects claims over 1 MB, with a reason
MAX_UPLOAD_ATTEMPTS: Final = 5
_IGNORED_SUFFIXES: Final = (".part", ".tmp", ".swp", ".crdownload", ".partial")

# (body, key) -> None: put the object; raises on failure.
Upload = Callable[[bytes, str], None]
# key -> the stored object's ETag (no quotes), or None when there is none.
StoredEtag = Callable[[str], str | None]


@dataclass(frozen=True)
class InboxEvent:
    name: str
    status: str  # "accepted" | "failed" | "retrying"
    detail: str
    key: str | None = None


class InboxWatcher:
    def __init__(
        self,
        inbox: Path,
        upload: Upload,
        *,
        stored_etag: StoredEtag | None = None,
        poll_interval: float = 0.25,
        on_event: Callable[[InboxEvent], None] | None = None,
        max_file_bytes: int = MAX_FILE_BYTES,
    ) -> None:
        self.inbox = inbox
        self.processing = inbox / PROCESSING
        self.accepted = inbox / ACCEPTED
        self.failed = inbox / FAILED
        self._upload = upload
        self._stored_etag = stored_etag
        self.poll_interval = poll_interval
        self._on_event = on_event
        self.max_file_bytes = max_file_bytes
        self._seen: dict[str, tuple[int, int]] = {}  # name -> (size, mtime_ns) at the last poll
        self._attempts: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        for folder in (self.inbox, self.processing, self.accepted, self.failed):
            folder.mkdir(parents=True, exist_ok=True)

    # -- running ---------------------------------------------------------------------------

    def start(self) -> InboxWatcher:
        self.recover()
        self._thread = threading.Thread(target=self._run, name="icpa-inbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll()
            except Exception as exc:  # the watcher outlives one bad poll
                self._emit(InboxEvent("-", "retrying", f"inbox poll failed: {type(exc).__name__}: {exc}"))
            self._stop.wait(self.poll_interval)

    # -- one pass --------------------------------------------------------------------------

    def poll(self) -> list[InboxEvent]:
        """Upload every file that held still since the last poll; retry what is in .processing/."""
        events = [e for path in sorted(self.processing.iterdir()) if (e := self._retry(path)) is not None]
        current: dict[str, tuple[int, int]] = {}
        for path in sorted(self.inbox.iterdir()):
            if not self._candidate(path):
                continue
            try:
                stat = path.stat()
            except OSError:
                continue
            signature = (stat.st_size, stat.st_mtime_ns)
            current[path.name] = signature
            if self._seen.get(path.name) != signature:
                continue  # new or still changing: look again next poll
            event = self._take(path)
            if event is not None:
                events.append(event)
                current.pop(path.name, None)
        self._seen = current
        return events

    def recover(self) -> list[InboxEvent]:
        """After a crash: a file in .processing/ whose bytes the bucket already holds under its
        key was uploaded before the crash; it only moves on. Others are retried by poll()."""
        events: list[InboxEvent] = []
        for path in sorted(self.processing.iterdir()):
            if not path.is_file() or self._stored_etag is None:
                continue
            try:
                digest = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
                stored = self._stored_etag(self.key_for(path.name))
            except Exception:  # noqa: S112 - poll() retries it
                continue
            if stored is not None and stored.strip('"') == digest:
                events.append(self._accept(path, "uploaded before a restart"))
        return events

    @staticmethod
    def key_for(name: str) -> str:
        return f"claims/{name}"

    def _candidate(self, path: Path) -> bool:
        name = path.name
        if name.startswith((".", "~")) or name.lower().endswith(_IGNORED_SUFFIXES):
            return False
        return not path.is_dir()

    def _take(self, path: Path) -> InboxEvent | None:
        if not path.is_file():  # a fifo, socket or broken link: not something to upload
            return self._fail(path, "not a regular file")
        claimed = self.processing / path.name
        if claimed.exists():
            return None  # a file of that name is still being uploaded: this one waits its turn
        try:
            path.replace(claimed)
        except FileNotFoundError:
            return None  # someone moved it away meanwhile
        return self._retry(claimed)

    def _retry(self, path: Path) -> InboxEvent | None:
        try:
            size = path.stat().st_size
            if size > self.max_file_bytes:
                return self._fail(path, f"{size} bytes is over the local inbox's {self.max_file_bytes}-byte limit")
            refused = not_a_claim(path, size)
            if refused is not None:
                return self._fail(path, refused)
            body = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            return self._fail(path, f"unreadable: {exc.strerror or exc}")
        key = self.key_for(path.name)
        try:
            self._upload(body, key)
        except Exception as exc:  # stays in .processing/ for the next poll
            attempts = self._attempts.get(path.name, 0) + 1
            self._attempts[path.name] = attempts
            if attempts >= MAX_UPLOAD_ATTEMPTS:
                return self._fail(path, f"upload failed {attempts} times: {type(exc).__name__}: {exc}")
            return self._emit(InboxEvent(path.name, "retrying", f"upload failed: {type(exc).__name__}", key))
        self._attempts.pop(path.name, None)
        return self._accept(path, f"uploaded to {key}", key)

    # -- outcomes --------------------------------------------------------------------------

    def _accept(self, path: Path, detail: str, key: str | None = None) -> InboxEvent:
        _move(path, self.accepted)
        return self._emit(InboxEvent(path.name, "accepted", detail, key or self.key_for(path.name)))

    def _fail(self, path: Path, reason: str) -> InboxEvent:
        target = _move(path, self.failed)
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        reason_file = target.with_name(target.name + ".reason.txt")
        reason_file.write_text(f"{stamp} {path.name}: {reason}\n", encoding="utf-8")
        self._attempts.pop(path.name, None)
        return self._emit(InboxEvent(path.name, "failed", reason))

    def _emit(self, event: InboxEvent) -> InboxEvent:
        if self._on_event is not None:
            with contextlib.suppress(Exception):
                self._on_event(event)
        return event


def _move(path: Path, folder: Path) -> Path:
    """Rename into folder without overwriting: a second `a.json` becomes `a.1.json`."""
    target = folder / path.name
    counter = 0
    while target.exists():
        counter += 1
        target = folder / f"{path.stem}.{counter}{path.suffix}"
    path.replace(target)
    return target


def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
