"""Review ids: derived from the execution, so every attempt of one wait maps to one review."""

from __future__ import annotations

import hashlib
import re
from typing import Final

_REVIEW_ID: Final = re.compile(r"^REV-[0-9a-f]{32}$")


def review_id_for(execution_id: str) -> str:
    """A retried invoke, a redriven execution and the escalation all derive the same id."""
    return "REV-" + hashlib.sha256(execution_id.encode()).hexdigest()[:32]


def is_review_id(value: object) -> bool:
    return isinstance(value, str) and _REVIEW_ID.match(value) is not None
