"""The rules: each looks at the claim (and its history, policy or reference data) and returns at
most one signal with a weight and PHI-free evidence (codes, counts, amounts, claim ids, NPIs;
never member ids, names or dates of service).

History is what the claims table's GSIs return for the claim's window (see `windows`): other
claims of the same member (any provider) and of the same provider (any member). The claim being
assessed is excluded by claim id, wherever it comes from.

The duplicate rules look only at claims received before this one (`received_before`): of two
matching claims only the later-received is a duplicate, whichever of them is scored first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from icpa_fraud.domain.reference import ChargeReference, ProviderWatchlist
from icpa_fraud.domain.thresholds import EXTREME_CHARGE_OUTLIER_WEIGHT, WEIGHTS, Thresholds
from icpa_shared.contracts import Claim, ClaimIndexEntry, FraudSignal, Policy, reasons
from icpa_shared.contracts.money import quantize

MAX_LISTED = 10  # ids or codes listed in one evidence value


@dataclass(frozen=True)
class Window:
    start: date
    end: date


@dataclass(frozen=True)
class HistoryWindows:
    member: Window
    provider: Window


def windows(claim: Claim, thresholds: Thresholds) -> HistoryWindows:
    """Member history: the claim's dates widened by the duplicate window on both sides (near
    duplicates may come before or after). Provider history: the claim's dates, starting the
    window earlier so a multi-day claim begun before still counts on the shared days."""
    days = thresholds.duplicate_window_days
    start = shifted(claim.service_date_from, -days)
    return HistoryWindows(
        member=Window(start, shifted(claim.service_date_to, days)),
        provider=Window(start, claim.service_date_to),
    )


def shifted(day: date, days: int) -> date:
    """`day` moved by `days`, stopping at the calendar's ends: 0001-01-01 and 9999-12-31 are
    dates a claim can hold, and a window reaching past them holds nothing more."""
    ordinal = day.toordinal() + days
    return date.fromordinal(min(max(ordinal, date.min.toordinal()), date.max.toordinal()))


# A claim whose arrival was not recorded (a workflow started without the inbox event) is
# ordered after every recorded one: it is compared against everything on file.
_NOT_RECORDED = datetime.max.replace(tzinfo=UTC)

ReceiptOrder = tuple[datetime, date, str]


def receipt_order(claim_id: str, received_date: date, received_at: datetime | None) -> ReceiptOrder:
    """Claims in the order they were received: the inbox's arrival time (the S3 event's), then
    the claim's received_date, then the claim id. A total order computed from stored facts only,
    so both claims' workers agree on which came first, whatever order they run in."""
    return (received_at or _NOT_RECORDED, received_date, claim_id)


@dataclass(frozen=True)
class ClaimHistory:
    member: Sequence[ClaimIndexEntry] = ()
    provider: Sequence[ClaimIndexEntry] = ()
    truncated: bool = False
    """True when a lookup hit its item cap: counts are then lower bounds."""

    def others(self, claim: Claim) -> ClaimHistory:
        """Without the claim itself, and member entries only for this member (defensive)."""
        return ClaimHistory(
            member=[h for h in self.member if h.claim_id != claim.claim_id and h.member_id == claim.member_id],
            provider=[
                h for h in self.provider if h.claim_id != claim.claim_id and h.provider_npi == claim.provider_npi
            ],
            truncated=self.truncated,
        )

    def received_before(self, claim: Claim, received_at: datetime | None) -> ClaimHistory:
        """Only the entries received before `claim` (which arrived at `received_at`)."""
        own = receipt_order(claim.claim_id, claim.received_date, received_at)

        def earlier(entry: ClaimIndexEntry) -> bool:
            return receipt_order(entry.claim_id, entry.received_date, entry.received_at) < own

        return ClaimHistory(
            member=[h for h in self.member if earlier(h)],
            provider=[h for h in self.provider if earlier(h)],
            truncated=self.truncated,
        )


@dataclass(frozen=True)
class _Listed:
    items: list[str] = field(default_factory=list)

    def text(self) -> str:
        shown = sorted(set(self.items))
        more = len(shown) - MAX_LISTED
        return ",".join(shown[:MAX_LISTED]) + (f",+{more}" if more > 0 else "")


def _line_key(procedure_code: str, served: date, amount: Decimal, currency: str) -> tuple[str, date, Decimal, str]:
    return (procedure_code, served, amount, currency)


def _exact_matches(claim: Claim, history: ClaimHistory) -> dict[str, list[str]]:
    """Claim id -> procedure codes of its lines that repeat one of this claim's lines exactly."""
    own = {_line_key(ln.procedure_code, ln.service_date, ln.charge.amount, ln.charge.currency) for ln in claim.lines}
    matches: dict[str, list[str]] = {}
    for other in _same_provider(claim, history.member):
        hits = [
            line.procedure_code
            for line in other.lines
            if _line_key(line.procedure_code, line.service_date, line.charge.amount, line.charge.currency) in own
        ]
        if hits:
            matches[other.claim_id] = hits
    return matches


def exact_duplicate(claim: Claim, history: ClaimHistory) -> FraudSignal | None:
    """Another claim of this member at this provider with a line of the same date, procedure and
    amount. `history`: the claims received before this one."""
    matches = _exact_matches(claim, history)
    if not matches:
        return None
    return FraudSignal(
        code=reasons.EXACT_DUPLICATE,
        weight=WEIGHTS[reasons.EXACT_DUPLICATE],
        evidence={
            "matched_claim_ids": _Listed(list(matches)).text(),
            "matched_claims": str(len(matches)),
            "procedure_codes": _Listed([code for codes in matches.values() for code in codes]).text(),
        },
    )


def near_duplicate(claim: Claim, history: ClaimHistory, thresholds: Thresholds) -> FraudSignal | None:
    """Another claim of this member at this provider (not an exact duplicate) with the same
    procedure within the window, or on the same day with a total within the percentage.
    `history`: the claims received before this one."""
    exact_ids = set(_exact_matches(claim, history))
    window = thresholds.duplicate_window_days
    matched: list[str] = []
    rules: set[str] = set()
    closest: int | None = None
    for other in _same_provider(claim, history.member):
        if other.claim_id in exact_ids:
            continue
        gaps = [
            abs((theirs.service_date - ours.service_date).days)
            for ours in claim.lines
            for theirs in other.lines
            if theirs.procedure_code == ours.procedure_code
            and abs((theirs.service_date - ours.service_date).days) <= window
        ]
        similar_total = other.service_date == claim.service_date_from and _within_pct(
            other.total_charge.amount, claim.total_charge.amount, thresholds.near_duplicate_amount_pct
        )
        if not gaps and not similar_total:
            continue
        matched.append(other.claim_id)
        if gaps:
            rules.add("same_procedure_within_window")
            closest = min(gaps) if closest is None else min(closest, *gaps)
        if similar_total:
            rules.add("similar_total_same_day")
            closest = 0
    if not matched:
        return None
    return FraudSignal(
        code=reasons.NEAR_DUPLICATE,
        weight=WEIGHTS[reasons.NEAR_DUPLICATE],
        evidence={
            "matched_claim_ids": _Listed(matched).text(),
            "matched_claims": str(len(set(matched))),
            "rules": ",".join(sorted(rules)),
            "closest_days_apart": str(closest),
            "window_days": str(window),
        },
    )


def member_daily_frequency(claim: Claim, history: ClaimHistory, thresholds: Thresholds) -> FraudSignal | None:
    """More claims than the limit for this member on one of the claim's service days (this claim
    included, any provider)."""
    busiest = max(
        1 + sum(1 for other in history.member if any(line.service_date == day for line in other.lines))
        for day in _service_days(claim)
    )
    if busiest <= thresholds.member_daily_claim_limit:
        return None
    return FraudSignal(
        code=reasons.MEMBER_DAILY_FREQUENCY,
        weight=WEIGHTS[reasons.MEMBER_DAILY_FREQUENCY],
        evidence={"claims_on_busiest_day": str(busiest), "limit": str(thresholds.member_daily_claim_limit)},
    )


def provider_daily_volume(claim: Claim, history: ClaimHistory, thresholds: Thresholds) -> FraudSignal | None:
    """More procedures (units) than the limit billed by this provider on one of the claim's
    service days (this claim included, any member)."""
    busiest = max(
        sum(line.units for line in claim.lines if line.service_date == day)
        + sum(line.units for other in history.provider for line in other.lines if line.service_date == day)
        for day in _service_days(claim)
    )
    if busiest <= thresholds.provider_daily_procedure_limit:
        return None
    evidence = {"procedures_on_busiest_day": str(busiest), "limit": str(thresholds.provider_daily_procedure_limit)}
    if history.truncated:
        evidence["history_truncated"] = "true"
    return FraudSignal(
        code=reasons.PROVIDER_DAILY_VOLUME, weight=WEIGHTS[reasons.PROVIDER_DAILY_VOLUME], evidence=evidence
    )


@dataclass(frozen=True, order=True)
class _Outlier:
    ratio: Decimal
    procedure_code: str
    per_unit: Decimal
    p95: Decimal


def charge_outliers(claim: Claim, charges: ChargeReference) -> list[_Outlier]:
    found: list[_Outlier] = []
    for line in claim.lines:
        band = charges.band(line.procedure_code, line.charge.currency)
        if band is None:
            continue
        per_unit = line.charge.amount / line.units
        if per_unit > band.p95:
            found.append(_Outlier(per_unit / band.p95, line.procedure_code, per_unit, band.p95))
    return found


def charge_outlier(claim: Claim, charges: ChargeReference, thresholds: Thresholds) -> FraudSignal | None:
    """A line whose charge per unit is above the reference p95 for its procedure; extreme at
    `extreme_ratio` x p95 or more. One signal for the claim, weighted by its worst line."""
    found = charge_outliers(claim, charges)
    if not found:
        return None
    worst = max(found)
    extreme = worst.ratio >= thresholds.extreme_ratio
    return FraudSignal(
        code=reasons.CHARGE_OUTLIER,
        weight=EXTREME_CHARGE_OUTLIER_WEIGHT if extreme else WEIGHTS[reasons.CHARGE_OUTLIER],
        evidence={
            "lines_flagged": str(len(found)),
            "procedure_codes": _Listed([o.procedure_code for o in found]).text(),
            "worst_procedure_code": worst.procedure_code,
            "charge_per_unit": str(quantize(worst.per_unit)),
            "reference_p95": str(quantize(worst.p95)),
            "ratio_to_p95": str(worst.ratio.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)),
            "reference_version": charges.version,
        },
    )


def provider_watchlist(claim: Claim, watchlist: ProviderWatchlist) -> FraudSignal | None:
    entry = watchlist.entry(claim.provider_npi)
    if entry is None:
        return None
    return FraudSignal(
        code=reasons.PROVIDER_WATCHLIST,
        weight=entry.weight,
        evidence={
            "provider_npi": entry.npi,
            "watchlist_reason": entry.reason,
            "watchlist_version": watchlist.version,
        },
    )


def outside_coverage_dates(claim: Claim, policy: Policy | None) -> FraudSignal | None:
    """Service on a day the policy was not in effect. (No policy on file: Intake rejects those;
    nothing to compare here.)"""
    if policy is None:
        return None
    outside = [
        max((policy.effective_from - line.service_date).days, (line.service_date - policy.effective_to).days)
        for line in claim.lines
        if not policy.effective_from <= line.service_date <= policy.effective_to
    ]
    if not outside:
        return None
    return FraudSignal(
        code=reasons.OUTSIDE_COVERAGE_DATES,
        weight=WEIGHTS[reasons.OUTSIDE_COVERAGE_DATES],
        evidence={"lines_outside": str(len(outside)), "max_days_outside": str(max(outside))},
    )


def _same_provider(claim: Claim, entries: Sequence[ClaimIndexEntry]) -> list[ClaimIndexEntry]:
    return sorted(
        (e for e in entries if e.provider_npi == claim.provider_npi and e.claim_id != claim.claim_id),
        key=lambda e: e.claim_id,
    )


def _service_days(claim: Claim) -> list[date]:
    return sorted({line.service_date for line in claim.lines})


def _within_pct(a: Decimal, b: Decimal, pct: Decimal) -> bool:
    return abs(a - b) * 100 <= pct * max(a, b)
