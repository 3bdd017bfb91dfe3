"""Pricing arithmetic, hand-computed. Test fee schedule: 99213 92.00, 99214 130.00,
80053 14.50, 97110 31.00 per unit (adjudication_testkit.RATES). Default policy: deductible
500.00 (none met), coinsurance 20%, no copays, benefit max 100,000.00."""

from __future__ import annotations

from decimal import Decimal

import pytest
from adjudication_testkit import adjudicated

from icpa_adjudication.adapters.fee_schedules import BundledFeeSchedules
from icpa_shared.contracts import AdjudicationOutcome, LineAdjudication
from icpa_shared.contracts import reasons as rc
from icpa_shared.testing.builders import a_claim, a_line, a_policy, usd

pytestmark = pytest.mark.unit

MET = {"deductible_met": usd("500.00")}  # deductible already met: isolates the other steps


def amounts(line: LineAdjudication) -> tuple[str, ...]:
    return tuple(
        str(getattr(line, name).amount)
        for name in ("submitted", "allowed", "deductible", "copay", "coinsurance", "payable")
    )


class TestAllowed:
    def test_fee_schedule_lowers_allowed_below_the_charge(self) -> None:
        # allowed = min(150.00, 92.00 x 1) = 92.00; coinsurance 20% x 92.00 = 18.40; pays 73.60
        line = adjudicated(a_claim(), a_policy(**MET)).lines[0]
        assert amounts(line) == ("150.00", "92.00", "0.00", "0.00", "18.40", "73.60")
        assert line.reason_codes == [rc.COVERED, rc.FEE_SCHEDULE_APPLIED, rc.COINSURANCE_APPLIED]

    def test_a_charge_below_the_schedule_is_allowed_as_charged(self) -> None:
        # allowed = min(80.00, 92.00) = 80.00; coinsurance 16.00; pays 64.00
        line = adjudicated(a_claim(lines=[a_line(1, charge=usd("80.00"))]), a_policy(**MET)).lines[0]
        assert amounts(line) == ("80.00", "80.00", "0.00", "0.00", "16.00", "64.00")
        assert rc.FEE_SCHEDULE_APPLIED not in line.reason_codes

    def test_the_schedule_rate_is_per_unit(self) -> None:
        # 97110 x 3 units: 31.00 x 3 = 93.00 < 120.00; coinsurance 18.60; pays 74.40
        policy = a_policy(covered_procedures=["97110"], **MET)
        claim = a_claim(lines=[a_line(1, procedure_code="97110", units=3, charge=usd("120.00"))])
        assert amounts(adjudicated(claim, policy).lines[0]) == ("120.00", "93.00", "0.00", "0.00", "18.60", "74.40")

    def test_per_procedure_limit_caps_allowed(self) -> None:
        # 97110 x 12 = 372.00 < 400.00, capped at the 300.00 limit; coinsurance 60.00; pays 240.00
        policy = a_policy(covered_procedures=["97110"], per_procedure_limits={"97110": usd("300.00")}, **MET)
        claim = a_claim(lines=[a_line(1, procedure_code="97110", units=12, charge=usd("400.00"))])
        line = adjudicated(claim, policy).lines[0]
        assert amounts(line) == ("400.00", "300.00", "0.00", "0.00", "60.00", "240.00")
        assert line.reason_codes == [
            rc.COVERED,
            rc.FEE_SCHEDULE_APPLIED,
            rc.PER_PROCEDURE_LIMIT,
            rc.COINSURANCE_APPLIED,
        ]

    def test_per_procedure_limit_is_shared_by_the_claims_lines_of_that_procedure(self) -> None:
        # line 1: 97110 x 8 = 248.00 (limit left 52.00); line 2: x 4 = 124.00 -> capped at 52.00;
        # line 3 finds the limit used up and is denied
        policy = a_policy(covered_procedures=["97110"], per_procedure_limits={"97110": usd("300.00")}, **MET)
        claim = a_claim(
            lines=[
                a_line(2, procedure_code="97110", units=4, charge=usd("124.00")),
                a_line(1, procedure_code="97110", units=8, charge=usd("248.00")),
                a_line(3, procedure_code="97110", units=1, charge=usd("31.00")),
            ]
        )
        first, second, third = adjudicated(claim, policy).lines
        assert first.allowed == usd("248.00") and rc.PER_PROCEDURE_LIMIT not in first.reason_codes
        assert second.allowed == usd("52.00") and rc.PER_PROCEDURE_LIMIT in second.reason_codes
        assert third.reason_codes == [rc.PER_PROCEDURE_LIMIT] and not third.covered and third.eligible


class TestMemberShare:
    def test_deductible_takes_what_remains_first(self) -> None:
        # deductible left 500.00 - 450.00 = 50.00; 92.00 - 50.00 = 42.00; coins 8.40; pays 33.60
        line = adjudicated(a_claim(), a_policy(deductible_met=usd("450.00"))).lines[0]
        assert amounts(line) == ("150.00", "92.00", "50.00", "0.00", "8.40", "33.60")
        assert rc.DEDUCTIBLE_APPLIED in line.reason_codes

    def test_deductible_is_applied_in_line_number_order_not_input_order(self) -> None:
        # deductible left 100.00; line 1 (99213, 92.00) takes 92.00 and pays 0.00;
        # line 2 (99214, 130.00) takes the last 8.00: 122.00, coins 24.40, pays 97.60
        claim = a_claim(lines=[a_line(2, procedure_code="99214", charge=usd("200.00")), a_line(1)])
        one, two = adjudicated(claim, a_policy(deductible_met=usd("400.00"))).lines
        assert amounts(one) == ("150.00", "92.00", "92.00", "0.00", "0.00", "0.00")
        assert amounts(two) == ("200.00", "130.00", "8.00", "0.00", "24.40", "97.60")
        assert one.covered  # paying nothing because of the deductible is still covered

    def test_copay_then_coinsurance_on_the_rest(self) -> None:
        # 92.00 - copay 25.00 = 67.00; coins 20% = 13.40; pays 53.60
        policy = a_policy(copays={"99213": usd("25.00")}, **MET)
        line = adjudicated(a_claim(), policy).lines[0]
        assert amounts(line) == ("150.00", "92.00", "0.00", "25.00", "13.40", "53.60")
        assert line.reason_codes == [
            rc.COVERED,
            rc.FEE_SCHEDULE_APPLIED,
            rc.COPAY_APPLIED,
            rc.COINSURANCE_APPLIED,
        ]

    def test_copay_is_limited_to_what_the_deductible_left(self) -> None:
        # deductible left 80.00 of 92.00 -> 12.00 left; copay min(25.00, 12.00) = 12.00; pays 0.00
        policy = a_policy(deductible_met=usd("420.00"), copays={"99213": usd("25.00")})
        line = adjudicated(a_claim(), policy).lines[0]
        assert amounts(line) == ("150.00", "92.00", "80.00", "12.00", "0.00", "0.00")
        assert line.reason_codes == [
            rc.COVERED,
            rc.FEE_SCHEDULE_APPLIED,
            rc.DEDUCTIBLE_APPLIED,
            rc.COPAY_APPLIED,
        ]

    def test_coinsurance_rounds_half_up_to_cents(self) -> None:
        # 10.10 x 25% = 2.525 -> 2.53 (half up; banker's rounding would say 2.52); pays 7.57
        policy = a_policy(coinsurance_rate=Decimal("0.25"), **MET)
        line = adjudicated(a_claim(lines=[a_line(1, charge=usd("10.10"))]), policy).lines[0]
        assert amounts(line) == ("10.10", "10.10", "0.00", "0.00", "2.53", "7.57")

    def test_no_coinsurance_pays_everything_after_deductible(self) -> None:
        policy = a_policy(coinsurance_rate=Decimal("0"), **MET)
        line = adjudicated(a_claim(), policy).lines[0]
        assert amounts(line) == ("150.00", "92.00", "0.00", "0.00", "0.00", "92.00")
        assert line.reason_codes == [rc.COVERED, rc.FEE_SCHEDULE_APPLIED]


class TestAnnualBenefitMax:
    def test_the_benefit_max_cuts_payable_and_allowed_by_the_same_amount(self) -> None:
        # benefit left 5,000.00 - 4,950.00 = 50.00. Line 1 (99214): allowed 130.00, coins 26.00,
        # payable 104.00 -> capped at 50.00; the 54.00 cut leaves allowed 76.00 (= 50.00 + 26.00).
        # Line 2 (99213): payable 73.60 > 0.00 left -> denied, nothing consumed.
        policy = a_policy(annual_benefit_max=usd("5000.00"), benefits_paid_to_date=usd("4950.00"), **MET)
        claim = a_claim(lines=[a_line(1, procedure_code="99214", charge=usd("200.00")), a_line(2)])
        result = adjudicated(claim, policy)
        one, two = result.lines
        assert amounts(one) == ("200.00", "76.00", "0.00", "0.00", "26.00", "50.00")
        assert one.covered and one.reason_codes[-1] == rc.ANNUAL_LIMIT_REACHED
        assert two.reason_codes == [rc.ANNUAL_LIMIT_REACHED] and not two.covered and two.eligible
        assert result.outcome is AdjudicationOutcome.PARTIAL
        assert result.totals.payable == usd("50.00")
        assert result.reason_codes == [rc.ANNUAL_LIMIT_REACHED]

    def test_a_line_denied_by_the_benefit_max_leaves_the_deductible_to_later_lines(self) -> None:
        # benefit used up. Line 1 (99214, 130.00): deductible 100.00, coins 6.00, payable 24.00 > 0
        # -> denied, and its 100.00 of deductible is not consumed. Line 2 (80053, 14.50): all of it
        # goes to the deductible, pays 0.00, which the exhausted benefit allows.
        policy = a_policy(
            deductible_met=usd("400.00"), annual_benefit_max=usd("5000.00"), benefits_paid_to_date=usd("5000.00")
        )
        claim = a_claim(
            lines=[
                a_line(1, procedure_code="99214", charge=usd("130.00")),
                a_line(2, procedure_code="80053", charge=usd("14.50")),
            ]
        )
        one, two = adjudicated(claim, policy).lines
        assert one.reason_codes == [rc.ANNUAL_LIMIT_REACHED] and one.payable == usd("0.00")
        assert amounts(two) == ("14.50", "14.50", "14.50", "0.00", "0.00", "0.00") and two.covered

    def test_benefits_paid_beyond_the_max_leave_nothing(self) -> None:
        policy = a_policy(annual_benefit_max=usd("1000.00"), benefits_paid_to_date=usd("1200.00"), **MET)
        result = adjudicated(a_claim(), policy)
        assert result.outcome is AdjudicationOutcome.DENIED
        assert result.lines[0].reason_codes == [rc.ANNUAL_LIMIT_REACHED]


class TestTotals:
    def test_totals_are_the_line_sums(self) -> None:
        # line 1: 150.00 / 92.00 / ded 92.00 / pays 0.00; line 2: 200.00 / 130.00 / ded 8.00 /
        # coins 24.40 / pays 97.60; line 3 (not covered): 50.00 submitted, zeros
        claim = a_claim(
            lines=[
                a_line(1),
                a_line(2, procedure_code="99214", charge=usd("200.00")),
                a_line(3, procedure_code="97110", charge=usd("50.00")),
            ]
        )
        t = adjudicated(claim, a_policy(deductible_met=usd("400.00"))).totals
        assert (t.submitted, t.allowed, t.deductible, t.copay, t.coinsurance, t.payable) == (
            usd("400.00"),
            usd("222.00"),
            usd("100.00"),
            usd("0.00"),
            usd("24.40"),
            usd("97.60"),
        )


class TestBundledFeeSchedule:
    PLATFORM_CODES = (
        "99202 99203 99204 99212 99213 99214 99215 80053 85025 81001 83036 71046 73030 72148 "
        "97110 97140 97530 20610 29881 11042 45378 15780 15824 69090"
    ).split()

    def test_it_prices_every_procedure_the_platform_uses(self) -> None:
        schedule = BundledFeeSchedules().get("FS-2026")
        missing = [c for c in self.PLATFORM_CODES if schedule.rate_for(c) is None]
        assert missing == []
        assert schedule.currency == "USD"

    def test_a_gold_office_visit_priced_on_the_bundled_schedule(self) -> None:
        # bundled 99213 = 92.00; deductible met; copay 25.00 -> 67.00; coins 13.40; pays 53.60
        policy = a_policy(copays={"99213": usd("25.00")}, **MET)
        line = adjudicated(a_claim(), policy, BundledFeeSchedules().get("FS-2026")).lines[0]
        assert amounts(line) == ("150.00", "92.00", "0.00", "25.00", "13.40", "53.60")

    def test_physical_therapy_on_a_nearly_exhausted_benefit_is_capped(self) -> None:
        # bundled 97110 = 42.00 x 2 units = 84.00; coins 20% = 16.80; payable 67.20 but only
        # 5,000.00 - 4,950.00 = 50.00 is left: pays 50.00, allowed 84.00 - 17.20 = 66.80
        policy = a_policy(
            covered_procedures=["97110"],
            annual_benefit_max=usd("5000.00"),
            benefits_paid_to_date=usd("4950.00"),
            **MET,
        )
        claim = a_claim(lines=[a_line(1, procedure_code="97110", units=2, charge=usd("140.00"))])
        line = adjudicated(claim, policy, BundledFeeSchedules().get("FS-2026")).lines[0]
        assert amounts(line) == ("140.00", "66.80", "0.00", "0.00", "16.80", "50.00")
        assert line.reason_codes[-1] == rc.ANNUAL_LIMIT_REACHED

    def test_an_authorized_knee_arthroscopy_pays_above_the_auto_approve_amount(self) -> None:
        # bundled 29881 = 3,200.00 (global surgical fee) < 4,800.00; coins 10% = 320.00;
        # pays 2,880.00, which the Router's 2,500.00 threshold sends to a reviewer
        policy = a_policy(
            covered_procedures=["29881"],
            prior_auth_required=["29881"],
            prior_authorizations=["29881"],
            coinsurance_rate=Decimal("0.10"),
            annual_deductible=usd("0.00"),
        )
        claim = a_claim(lines=[a_line(1, procedure_code="29881", charge=usd("4800.00"))])
        line = adjudicated(claim, policy, BundledFeeSchedules().get("FS-2026")).lines[0]
        assert amounts(line) == ("4800.00", "3200.00", "0.00", "0.00", "320.00", "2880.00")
