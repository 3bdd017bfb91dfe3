"""The inbox folder watcher, one poll at a time, with a recording uploader (no cloud)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from icpa_local.inbox import MAX_UPLOAD_ATTEMPTS, InboxWatcher


class Bucket:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.failures = 0

    def upload(self, body: bytes, key: str) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("endpoint down")
        self.objects[key] = body

    def etag(self, key: str) -> str | None:
        body = self.objects.get(key)
        return None if body is None else hashlib.md5(body, usedforsecurity=False).hexdigest()


@pytest.fixture
def bucket() -> Bucket:
    return Bucket()


@pytest.fixture
def watcher(tmp_path: Path, bucket: Bucket) -> InboxWatcher:
    return InboxWatcher(tmp_path / "inbox", bucket.upload, stored_etag=bucket.etag)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_dropped_file_is_uploaded_once_it_holds_still_then_moved_aside(watcher: InboxWatcher, bucket: Bucket) -> None:
    (watcher.inbox / "claim.json").write_bytes(b'{"claim": 1}')
    assert watcher.poll() == []  # first sight: maybe still being written
    (event,) = watcher.poll()
    assert (event.name, event.status, event.key) == ("claim.json", "accepted", "claims/claim.json")
    assert bucket.objects == {"claims/claim.json": b'{"claim": 1}'}
    assert names(watcher.accepted) == ["claim.json"] and not (watcher.inbox / "claim.json").exists()


def test_a_file_still_growing_waits(watcher: InboxWatcher, bucket: Bucket) -> None:
    path = watcher.inbox / "big.json"
    path.write_bytes(b"{")
    watcher.poll()
    with path.open("ab") as handle:
        handle.write(b"}")
    assert watcher.poll() == [] and bucket.objects == {}
    assert [e.status for e in watcher.poll()] == ["accepted"] and bucket.objects["claims/big.json"] == b"{}"


@pytest.mark.parametrize("name", [".hidden.json", "~lock.json", "claim.json.part", "claim.tmp", "x.crdownload"])
def test_files_being_written_are_left_alone(watcher: InboxWatcher, bucket: Bucket, name: str) -> None:
    (watcher.inbox / name).write_bytes(b"{}")
    watcher.poll()
    watcher.poll()
    assert bucket.objects == {} and (watcher.inbox / name).exists()


def test_an_unreadable_file_goes_to_failed_with_its_reason(
    watcher: InboxWatcher, bucket: Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = watcher.inbox / "locked.json"
    path.write_bytes(b"{}")
    watcher.poll()
    real_read = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "locked.json":
            raise PermissionError(13, "Permission denied")
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    (event,) = watcher.poll()
    assert event.status == "failed" and "Permission denied" in event.detail
    assert names(watcher.failed) == ["locked.json", "locked.json.reason.txt"]
    assert "unreadable: Permission denied" in (watcher.failed / "locked.json.reason.txt").read_text()
    assert bucket.objects == {}


def test_files_that_are_not_claims_fail_with_a_reason_and_are_not_uploaded(
    watcher: InboxWatcher, bucket: Bucket
) -> None:
    (watcher.inbox / "scan.pdf").write_bytes(b"%PDF-1.7")
    (watcher.inbox / "README").write_bytes(b"notes")
    (watcher.inbox / "empty.json").write_bytes(b"")
    (watcher.inbox / "batch.837").write_bytes(b"ISA*00*")
    watcher.poll()
    events = {e.name: e for e in watcher.poll()}
    assert events["scan.pdf"].status == "failed" and "extension '.pdf'" in events["scan.pdf"].detail
    assert events["README"].status == "failed" and "extension none" in events["README"].detail
    assert events["empty.json"].detail == "not a claim file: it is empty"
    assert events["batch.837"].status == "accepted"  # X12 837 interchanges are claims too
    assert list(bucket.objects) == ["claims/batch.837"]
    assert "not a claim file" in (watcher.failed / "scan.pdf.reason.txt").read_text()
    assert names(watcher.failed) == sorted(
        ["README", "README.reason.txt", "empty.json", "empty.json.reason.txt", "scan.pdf", "scan.pdf.reason.txt"]
    )


def test_not_a_regular_file_and_too_large_files_fail_with_reasons(tmp_path: Path, bucket: Bucket) -> None:
    watcher = InboxWatcher(tmp_path / "inbox", bucket.upload, max_file_bytes=10)
    os.mkfifo(watcher.inbox / "pipe.json")
    (watcher.inbox / "huge.json").write_bytes(b"x" * 11)
    watcher.poll()
    events = {e.name: e for e in watcher.poll()}
    assert events["pipe.json"].detail == "not a regular file"
    assert "over the local inbox's 10-byte limit" in events["huge.json"].detail
    assert sorted(names(watcher.failed)) == ["huge.json", "huge.json.reason.txt", "pipe.json", "pipe.json.reason.txt"]


def test_a_failed_upload_is_retried_then_given_up_with_a_reason(watcher: InboxWatcher, bucket: Bucket) -> None:
    bucket.failures = 1
    (watcher.inbox / "flaky.json").write_bytes(b"{}")
    watcher.poll()
    assert [e.status for e in watcher.poll()] == ["retrying"]
    assert names(watcher.processing) == ["flaky.json"]  # kept, not lost
    assert [e.status for e in watcher.poll()] == ["accepted"] and "claims/flaky.json" in bucket.objects

    bucket.failures = MAX_UPLOAD_ATTEMPTS
    (watcher.inbox / "down.json").write_bytes(b"{}")
    watcher.poll()
    statuses = [e.status for _ in range(MAX_UPLOAD_ATTEMPTS) for e in watcher.poll()]
    assert statuses == ["retrying"] * (MAX_UPLOAD_ATTEMPTS - 1) + ["failed"]
    assert "upload failed 5 times" in (watcher.failed / "down.json.reason.txt").read_text()


def test_same_names_do_not_overwrite_each_other(watcher: InboxWatcher) -> None:
    for body in (b"1", b"2"):
        (watcher.inbox / "same.json").write_bytes(body)
        watcher.poll()
        watcher.poll()
    assert names(watcher.accepted) == ["same.1.json", "same.json"]
    assert {(watcher.accepted / n).read_bytes() for n in names(watcher.accepted)} == {b"1", b"2"}


def test_after_a_crash_an_uploaded_file_only_moves_on_and_another_is_uploaded(tmp_path: Path, bucket: Bucket) -> None:
    inbox = tmp_path / "inbox"
    (inbox / ".processing").mkdir(parents=True)
    (inbox / ".processing" / "done.json").write_bytes(b"done")
    (inbox / ".processing" / "half.json").write_bytes(b"half")
    bucket.objects["claims/done.json"] = b"done"  # uploaded just before the crash
    uploads: list[str] = []

    def upload(body: bytes, key: str) -> None:
        uploads.append(key)
        bucket.upload(body, key)

    watcher = InboxWatcher(inbox, upload, stored_etag=bucket.etag)
    assert [(e.name, e.status) for e in watcher.recover()] == [("done.json", "accepted")]
    assert [(e.name, e.status) for e in watcher.poll()] == [("half.json", "accepted")]
    assert uploads == ["claims/half.json"] and names(watcher.accepted) == ["done.json", "half.json"]


def test_the_watcher_thread_picks_files_up(tmp_path: Path, bucket: Bucket) -> None:
    from icpa_local.inbox import wait_for

    watcher = InboxWatcher(tmp_path / "inbox", bucket.upload, poll_interval=0.02).start()
    try:
        (watcher.inbox / "live.json").write_bytes(b"{}")
        assert wait_for(lambda: "claims/live.json" in bucket.objects and (watcher.accepted / "live.json").exists(), 5)
    finally:
        watcher.stop()
