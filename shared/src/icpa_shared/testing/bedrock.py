"""Bedrock Agent Runtime answers on the wire, for tests of the services' agent adapters.

botocore's Stubber cannot stub `invoke_agent`'s event stream, so adapter tests answer at the
HTTP layer with real AWS event-stream frames (application/vnd.amazon.eventstream) and let
botocore's own parser turn them into `completion` chunks or in-stream exceptions.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from collections.abc import Iterator
from typing import Any


def _header(name: str, value: str) -> bytes:
    key, text = name.encode(), value.encode()
    return struct.pack(">B", len(key)) + key + b"\x07" + struct.pack(">H", len(text)) + text  # 7: string


def frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message: prelude + prelude CRC, headers, payload, message CRC."""
    encoded = b"".join(_header(k, v) for k, v in headers.items())
    prelude = struct.pack(">II", 12 + len(encoded) + len(payload) + 4, len(encoded))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + encoded + payload
    return message + struct.pack(">I", zlib.crc32(message))


def chunk(text: str) -> bytes:
    """A `completion` chunk carrying `text` (base64 in the payload, as Bedrock sends it)."""
    payload = json.dumps({"bytes": base64.b64encode(text.encode()).decode()}).encode()
    return frame({":message-type": "event", ":event-type": "chunk", ":content-type": "application/json"}, payload)


def stream_exception(kind: str, message: str = "try later") -> bytes:
    """An exception inside the stream (e.g. throttlingException after the HTTP 200)."""
    headers = {":message-type": "exception", ":exception-type": kind, ":content-type": "application/json"}
    return frame(headers, json.dumps({"message": message}).encode())


class RawBody:
    """A raw HTTP body botocore can stream from (what AWSResponse wraps)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data

    def read(self, *_: Any) -> bytes:
        data, self._data = self._data, b""
        return data
