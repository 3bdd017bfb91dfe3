"""A validation problem: what is wrong (a reason code) and where (a field path), never the value.

Values stay out on purpose: an error message travels into Step Functions history and logs,
and a claim's values are PHI (names, member ids, birth dates).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from icpa_shared.errors import InvalidClaimError

MAX_LISTED_PROBLEMS = 20


@dataclass(frozen=True, order=True)
class Problem:
    code: str
    location: str = ""


def reason_codes(problems: Iterable[Problem]) -> list[str]:
    """Every distinct code, sorted: the same problems always give the same list."""
    return sorted({p.code for p in problems})


def invalid_claim(problems: Iterable[Problem], *, what: str = "claim") -> InvalidClaimError:
    distinct = sorted(set(problems))
    listed = "; ".join(f"{p.location or '<document>'}: {p.code}" for p in distinct[:MAX_LISTED_PROBLEMS])
    more = len(distinct) - MAX_LISTED_PROBLEMS
    suffix = f"; and {more} more" if more > 0 else ""
    return InvalidClaimError(
        f"{what} rejected with {len(distinct)} problem(s): {listed}{suffix}",
        reasons=reason_codes(distinct),
    )
