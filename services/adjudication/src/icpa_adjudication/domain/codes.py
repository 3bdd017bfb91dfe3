"""Reason codes adjudication emits that are not (yet) part of the shared vocabulary.

NO_FEE_SCHEDULE_RATE: the procedure is covered but the policy's fee schedule has no rate for
it, so the line cannot be priced automatically. It is a denial reason outside
DETERMINISTIC_DENIAL_REASONS on purpose: the Router sends such claims to a human to price.
"""

from __future__ import annotations

from typing import Final

NO_FEE_SCHEDULE_RATE: Final = "NO_FEE_SCHEDULE_RATE"
