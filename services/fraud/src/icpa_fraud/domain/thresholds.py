"""Signal limits and weights. Limits come from settings; weights are part of the rules (a
change to a weight is a code change, reviewed and released with a new service version)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from icpa_shared.contracts import reasons

WEIGHTS: Final[dict[str, float]] = {
    reasons.EXACT_DUPLICATE: 0.90,
    reasons.NEAR_DUPLICATE: 0.45,
    reasons.MEMBER_DAILY_FREQUENCY: 0.30,
    reasons.PROVIDER_DAILY_VOLUME: 0.25,
    reasons.CHARGE_OUTLIER: 0.35,  # a line above p95 per unit
    reasons.OUTSIDE_COVERAGE_DATES: 0.40,
    # PROVIDER_WATCHLIST: each watchlist entry carries its own weight
}
EXTREME_CHARGE_OUTLIER_WEIGHT: Final = 0.60  # a line at or above `extreme_ratio` x p95


@dataclass(frozen=True)
class Thresholds:
    duplicate_window_days: int = 3
    """NEAR_DUPLICATE: the same procedure within this many days (either side)."""
    near_duplicate_amount_pct: Decimal = Decimal("10")
    """NEAR_DUPLICATE: another claim on the same day whose total is within this percentage."""
    member_daily_claim_limit: int = 3
    """MEMBER_DAILY_FREQUENCY: more claims than this for one member on one day."""
    provider_daily_procedure_limit: int = 50
    """PROVIDER_DAILY_VOLUME: more procedures (units) than this for one provider on one day."""
    extreme_ratio: Decimal = Decimal("2")
    """CHARGE_OUTLIER: charge per unit at this multiple of p95 or more is extreme."""
