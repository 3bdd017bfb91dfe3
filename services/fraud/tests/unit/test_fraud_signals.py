"""Each rule on its own, with hand-computed expectations."""

from __future__ import annotations

from datetime import date

import pytest
from fraud_testkit import CLEAN_NPI, OTHER_NPI, WATCHLISTED_NPI, on_file

from icpa_fraud.adapters.reference_data import load_reference_data
from icpa_fraud.domain import signals
from icpa_fraud.domain.assess import detect_signals
from icpa_fraud.domain.signals import ClaimHistory, windows
from icpa_fraud.domain.thresholds import Thresholds
from icpa_shared.contracts import Claim
from icpa_shared.testing.builders import a_claim, a_line, a_policy, usd

REFERENCE = load_reference_data()
LIMITS = Thresholds()
MARCH_1 = date(2026, 3, 1)


def claim_with(*lines: tuple[str, str, date], units: int = 1, **fields: object) -> Claim:
    built = [
        a_line(n, procedure_code=code, charge=usd(amount), service_date=served, units=units)
        for n, (code, amount, served) in enumerate(lines, start=1)
    ]
    return a_claim(lines=built, **fields)


def history(*entries: object, provider: tuple[object, ...] = (), truncated: bool = False) -> ClaimHistory:
    return ClaimHistory(member=list(entries), provider=list(provider), truncated=truncated)  # type: ignore[arg-type]


# --- EXACT_DUPLICATE ---------------------------------------------------------------------------


def test_same_member_provider_date_procedure_and_amount_is_an_exact_duplicate() -> None:
    # Given CLM-0100 on file with the same 99213 at 150.00 on March 1 at the same provider
    claim = claim_with(("99213", "150.00", MARCH_1))
    found = signals.exact_duplicate(claim, history(on_file("CLM-0100")))

    assert found is not None
    assert (found.code, found.weight) == ("EXACT_DUPLICATE", 0.9)
    assert found.evidence == {"matched_claim_ids": "CLM-0100", "matched_claims": "1", "procedure_codes": "99213"}


@pytest.mark.parametrize(
    "other",
    [
        on_file("CLM-0100", lines=[("99213", "150.01", MARCH_1)]),  # another amount
        on_file("CLM-0100", lines=[("99213", "150.00", date(2026, 3, 2))]),  # another day
        on_file("CLM-0100", lines=[("99214", "150.00", MARCH_1)]),  # another procedure
        on_file("CLM-0100", npi=OTHER_NPI),  # another provider
        on_file("CLM-0001"),  # the claim itself
    ],
)
def test_anything_different_is_not_an_exact_duplicate(other: object) -> None:
    claim = claim_with(("99213", "150.00", MARCH_1))
    assert signals.exact_duplicate(claim, history(other)) is None


# --- NEAR_DUPLICATE ----------------------------------------------------------------------------


def test_the_same_procedure_two_days_later_is_a_near_duplicate() -> None:
    claim = claim_with(("99213", "150.00", MARCH_1))
    other = on_file("CLM-0100", lines=[("99213", "150.00", date(2026, 3, 3))])

    found = signals.near_duplicate(claim, history(other), LIMITS)

    assert found is not None and found.weight == 0.45
    assert found.evidence == {
        "matched_claim_ids": "CLM-0100",
        "matched_claims": "1",
        "rules": "same_procedure_within_window",
        "closest_days_apart": "2",
        "window_days": "3",
    }


def test_the_same_procedure_beyond_the_window_is_not() -> None:
    claim = claim_with(("99213", "150.00", MARCH_1))
    other = on_file("CLM-0100", lines=[("99213", "150.00", date(2026, 3, 5))])  # 4 days > 3

    assert signals.near_duplicate(claim, history(other), LIMITS) is None


def test_another_procedure_the_same_day_with_a_total_within_ten_percent_is_a_near_duplicate() -> None:
    # |150.00 - 140.00| = 10.00 <= 10% of 150.00 = 15.00
    claim = claim_with(("99213", "150.00", MARCH_1))
    other = on_file("CLM-0100", lines=[("99214", "140.00", MARCH_1)])

    found = signals.near_duplicate(claim, history(other), LIMITS)

    assert found is not None
    assert (found.evidence["rules"], found.evidence["closest_days_apart"]) == ("similar_total_same_day", "0")


def test_a_total_more_than_ten_percent_apart_the_same_day_is_not() -> None:
    # |150.00 - 134.00| = 16.00 > 15.00
    claim = claim_with(("99213", "150.00", MARCH_1))
    other = on_file("CLM-0100", lines=[("99214", "134.00", MARCH_1)])

    assert signals.near_duplicate(claim, history(other), LIMITS) is None


def test_an_exact_duplicate_is_not_also_counted_as_a_near_duplicate() -> None:
    claim = claim_with(("99213", "150.00", MARCH_1))

    assert signals.near_duplicate(claim, history(on_file("CLM-0100")), LIMITS) is None


# --- MEMBER_DAILY_FREQUENCY --------------------------------------------------------------------


def test_a_fourth_claim_for_the_member_on_one_day_is_too_frequent() -> None:
    # Given three other claims for the member on March 1 at other providers, other procedures
    others = [on_file(f"CLM-01{n}", npi=OTHER_NPI, lines=[("8105" + str(n), "20.00", MARCH_1)]) for n in (1, 2, 3)]
    claim = claim_with(("99213", "150.00", MARCH_1))

    found = signals.member_daily_frequency(claim, history(*others), LIMITS)

    # Then 4 claims that day > limit 3
    assert found is not None and found.weight == 0.3
    assert found.evidence == {"claims_on_busiest_day": "4", "limit": "3"}


def test_three_claims_for_the_member_on_one_day_are_within_the_limit() -> None:
    others = [on_file(f"CLM-01{n}", npi=OTHER_NPI) for n in (1, 2)]
    claim = claim_with(("99213", "150.00", MARCH_1))

    assert signals.member_daily_frequency(claim, history(*others), LIMITS) is None


# --- PROVIDER_DAILY_VOLUME ---------------------------------------------------------------------


def test_more_procedures_than_the_limit_for_a_provider_in_a_day_is_volume() -> None:
    # Given 5 claims of other members at this provider on March 1 with 10 units each (50)
    others = [
        on_file(f"CLM-02{n}", member_id=f"MBR00010{n}", lines=[("97110", "500.00", MARCH_1)], units=10)
        for n in range(5)
    ]
    claim = claim_with(("97110", "50.00", MARCH_1))  # + 1 unit = 51 > 50

    found = signals.provider_daily_volume(claim, history(provider=tuple(others)), LIMITS)

    assert found is not None and found.weight == 0.25
    assert found.evidence == {"procedures_on_busiest_day": "51", "limit": "50"}


def test_volume_at_the_limit_is_not_flagged_and_other_days_do_not_count() -> None:
    same_day = on_file("CLM-0201", member_id="MBR000101", lines=[("97110", "500.00", MARCH_1)], units=49)
    next_day = on_file("CLM-0202", member_id="MBR000102", lines=[("97110", "500.00", date(2026, 3, 2))], units=10)
    claim = claim_with(("97110", "50.00", MARCH_1))  # 49 + 1 = 50

    assert signals.provider_daily_volume(claim, history(provider=(same_day, next_day)), LIMITS) is None


def test_a_truncated_history_says_so_in_the_evidence() -> None:
    busy = on_file("CLM-0201", member_id="MBR000101", lines=[("97110", "500.00", MARCH_1)], units=60)

    found = signals.provider_daily_volume(
        claim_with(("97110", "50.00", MARCH_1)), history(provider=(busy,), truncated=True), LIMITS
    )

    assert found is not None and found.evidence["history_truncated"] == "true"


# --- CHARGE_OUTLIER ----------------------------------------------------------------------------


def test_a_line_above_p95_per_unit_is_an_outlier() -> None:
    # 99213: p95 210.00; 240.00 / 210.00 = 1.142857... -> 1.14
    found = signals.charge_outlier(claim_with(("99213", "240.00", MARCH_1)), REFERENCE.charges, LIMITS)

    assert found is not None and found.weight == 0.35
    assert found.evidence == {
        "lines_flagged": "1",
        "procedure_codes": "99213",
        "worst_procedure_code": "99213",
        "charge_per_unit": "240.00",
        "reference_p95": "210.00",
        "ratio_to_p95": "1.14",
        "reference_version": "2026.11.1",
    }


def test_twice_p95_or_more_is_an_extreme_outlier_weighted_by_the_worst_line() -> None:
    # 99215: p95 420.00; 2400.00 / 420.00 = 5.714... ; 99213 at 240 is a milder outlier
    claim = claim_with(("99213", "240.00", MARCH_1), ("99215", "2400.00", MARCH_1))

    found = signals.charge_outlier(claim, REFERENCE.charges, LIMITS)

    assert found is not None and found.weight == 0.6
    assert (found.evidence["lines_flagged"], found.evidence["procedure_codes"]) == ("2", "99213,99215")
    assert (found.evidence["worst_procedure_code"], found.evidence["ratio_to_p95"]) == ("99215", "5.71")


def test_charges_are_compared_per_unit() -> None:
    # 97110: p95 95.00 per unit; 4 units at 360.00 = 90.00 per unit: fine
    assert signals.charge_outlier(claim_with(("97110", "360.00", MARCH_1), units=4), REFERENCE.charges, LIMITS) is None


def test_at_p95_or_for_a_code_without_reference_nothing_is_flagged() -> None:
    claim = claim_with(("99213", "210.00", MARCH_1), ("J1100", "9000.00", MARCH_1))

    assert signals.charge_outlier(claim, REFERENCE.charges, LIMITS) is None


# --- PROVIDER_WATCHLIST ------------------------------------------------------------------------


def test_a_watchlisted_provider_is_flagged_with_the_lists_weight_and_reason() -> None:
    found = signals.provider_watchlist(
        claim_with(("99213", "150.00", MARCH_1), provider_npi=WATCHLISTED_NPI), REFERENCE.watchlist
    )

    assert found is not None
    assert (found.code, found.weight) == ("PROVIDER_WATCHLIST", 0.6)
    assert found.evidence["provider_npi"] == WATCHLISTED_NPI
    assert found.evidence["watchlist_reason"].startswith("Upcoding")


def test_the_clean_default_provider_is_not_on_the_watchlist() -> None:
    assert (
        signals.provider_watchlist(
            claim_with(("99213", "150.00", MARCH_1), provider_npi=CLEAN_NPI), REFERENCE.watchlist
        )
        is None
    )


# --- OUTSIDE_COVERAGE_DATES --------------------------------------------------------------------


def test_service_after_the_policy_ended_is_outside_coverage() -> None:
    policy = a_policy(effective_from=date(2025, 1, 1), effective_to=date(2025, 12, 31))
    claim = claim_with(("99213", "150.00", MARCH_1), ("85025", "30.00", date(2026, 3, 3)))

    found = signals.outside_coverage_dates(claim, policy)

    # 2026-03-01 is 60 days after 2025-12-31; 2026-03-03 is 62
    assert found is not None and found.weight == 0.4
    assert found.evidence == {"lines_outside": "2", "max_days_outside": "62"}


def test_service_before_the_policy_started_is_outside_coverage() -> None:
    policy = a_policy(effective_from=date(2026, 3, 2), effective_to=date(2026, 12, 31))

    found = signals.outside_coverage_dates(claim_with(("99213", "150.00", MARCH_1)), policy)

    assert found is not None and found.evidence == {"lines_outside": "1", "max_days_outside": "1"}


def test_service_within_coverage_or_no_policy_is_not_flagged() -> None:
    claim = claim_with(("99213", "150.00", MARCH_1))
    assert signals.outside_coverage_dates(claim, a_policy()) is None
    assert signals.outside_coverage_dates(claim, None) is None


# --- all rules together --------------------------------------------------------------------------


def test_history_windows_are_the_claims_dates_widened_by_the_duplicate_window() -> None:
    claim = claim_with(("99213", "150.00", MARCH_1), ("85025", "30.00", date(2026, 3, 2)))

    span = windows(claim, LIMITS)

    assert (span.member.start, span.member.end) == (date(2026, 2, 26), date(2026, 3, 5))
    assert (span.provider.start, span.provider.end) == (date(2026, 2, 26), date(2026, 3, 2))


def test_a_clean_claim_raises_no_signal() -> None:
    found = detect_signals(
        claim_with(("99213", "150.00", MARCH_1)),
        history=history(),
        policy=a_policy(),
        reference=REFERENCE,
        thresholds=LIMITS,
    )
    assert found == []


def test_signals_come_sorted_by_code_one_per_code() -> None:
    claim = claim_with(("99215", "2400.00", MARCH_1), provider_npi=WATCHLISTED_NPI)
    dup = on_file("CLM-0100", npi=WATCHLISTED_NPI, lines=[("99215", "2400.00", MARCH_1)])

    found = detect_signals(claim, history=history(dup), policy=a_policy(), reference=REFERENCE, thresholds=LIMITS)

    assert [s.code for s in found] == ["CHARGE_OUTLIER", "EXACT_DUPLICATE", "PROVIDER_WATCHLIST"]


def test_the_claim_itself_in_the_history_is_ignored() -> None:
    claim = claim_with(("99213", "150.00", MARCH_1))
    itself = on_file("CLM-0001")

    found = detect_signals(
        claim, history=history(itself, provider=(itself,)), policy=None, reference=REFERENCE, thresholds=LIMITS
    )

    assert found == []
