"""From raw bytes to a JSON document and its format, or the reason it cannot be read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from icpa_intake.domain.problems import Problem, invalid_claim
from icpa_shared.contracts import reasons

SourceFormat = Literal["icpa", "fhir"]


@dataclass(frozen=True)
class DecodedDocument:
    source_format: SourceFormat
    body: dict[str, Any]


def _reject_constant(name: str) -> Any:
    # json accepts NaN/Infinity by default; no claim amount is ever one of them.
    raise ValueError(f"non-finite number {name}")


def parse_json(data: bytes) -> Any:
    """Strict UTF-8 (a leading byte-order mark is tolerated); numbers become exact Decimals,
    never floats, so an amount like 0.1 keeps its cents."""
    text = data.decode("utf-8-sig")
    return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)


def detect_format(body: Any) -> SourceFormat | None:
    """A FHIR resource names itself (`resourceType`); ICPA's own JSON has `claim_id` or
    `schema_version`. Anything else (arrays, Bundles, other resources) is unsupported."""
    if not isinstance(body, dict):
        return None
    if "resourceType" in body:
        return "fhir" if body.get("resourceType") == "Claim" else None
    if "claim_id" in body or "schema_version" in body:
        return "icpa"
    return None


def decode_document(data: bytes, *, max_bytes: int) -> DecodedDocument:
    if len(data) > max_bytes:
        raise invalid_claim([Problem(reasons.FILE_TOO_LARGE)], what="file")
    try:
        body = parse_json(data)
    except UnicodeDecodeError:
        raise invalid_claim([Problem(reasons.NOT_UTF8)], what="file") from None
    except (ValueError, RecursionError):
        raise invalid_claim([Problem(reasons.MALFORMED_JSON)], what="file") from None
    source_format = detect_format(body)
    if source_format is None:
        raise invalid_claim([Problem(reasons.UNSUPPORTED_FORMAT)], what="file")
    return DecodedDocument(source_format=source_format, body=body)
