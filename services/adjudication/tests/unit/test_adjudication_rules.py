"""Eligibility and coverage rules: which lines are denied, with which reasons, in which tier."""

from __future__ import annotations

from datetime import date

import pytest
from adjudication_testkit import a_fee_schedule, adjudicated

from icpa_adjudication.domain.codes import NO_FEE_SCHEDULE_RATE
from icpa_adjudication.domain.fee_schedule import FeeSchedule
from icpa_shared.contracts import AdjudicationOutcome, Money
from icpa_shared.contracts import reasons as rc
from icpa_shared.errors import ContractViolationError, InvalidClaimError
from icpa_shared.testing.builders import a_claim, a_line, a_policy, usd

pytestmark = pytest.mark.unit


def _zero_paid(line: object) -> None:
    for name in ("allowed", "deductible", "copay", "coinsurance", "payable"):
        assert getattr(line, name) == usd("0.00"), name


class TestEligibility:
    def test_a_lapsed_policy_denies_every_line(self) -> None:
        claim = a_claim(lines=[a_line(1), a_line(2, procedure_code="80053", charge=usd("20.00"))])
        result = adjudicated(claim, a_policy(status="LAPSED"))
        assert result.outcome is AdjudicationOutcome.DENIED
        for line in result.lines:
            assert line.reason_codes == [rc.POLICY_LAPSED]
            assert not line.eligible and not line.covered
            _zero_paid(line)
        assert result.reason_codes == [rc.POLICY_LAPSED]

    def test_a_cancelled_policy_is_not_active_either(self) -> None:
        result = adjudicated(a_claim(), a_policy(status="CANCELLED"))
        assert result.lines[0].reason_codes == [rc.POLICY_LAPSED]

    def test_service_date_outside_the_effective_dates_denies_that_line_only(self) -> None:
        # Given a policy from 2026-01-01 and one line dated the day before
        claim = a_claim(lines=[a_line(1, service_date=date(2025, 12, 31)), a_line(2, service_date=date(2026, 1, 1))])
        result = adjudicated(claim, a_policy())
        assert result.lines[0].reason_codes == [rc.NOT_EFFECTIVE_ON_DATE] and not result.lines[0].eligible
        assert result.lines[1].covered
        assert result.outcome is AdjudicationOutcome.PARTIAL
        assert result.reason_codes == [rc.NOT_EFFECTIVE_ON_DATE]

    def test_the_last_effective_day_is_covered(self) -> None:
        claim = a_claim(lines=[a_line(1, service_date=date(2026, 12, 31))], received_date=date(2027, 1, 2))
        assert adjudicated(claim, a_policy()).lines[0].covered

    def test_a_member_not_on_the_policy_is_ineligible(self) -> None:
        result = adjudicated(a_claim(member_id="MBR000999"), a_policy())
        assert result.lines[0].reason_codes == [rc.MEMBER_NOT_ON_POLICY]
        assert result.outcome is AdjudicationOutcome.DENIED

    def test_every_failed_eligibility_check_is_listed(self) -> None:
        claim = a_claim(member_id="MBR000999", lines=[a_line(1, service_date=date(2025, 12, 1))])
        result = adjudicated(claim, a_policy(status="LAPSED"))
        assert result.lines[0].reason_codes == [
            rc.POLICY_LAPSED,
            rc.NOT_EFFECTIVE_ON_DATE,
            rc.MEMBER_NOT_ON_POLICY,
        ]


class TestCoverage:
    def test_a_procedure_outside_the_covered_list_is_not_covered(self) -> None:
        result = adjudicated(a_claim(lines=[a_line(1, procedure_code="97110")]), a_policy())
        line = result.lines[0]
        assert line.reason_codes == [rc.NOT_COVERED]
        assert line.eligible and not line.covered
        _zero_paid(line)

    def test_an_excluded_procedure_is_denied_even_when_listed_as_covered(self) -> None:
        policy = a_policy(covered_procedures=["99213", "15780"], excluded_procedures=["15780"])
        result = adjudicated(a_claim(lines=[a_line(1, procedure_code="15780")]), policy)
        assert result.lines[0].reason_codes == [rc.EXCLUDED_SERVICE]

    def test_not_covered_and_excluded_are_both_reported(self) -> None:
        policy = a_policy(excluded_procedures=["15780"])
        result = adjudicated(a_claim(lines=[a_line(1, procedure_code="15780")]), policy)
        assert result.lines[0].reason_codes == [rc.NOT_COVERED, rc.EXCLUDED_SERVICE]

    @pytest.mark.parametrize(
        ("service_date", "waiting"),
        [(date(2026, 6, 29), True), (date(2026, 6, 30), False)],
    )
    def test_waiting_period_runs_from_effective_from(self, service_date: date, waiting: bool) -> None:
        # 2026-01-01 + 180 days = 2026-06-30: the first day the procedure is covered
        policy = a_policy(covered_procedures=["97530"], waiting_periods_days={"97530": 180})
        claim = a_claim(
            lines=[a_line(1, procedure_code="97530", service_date=service_date)], received_date=date(2026, 7, 1)
        )
        line = adjudicated(claim, policy).lines[0]
        assert (line.reason_codes == [rc.WAITING_PERIOD]) is waiting
        assert line.covered is not waiting

    @pytest.mark.parametrize("service_date", [date(9999, 12, 30), date(9999, 12, 31)])
    def test_a_waiting_period_running_past_the_calendars_end_still_applies(self, service_date: date) -> None:
        # effective_from + 180 days is after 9999-12-31: the whole policy term is waiting period
        policy = a_policy(
            covered_procedures=["97530"],
            waiting_periods_days={"97530": 180},
            effective_from=date(9999, 12, 1),
            effective_to=date(9999, 12, 31),
        )
        claim = a_claim(
            lines=[a_line(1, procedure_code="97530", service_date=service_date)], received_date=date(9999, 12, 31)
        )
        line = adjudicated(claim, policy).lines[0]
        assert line.reason_codes == [rc.WAITING_PERIOD] and not line.covered

    def test_prior_auth_required_and_missing_denies_the_line(self) -> None:
        policy = a_policy(covered_procedures=["29881"], prior_auth_required=["29881"])
        line = adjudicated(a_claim(lines=[a_line(1, procedure_code="29881")]), policy).lines[0]
        assert line.reason_codes == [rc.PRIOR_AUTH_REQUIRED] and line.eligible and not line.covered

    def test_prior_auth_on_file_lets_the_line_through(self) -> None:
        policy = a_policy(covered_procedures=["29881"], prior_auth_required=["29881"], prior_authorizations=["29881"])
        line = adjudicated(a_claim(lines=[a_line(1, procedure_code="29881", charge=usd("600.00"))]), policy).lines[0]
        assert line.covered and line.reason_codes[0] == rc.COVERED

    def test_waiting_period_and_prior_auth_are_reported_together(self) -> None:
        policy = a_policy(
            covered_procedures=["29881"], waiting_periods_days={"29881": 90}, prior_auth_required=["29881"]
        )
        line = adjudicated(a_claim(lines=[a_line(1, procedure_code="29881")]), policy).lines[0]
        assert line.reason_codes == [rc.WAITING_PERIOD, rc.PRIOR_AUTH_REQUIRED]

    def test_a_covered_procedure_the_fee_schedule_cannot_price_needs_a_human(self) -> None:
        policy = a_policy(covered_procedures=["99213", "45378"])
        line = adjudicated(a_claim(lines=[a_line(1, procedure_code="45378")]), policy).lines[0]
        assert line.reason_codes == [NO_FEE_SCHEDULE_RATE] and line.eligible and not line.covered
        assert NO_FEE_SCHEDULE_RATE not in rc.DETERMINISTIC_DENIAL_REASONS


class TestTiers:
    """The first failing tier decides: deterministic facts are not mixed with conditional ones."""

    def test_eligibility_hides_coverage_reasons(self) -> None:
        policy = a_policy(status="LAPSED", excluded_procedures=["15780"])
        line = adjudicated(a_claim(lines=[a_line(1, procedure_code="15780")]), policy).lines[0]
        assert line.reason_codes == [rc.POLICY_LAPSED]

    def test_exclusion_hides_prior_auth(self) -> None:
        policy = a_policy(covered_procedures=["29881"], excluded_procedures=["29881"], prior_auth_required=["29881"])
        line = adjudicated(a_claim(lines=[a_line(1, procedure_code="29881")]), policy).lines[0]
        assert line.reason_codes == [rc.EXCLUDED_SERVICE]


class TestClaimOutcome:
    def test_all_lines_covered_is_approved_with_covered_as_the_claim_reason(self) -> None:
        claim = a_claim(lines=[a_line(1), a_line(2, procedure_code="80053", charge=usd("14.50"))])
        result = adjudicated(claim, a_policy())
        assert result.outcome is AdjudicationOutcome.APPROVED
        assert result.reason_codes == [rc.COVERED]

    def test_claim_reasons_are_the_union_of_denials_in_line_order(self) -> None:
        policy = a_policy(excluded_procedures=["15780"], prior_auth_required=["71046"])
        claim = a_claim(
            lines=[
                a_line(3, procedure_code="97110"),
                a_line(1, procedure_code="71046"),
                a_line(2, procedure_code="15780"),
                a_line(4, procedure_code="97530"),
                a_line(5),
            ]
        )
        result = adjudicated(claim, policy)
        assert [line.line_number for line in result.lines] == [1, 2, 3, 4, 5]
        assert result.outcome is AdjudicationOutcome.PARTIAL
        assert result.reason_codes == [rc.PRIOR_AUTH_REQUIRED, rc.NOT_COVERED, rc.EXCLUDED_SERVICE]

    def test_the_result_names_the_claim_policy_and_version(self) -> None:
        result = adjudicated(a_claim(), a_policy())
        assert (result.claim_id, result.policy_id, result.service_version) == ("CLM-0001", "POL-GOLD001", "1.1.0")
        assert result.explanation is None  # explanations are attached by the handler


class TestCurrencies:
    def test_a_claim_in_another_currency_than_the_policy_is_invalid(self) -> None:
        eur = Money.of("150.00", "EUR")
        claim = a_claim(lines=[a_line(1, charge=eur)], total_charge=eur)
        with pytest.raises(InvalidClaimError) as info:
            adjudicated(claim, a_policy())
        assert info.value.reasons == ("CURRENCY_MISMATCH",)

    def test_a_policy_mixing_currencies_is_a_contract_violation(self) -> None:
        policy = a_policy(copays={"99213": Money.of("25.00", "EUR")})
        with pytest.raises(ContractViolationError):
            adjudicated(a_claim(), policy)

    def test_a_fee_schedule_in_another_currency_is_a_contract_violation(self) -> None:
        schedule = FeeSchedule.model_validate({**a_fee_schedule().model_dump(), "currency": "EUR"})
        with pytest.raises(ContractViolationError):
            adjudicated(a_claim(), a_policy(), schedule)
