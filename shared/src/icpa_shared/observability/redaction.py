"""PHI redaction for log events: by field name and by value pattern, applied recursively.

Runs as a structlog processor in front of the renderer, so nothing a developer logs by
mistake (a patient name in a dict, an SSN in an exception message) reaches a log line.

Cost is linear in the input, whatever the input: every pattern is bounded or can start only
at the beginning of a run of its characters (no pattern rescans what a failed attempt already
read), and text longer than MAX_SCANNED_CHARS is not scanned at all but replaced whole. A log
line is written under every handler's clock; one hostile string must not stall it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

REDACTED: Final = "[REDACTED]"
REDACTED_TOO_LONG: Final = "[REDACTED:TOO_LONG]"
MAX_SCANNED_CHARS: Final = 32 * 1024
"""Longer text is replaced whole: cutting it first could split (and so leak) a value."""

# Field names compared after lower-casing and dropping '_', '-' and spaces.
_PHI_FIELD_NAMES: Final = frozenset(
    {
        "name",
        "names",
        "firstname",
        "lastname",
        "givenname",
        "familyname",
        "given",
        "family",
        "fullname",
        "middlename",
        "patient",
        "patientname",
        "membername",
        "subscribername",
        "birthdate",
        "dateofbirth",
        "dob",
        "birthday",
        "ssn",
        "socialsecuritynumber",
        "taxid",
        "memberid",
        "subscriberid",
        "member",
        "subscriber",
        "mrn",
        "medicalrecordnumber",
        "patientcontrolnumber",
        "address",
        "addressline",
        "street",
        "streetaddress",
        "city",
        "postalcode",
        "zip",
        "zipcode",
        "homeaddress",
        "phone",
        "phonenumber",
        "telephone",
        "mobile",
        "telecom",
        "fax",
        "email",
        "emailaddress",
    }
)
# Keys the logging pipeline itself owns: never rewritten.
_SAFE_KEYS: Final = frozenset({"timestamp", "level", "logger", "event_id"})

_PATTERNS: Final = (
    re.compile(r"\b\d{3}[- ]?\d{2}[- ]?\d{4}\b"),  # SSN-like (also bare 9 digits)
    re.compile(r"\b(?:MBR|SUB)[0-9]{6,10}\b", re.IGNORECASE),  # member / subscriber ids
    # e-mail: starts only where a run of local-part characters starts, and the domain's labels
    # are split by the dots alone, so no attempt backtracks over what another attempt read.
    re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}"),
    re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?!\d)"),  # phone
    re.compile(  # street address
        r"\b\d{1,6}[A-Za-z]?\s{1,5}(?:[A-Za-z0-9.]{1,40}\s{1,5}){1,5}"
        r"(?:street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|court|ct|way|place|pl"
        r"|terrace|ter|circle|cir|parkway|pkwy|highway|hwy)\b\.?",
        re.IGNORECASE,
    ),
    re.compile(r"\b(?:19|20)\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])\b"),  # ISO dates
    re.compile(r"\b(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01])/(?:19|20)\d{2}\b"),  # US dates
)


def _normalize(key: str) -> str:
    return re.sub(r"[\s_\-]", "", key).lower()


def is_phi_field(key: object) -> bool:
    return isinstance(key, str) and _normalize(key) in _PHI_FIELD_NAMES


def redact_text(text: str, *, max_chars: int | None = MAX_SCANNED_CHARS) -> str:
    """`max_chars=None` scans any length (tests of the patterns' own cost use it)."""
    if max_chars is not None and len(text) > max_chars:
        return REDACTED_TOO_LONG
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


def redact_value(value: Any, _depth: int = 0) -> Any:
    """Redact a value of any shape: strings by pattern, containers recursively by key."""
    if _depth > 20:
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bytes | bytearray):
        return redact_text(bytes(value).decode("utf-8", "replace"))
    if isinstance(value, Mapping):
        return {k: (REDACTED if is_phi_field(k) else redact_value(v, _depth + 1)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(v, _depth + 1) for v in value]
    if isinstance(value, bool | int | float) or value is None:
        return value
    # Anything else (exceptions, models, dates) is logged through its text, redacted.
    return redact_text(str(value))


def redact_event(_logger: object, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: the last step before the renderer."""
    out: dict[str, Any] = {}
    for key, value in event_dict.items():
        if key in _SAFE_KEYS:
            out[key] = value
        elif is_phi_field(key):
            out[key] = REDACTED
        else:
            out[key] = redact_value(value)
    return out
