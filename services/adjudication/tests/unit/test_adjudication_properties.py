"""Properties of adjudicate() over generated claims and policies."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from random import Random

import pytest
from adjudication_testkit import adjudicated
from hypothesis import given
from hypothesis import strategies as st

from icpa_adjudication.adapters.fee_schedules import BundledFeeSchedules
from icpa_adjudication.domain.explanation import foreign_amounts, render_explanation
from icpa_shared.contracts import Adjudication, AdjudicationOutcome, Claim, ClaimLine, Money, Policy
from icpa_shared.contracts import reasons as rc
from icpa_shared.testing.builders import a_claim, a_policy

pytestmark = pytest.mark.unit

SCHEDULE = BundledFeeSchedules().get("FS-2026")
CODES = [*sorted(SCHEDULE.allowed_per_unit), "G0101"]  # G0101: covered sometimes, never priced
START = date(2025, 12, 1)  # a month before the generated policies start: some lines fall outside


def money(max_cents: int, min_cents: int = 0) -> st.SearchStrategy[Money]:
    return st.integers(min_cents, max_cents).map(lambda c: Money.of(Decimal(c) / 100))


@st.composite
def claims(draw: st.DrawFn) -> Claim:
    count = draw(st.integers(1, 8))
    numbers = draw(st.lists(st.integers(1, 50), min_size=count, max_size=count, unique=True))
    lines = [
        ClaimLine(
            line_number=n,
            procedure_code=draw(st.sampled_from(CODES)),
            units=draw(st.integers(1, 6)),
            charge=draw(money(300_000, min_cents=1)),
            service_date=START
            + timedelta(days=draw(st.integers(0, 30) if draw(st.integers(0, 9)) == 0 else st.integers(31, 395))),
        )
        for n in numbers
    ]
    member = draw(st.sampled_from(["MBR000001"] * 9 + ["MBR000002"]))
    return a_claim(lines=lines, member_id=member, received_date=START + timedelta(days=401))


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    deductible = draw(money(200_000))
    met = draw(money(int(deductible.amount * 100)))
    some_codes = st.lists(st.sampled_from(CODES), unique=True, max_size=8)
    # Mostly generous policies, so that most generated lines reach the pricing steps.
    not_covered = draw(st.lists(st.sampled_from(CODES), unique=True, max_size=4))
    covered = [c for c in CODES if c not in not_covered] or ["99213"]
    benefit_max = draw(money(1_000_000, min_cents=1))
    return a_policy(
        status=draw(st.sampled_from(["ACTIVE"] * 9 + ["LAPSED"])),
        members=["MBR000001"],
        annual_deductible=deductible,
        deductible_met=met,
        coinsurance_rate=Decimal(draw(st.integers(0, 100))) / 100,
        copays={c: draw(money(5_000)) for c in draw(some_codes)},
        covered_procedures=covered,
        excluded_procedures=draw(st.lists(st.sampled_from(CODES), unique=True, max_size=3)),
        annual_benefit_max=benefit_max,
        benefits_paid_to_date=draw(money(int(benefit_max.amount * 100)) | money(1_000_000)),
        per_procedure_limits={c: draw(money(50_000)) for c in draw(some_codes)},
        waiting_periods_days={c: draw(st.integers(0, 365)) for c in draw(st.lists(st.sampled_from(CODES), max_size=3))},
        prior_auth_required=draw(st.lists(st.sampled_from(CODES), unique=True, max_size=3)),
        prior_authorizations=draw(some_codes),
    )


def run(claim: Claim, policy: Policy) -> Adjudication:
    return adjudicated(claim, policy, SCHEDULE)


@given(claims(), policies())
def test_payable_never_exceeds_allowed_and_allowed_never_exceeds_submitted(claim: Claim, policy: Policy) -> None:
    for line in run(claim, policy).lines:
        assert line.payable <= line.allowed <= line.submitted
        assert line.payable + line.deductible + line.copay + line.coinsurance == line.allowed


@given(claims(), policies())
def test_denied_lines_pay_nothing_and_every_line_says_why(claim: Claim, policy: Policy) -> None:
    for line in run(claim, policy).lines:
        assert line.reason_codes
        if not line.covered:
            assert line.payable.amount == line.allowed.amount == 0
            assert rc.COVERED not in line.reason_codes
        else:
            assert line.reason_codes[0] == rc.COVERED


@given(claims(), policies())
def test_line_payables_sum_to_the_total_and_respect_the_benefit_left(claim: Claim, policy: Policy) -> None:
    result = run(claim, policy)
    assert sum((line.payable.amount for line in result.lines), Decimal(0)) == result.totals.payable.amount
    left = max(policy.annual_benefit_max.amount - policy.benefits_paid_to_date.amount, Decimal(0))
    assert result.totals.payable.amount <= left
    assert result.totals.deductible.amount <= policy.annual_deductible.amount - policy.deductible_met.amount


@given(claims(), policies(), st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_order_of_the_lines(claim: Claim, policy: Policy, rnd: Random) -> None:
    shuffled = list(claim.lines)
    rnd.shuffle(shuffled)
    again = claim.model_copy(update={"lines": shuffled})
    assert run(again, policy).model_dump() == run(claim, policy).model_dump()


@given(claims(), policies())
def test_outcome_matches_the_lines(claim: Claim, policy: Policy) -> None:
    result = run(claim, policy)
    covered = [line.covered for line in result.lines]
    expected = (
        AdjudicationOutcome.APPROVED
        if all(covered)
        else AdjudicationOutcome.DENIED
        if not any(covered)
        else AdjudicationOutcome.PARTIAL
    )
    assert result.outcome is expected


@given(claims(), policies())
def test_the_template_explanation_states_only_computed_amounts(claim: Claim, policy: Policy) -> None:
    result = run(claim, policy)
    text = render_explanation(result)
    assert foreign_amounts(text, result) == []
    assert result.outcome.value in text and len(text) <= 4000
