"""Review ids: derived from the execution, so every attempt of one wait maps to one review."""

from __future__ import annotations

import re
from typing import Final

from icpa_shared.digest import sha256_hex

_REVIEW_ID: Final = re.compile(r"^REV-[0-9a-f]{32}$")


def review_id_for(execution_id: str) -> str:
    """A retried invoke, a redriven execution and the escalation all derive the same id."""
    return "REV-" + sha256_hex(execution_id.encode())[:32]


def is_review_id(value: object) -> bool:
    return isinstance(value, str) and _REVIEW_ID.match(value) is not None
