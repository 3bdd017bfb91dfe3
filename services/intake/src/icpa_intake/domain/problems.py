"""A validation problem: what is wrong (a reason code) and where (a field path), never the value.

Values stay out on purpose: an error message travels into Step Functions history and logs,
and a claim's values are PHI (names, member ids, birth dates).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from icpa_shared.errors import InvalidClaimError

MAX_LISTED_PROBLEMS = 20
MAX_LOCATION = 120
"""A location is shown at most this long: its parts can be the file's own keys (any length)."""

# A location part shown as it is: a field name or an index. Anything else is one of the file's
# own keys (an unknown field): it can be any length and carry anything, so it is not echoed.
_PLAIN_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}|[0-9]{1,6}")


@dataclass(frozen=True, order=True)
class Problem:
    code: str
    location: str = ""


def reason_codes(problems: Iterable[Problem]) -> list[str]:
    """Every distinct code, sorted: the same problems always give the same list."""
    return sorted({p.code for p in problems})


def shown_location(location: str) -> str:
    """The location as an error message shows it: bounded, and without the file's own keys."""
    if not location:
        return "<document>"
    parts = location[: MAX_LOCATION * 4].split(".")
    shown = ".".join(part if _PLAIN_PART.fullmatch(part) else "<key>" for part in parts)
    return shown if len(shown) <= MAX_LOCATION else shown[: MAX_LOCATION - 3] + "..."


def invalid_claim(problems: Iterable[Problem], *, what: str = "claim") -> InvalidClaimError:
    """The error for these problems. Its message is bounded (at most MAX_LISTED_PROBLEMS
    locations, each at most MAX_LOCATION long), far below the 32 KB a Step Functions Cause
    holds; the reason codes are always complete."""
    distinct = sorted(set(problems))
    listed = "; ".join(f"{shown_location(p.location)}: {p.code}" for p in distinct[:MAX_LISTED_PROBLEMS])
    more = len(distinct) - MAX_LISTED_PROBLEMS
    suffix = f"; and {more} more" if more > 0 else ""
    return InvalidClaimError(
        f"{what} rejected with {len(distinct)} problem(s): {listed}{suffix}",
        reasons=reason_codes(distinct),
    )
