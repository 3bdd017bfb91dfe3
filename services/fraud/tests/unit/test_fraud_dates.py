"""Fraud's date arithmetic is total: its windows are computed for every date (0001-01-01 ..
9999-12-31), and a claim at either end of what the contract accepts is assessed, never an
OverflowError (which the workflow would quarantine as ERROR)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fraud_testkit import fraud_deps, on_file, step_for
from hypothesis import given
from hypothesis import strategies as st

from icpa_fraud.adapters.reference_data import load_reference_data
from icpa_fraud.domain.assess import detect_signals
from icpa_fraud.domain.signals import ClaimHistory, windows
from icpa_fraud.domain.thresholds import Thresholds
from icpa_fraud.handler import handle
from icpa_shared.contracts import ClaimLine
from icpa_shared.testing.builders import a_claim, a_line, a_policy

REFERENCE = load_reference_data()


def earliest_claim_date() -> date:
    """The contract's floor for a service date when it sets one (`ge`), else the calendar's."""
    floors = [m.ge for m in ClaimLine.model_fields["service_date"].metadata if isinstance(getattr(m, "ge", None), date)]
    return max(floors, default=date.min)


EARLIEST_CLAIM_DATE = earliest_claim_date()
NEAR_ENDS = timedelta(days=40)


def dates_from(low: date) -> st.SearchStrategy[date]:
    """Dates from `low` to 9999-12-31, the weeks next to both ends drawn as often as the rest."""
    return st.one_of(
        st.dates(min_value=low, max_value=date.max),
        st.dates(min_value=low, max_value=low + NEAR_ENDS),
        st.dates(min_value=date.max - NEAR_ENDS, max_value=date.max),
    )


def later(day: date, days: int) -> date:
    return date.fromordinal(min(day.toordinal() + days, date.max.toordinal()))


@given(first=dates_from(date.min), span=st.integers(min_value=0, max_value=5), window_days=st.integers(0, 30))
def test_history_windows_cover_the_claim_for_every_date_of_the_calendar(
    first: date, span: int, window_days: int
) -> None:
    # windows() reads only the service dates: checked beyond what the contract accepts, too
    claim = a_claim().model_copy(update={"service_date_from": first, "service_date_to": later(first, span)})

    found = windows(claim, Thresholds(duplicate_window_days=window_days))

    start, end = claim.service_date_from, claim.service_date_to
    assert found.member.start == found.provider.start and found.provider.end == end
    assert start - found.member.start == min(timedelta(days=window_days), start - date.min)
    assert found.member.end - end == min(timedelta(days=window_days), date.max - end)


@given(first=dates_from(EARLIEST_CLAIM_DATE), span=st.integers(0, 5), window_days=st.integers(0, 30))
def test_every_rule_runs_for_every_date_a_claim_can_hold(first: date, span: int, window_days: int) -> None:
    last = later(first, span)
    claim = a_claim(
        lines=[a_line(1, service_date=first), a_line(2, procedure_code="85025", service_date=last)],
        received_date=last,
    )
    other = on_file("CLM-0100", lines=[("99213", "150.00", first)], received_date=last)

    found = detect_signals(
        claim,
        history=ClaimHistory(member=[other], provider=[other]),
        policy=a_policy(),
        reference=REFERENCE,
        thresholds=Thresholds(duplicate_window_days=window_days),
    )

    assert "OUTSIDE_COVERAGE_DATES" in [s.code for s in found] or first.year == 2026


@pytest.mark.parametrize("day", [EARLIEST_CLAIM_DATE, date.max])
def test_a_claim_at_either_end_of_the_contracts_dates_is_assessed(day: date) -> None:
    # Given a claim of service on the earliest (or the last) date a claim can hold
    claim = a_claim(lines=[a_line(1, service_date=day)], received_date=day)

    # When Fraud assesses it, Then it is scored: its history lookups stay inside the calendar
    assessment = handle(step_for(claim), fraud_deps(claim))

    assert assessment.claim_id == "CLM-0001" and 0.0 <= assessment.score <= 1.0
    assert assessment.signal_codes == ["OUTSIDE_COVERAGE_DATES"]  # the policy is for 2026
