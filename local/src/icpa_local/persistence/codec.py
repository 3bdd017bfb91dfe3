"""How the journal writes values: JSON with bytes tagged, times as ISO 8601 in UTC, and the
source object a workflow input names."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return {"__bytes__": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot journal {type(value).__name__}")


def _object_hook(value: dict[str, Any]) -> Any:
    if len(value) == 1 and "__bytes__" in value:
        return base64.b64decode(value["__bytes__"])
    return value


def dumps(value: Any) -> str:
    return json.dumps(value, default=_default, sort_keys=True, separators=(",", ":"))


def loads(text: str) -> Any:
    return json.loads(text, object_hook=_object_hook)


def iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.isoformat()
    return str(value)


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def naive_utc(text: str, fallback: datetime) -> datetime:
    """moto's S3 keeps naive UTC times (moto.core.utils.utcnow)."""
    parsed = parse_time(text)
    return fallback if parsed is None else parsed.astimezone(UTC).replace(tzinfo=None)


def source_of(execution_input: str) -> tuple[str | None, str | None, str | None]:
    """(bucket, key, version id or ETag) of the object a workflow input names, if any."""
    try:
        doc = json.loads(execution_input)
    except (TypeError, ValueError):
        return None, None, None
    source = doc.get("source") if isinstance(doc, dict) else None
    if not isinstance(source, dict):
        return None, None, None
    version = source.get("version_id") or str(source.get("etag") or "").strip('"') or None
    return source.get("bucket"), source.get("key"), version
