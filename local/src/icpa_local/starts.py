"""Which execution the inbox rule started for each uploaded object.

The EventBridge rule starts an execution asynchronously after a PutObject; whoever uploaded
the object (LocalCloud.upload, the crash recovery's second notification) waits here for the
execution that object started. Filled by moto_patches' on_execution_started callback."""

from __future__ import annotations

import threading
from typing import Any


class InboxStarts:
    """(bucket, key) -> execution arn, safe across the interpreter's threads."""

    def __init__(self) -> None:
        self._started: dict[tuple[str, str], str] = {}
        self._changed = threading.Condition()

    def record(self, arn: str, event: dict[str, Any]) -> None:
        """on_execution_started callback: `event` is the S3 'Object Created' event the rule matched."""
        detail = event.get("detail", {})
        key = (detail.get("bucket", {}).get("name", ""), detail.get("object", {}).get("key", ""))
        with self._changed:
            self._started[key] = arn
            self._changed.notify_all()

    def forget_start(self, bucket: str, key: str) -> None:
        with self._changed:
            self._started.pop((bucket, key), None)

    def started_for(self, bucket: str, key: str) -> str | None:
        with self._changed:
            return self._started.get((bucket, key))

    def wait_for(self, bucket: str, key: str, timeout: float) -> str | None:
        """The execution started for the object, once there is one; None after `timeout` seconds."""
        with self._changed:
            self._changed.wait_for(lambda: (bucket, key) in self._started, timeout=timeout)
            return self._started.get((bucket, key))
