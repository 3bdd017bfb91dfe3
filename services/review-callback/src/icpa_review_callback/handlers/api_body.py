"""The decision request's envelope, the API handler's HTTP work (not a Lambda function of its
own): media type, size, base64, nesting depth, and that it is one JSON object, checked before
a JSON parser or the desk (usecases/api.py) sees it.

Python's json recurses once per nesting level (a 100,000-deep array raises RecursionError), so
depth is measured first by one linear scan, on a body already capped in size. Every check here
is linear in the body's length, and each refusal names its own error code.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Final

# A decision is a verdict and a rationale of at most 2,000 characters: even written entirely as
# \\uXXXX surrogate pairs that is under 25 KB. API Gateway itself would take 10 MB.
MAX_BODY_BYTES: Final = 32 * 1024
# {"decision": ..., "rationale": ...} is depth 1; anything deeper is refused as 422 anyway.
MAX_DEPTH: Final = 16
JSON_MEDIA_TYPE: Final = "application/json"


@dataclass(frozen=True)
class BodyProblem:
    """Why the body was refused before parsing: an HTTP status, an error code, a message."""

    status: int
    error: str
    message: str


def read_json_object(body: str | None, *, is_base64: bool, content_type: str | None) -> dict[str, Any] | BodyProblem:
    """The body as a JSON object, or the first problem with it (415, else 400)."""
    if not is_json_media_type(content_type):
        return BodyProblem(415, "UNSUPPORTED_MEDIA_TYPE", "the body must be sent as application/json")
    if body is None or not body.strip():
        return BodyProblem(400, "MALFORMED_BODY", "a JSON body is required")
    # Characters never outnumber UTF-8 bytes, so this refuses a huge body before encoding it.
    if len(body) > (_base64_length(MAX_BODY_BYTES) if is_base64 else MAX_BODY_BYTES):
        return _too_large()
    try:
        raw = base64.b64decode(body, validate=True) if is_base64 else body.encode("utf-8")
        text = raw.decode("utf-8")
    except ValueError:  # binascii.Error, UnicodeError, and non-ASCII text handed to b64decode
        return BodyProblem(400, "MALFORMED_BODY", "the body is not valid UTF-8" + (" in base64" if is_base64 else ""))
    if len(raw) > MAX_BODY_BYTES:
        return _too_large()
    if nesting_depth(text, limit=MAX_DEPTH) > MAX_DEPTH:
        return BodyProblem(400, "BODY_TOO_DEEP", f"the body nests deeper than {MAX_DEPTH} levels")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # ValueError: bad JSON, or an integer past Python's digit limit
        return BodyProblem(400, "MALFORMED_BODY", "the body is not valid JSON")
    if not isinstance(data, dict):
        return BodyProblem(400, "BODY_NOT_AN_OBJECT", "the body must be a JSON object")
    return data


def is_json_media_type(content_type: str | None) -> bool:
    """`application/json`, any case, with parameters allowed; a charset, if given, is UTF-8."""
    if not content_type:
        return False
    media_type, *parameters = (part.strip() for part in content_type.split(";"))
    if media_type.lower() != JSON_MEDIA_TYPE:
        return False
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return False
    return True


def nesting_depth(text: str, *, limit: int) -> int:
    """The deepest array/object nesting in `text`, brackets inside strings not counted; stops
    as soon as it passes `limit`. One pass, no recursion: safe on any input."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif char in "]}":
            depth -= 1
    return deepest


def _base64_length(size: int) -> int:
    return 4 * ((size + 2) // 3)


def _too_large() -> BodyProblem:
    return BodyProblem(400, "BODY_TOO_LARGE", f"the body is larger than {MAX_BODY_BYTES} bytes")
