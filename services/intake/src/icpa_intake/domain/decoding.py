"""From raw bytes to a JSON document and its format, or the reason it cannot be read."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate
from typing import Any, Final, Literal

from icpa_intake.domain.problems import Problem, invalid_claim
from icpa_shared.contracts import reasons

SourceFormat = Literal["icpa", "fhir", "x12"]


@dataclass(frozen=True)
class DecodedDocument:
    source_format: SourceFormat
    body: dict[str, Any]


MAX_NESTING: Final = 32
"""Deepest array/object nesting a claim file may have (a FHIR Claim needs about 8)."""

# A JSON string (closed, or running to the end of the text) or one bracket: matched once each,
# left to right, so the scan reads every character once whatever the text is.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)
_DEPTH_STEP: Final = {"[": 1, "{": 1, "]": -1, "}": -1}


class DuplicateKeyError(ValueError):
    """An object names the same key twice: which value was meant is not knowable."""


class NestingTooDeepError(ValueError):
    pass


@dataclass(frozen=True)
class ExponentNumber:
    """A JSON number written with an exponent (`1e3`, `1e308`). Kept as its literal, so no
    field accepts it: a claim writes amounts and counts plainly."""

    literal: str


def _reject_constant(name: str) -> Any:
    # json accepts NaN/Infinity by default; no claim amount is ever one of them.
    raise ValueError(f"non-finite number {name}")


def _number(literal: str) -> Decimal | ExponentNumber:
    return ExponentNumber(literal) if "e" in literal or "E" in literal else Decimal(literal)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    body = dict(pairs)
    if len(body) != len(pairs):
        raise DuplicateKeyError("an object repeats a key")
    return body


def nesting_depth(text: str) -> int:
    """The deepest bracket nesting outside strings (linear; exact for valid JSON)."""
    steps = (_DEPTH_STEP.get(m.group(), 0) for m in _STRING_OR_BRACKET.finditer(text))
    return max(accumulate(steps, initial=0))


def parse_json(data: bytes) -> Any:
    """Strict UTF-8 (a leading byte-order mark is tolerated); numbers become exact Decimals,
    never floats, so an amount like 0.1 keeps its cents; a repeated key is an error, never
    "the last one wins"; nesting is capped before parsing (the parser recurses per level)."""
    text = data.decode("utf-8-sig")
    if nesting_depth(text) > MAX_NESTING:
        raise NestingTooDeepError(f"nested deeper than {MAX_NESTING}")
    return json.loads(text, parse_float=_number, parse_constant=_reject_constant, object_pairs_hook=_object)


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
    except DuplicateKeyError:
        raise invalid_claim([Problem(reasons.DUPLICATE_JSON_KEY)], what="file") from None
    except NestingTooDeepError:
        raise invalid_claim([Problem(reasons.NESTING_TOO_DEEP)], what="file") from None
    except (ValueError, RecursionError):
        raise invalid_claim([Problem(reasons.MALFORMED_JSON)], what="file") from None
    source_format = detect_format(body)
    if source_format is None:
        raise invalid_claim([Problem(reasons.UNSUPPORTED_FORMAT)], what="file")
    return DecodedDocument(source_format=source_format, body=body)
