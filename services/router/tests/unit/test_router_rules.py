"""route(): one test per rule, with the 2026.11.1 thresholds (fraud 0.30 / 0.70, auto-approve
below 2,500.00, model vs rules disagreement at 0.40)."""

from __future__ import annotations

import pytest
from router_testkit import POLICY, a_fraud, an_adjudication, denied, paid

from icpa_router.domain import codes
from icpa_router.domain.route import route
from icpa_shared.contracts import Adjudication, FraudAssessment, LineAdjudication, Money, Route, RoutingDecision
from icpa_shared.contracts import reasons as rc
from icpa_shared.errors import ContractViolationError
from icpa_shared.testing.builders import FIXED_NOW

pytestmark = pytest.mark.unit


def decide(fraud: FraudAssessment, adjudication: Adjudication) -> RoutingDecision:
    return route(fraud, adjudication, POLICY, decided_at=FIXED_NOW, service_version="1.1.0")


class TestAutoApprove:
    def test_a_clean_low_risk_modest_claim_is_auto_approved(self) -> None:
        decision = decide(a_fraud(0.10), an_adjudication(paid(1, "640.00")))
        assert decision.route is Route.AUTO_APPROVE
        assert decision.reasons == [codes.ADJUDICATION_APPROVED, codes.FRAUD_SCORE_LOW]
        assert (decision.policy_version, decision.claim_id, decision.decided_at) == ("2026.11.1", "CLM-0001", FIXED_NOW)

    def test_a_model_that_agrees_with_the_rules_keeps_it_automatic(self) -> None:
        decision = decide(a_fraud(0.15, rules_score=0.10, model_score=0.20), an_adjudication())
        assert decision.route is Route.AUTO_APPROVE

    def test_just_under_every_threshold_is_still_automatic(self) -> None:
        # score 0.2999 < 0.30; payable 2,499.99 < 2,500.00; |0.69 - 0.2999| = 0.3901 < 0.40
        fraud = a_fraud(0.2999, rules_score=0.2999, model_score=0.69)
        assert decide(fraud, an_adjudication(paid(1, "2499.99"))).route is Route.AUTO_APPROVE

    def test_an_approved_claim_cut_by_the_benefit_max_can_still_be_automatic(self) -> None:
        line = paid(1, "50.00", rc.ANNUAL_LIMIT_REACHED)
        assert decide(a_fraud(0.05), an_adjudication(line)).route is Route.AUTO_APPROVE


class TestHumanReview:
    @pytest.mark.parametrize(
        ("score", "band"),
        [
            (0.30, codes.FRAUD_SCORE_ELEVATED),
            (0.69, codes.FRAUD_SCORE_ELEVATED),
            (0.70, codes.FRAUD_SCORE_HIGH),
            (1.0, codes.FRAUD_SCORE_HIGH),
        ],
    )
    def test_a_fraud_score_at_or_above_low_needs_a_human(self, score: float, band: str) -> None:
        decision = decide(a_fraud(score), an_adjudication())
        assert decision.route is Route.HUMAN_REVIEW
        assert decision.reasons == [codes.ADJUDICATION_APPROVED, band]

    def test_a_payable_at_the_threshold_needs_a_human(self) -> None:
        decision = decide(a_fraud(0.05), an_adjudication(paid(1, "2000.00"), paid(2, "500.00")))
        assert decision.route is Route.HUMAN_REVIEW
        assert codes.AMOUNT_ABOVE_THRESHOLD in decision.reasons

    def test_a_partial_outcome_needs_a_human_and_says_which_denials(self) -> None:
        adjudication = an_adjudication(paid(1), denied(2, rc.NOT_COVERED), denied(3, rc.EXCLUDED_SERVICE))
        decision = decide(a_fraud(0.05), adjudication)
        assert decision.route is Route.HUMAN_REVIEW
        assert decision.reasons == [
            codes.PARTIAL_OUTCOME,
            rc.NOT_COVERED,
            rc.EXCLUDED_SERVICE,
            codes.FRAUD_SCORE_LOW,
        ]

    @pytest.mark.parametrize(("model", "rules"), [(0.70, 0.30), (0.05, 0.45), (0.95, 0.10)])
    def test_model_and_rules_disagreeing_by_the_delta_or_more_needs_a_human(self, model: float, rules: float) -> None:
        # 0.70 - 0.30 is 0.39999999999999997 in floats: compared as decimals it is exactly 0.40
        decision = decide(a_fraud(0.10, rules_score=rules, model_score=model), an_adjudication())
        assert decision.route is Route.HUMAN_REVIEW
        assert codes.MODEL_RULES_DISAGREE in decision.reasons

    @pytest.mark.parametrize(
        "reason",
        [
            rc.PRIOR_AUTH_REQUIRED,
            rc.WAITING_PERIOD,
            rc.ANNUAL_LIMIT_REACHED,
            rc.PER_PROCEDURE_LIMIT,
            "NO_FEE_SCHEDULE_RATE",
        ],
    )
    def test_a_denial_a_human_may_see_differently_is_not_automatic(self, reason: str) -> None:
        decision = decide(a_fraud(0.05), an_adjudication(denied(1, reason)))
        assert decision.route is Route.HUMAN_REVIEW
        assert decision.reasons == [codes.ADJUDICATION_DENIED, reason, codes.FRAUD_SCORE_LOW]

    def test_one_non_deterministic_line_keeps_a_denied_claim_with_a_human(self) -> None:
        adjudication = an_adjudication(denied(1, rc.NOT_COVERED), denied(2, rc.WAITING_PERIOD))
        decision = decide(a_fraud(0.05), adjudication)
        assert decision.route is Route.HUMAN_REVIEW
        assert decision.reasons[:3] == [codes.ADJUDICATION_DENIED, rc.NOT_COVERED, rc.WAITING_PERIOD]

    def test_every_reason_is_listed_and_fraud_signals_follow_for_the_reviewer(self) -> None:
        fraud = a_fraud(0.55, rules_score=0.10, model_score=0.90, signals=(rc.NEAR_DUPLICATE, rc.CHARGE_OUTLIER))
        decision = decide(fraud, an_adjudication(paid(1, "3100.00")))
        assert decision.route is Route.HUMAN_REVIEW
        assert decision.reasons == [
            codes.ADJUDICATION_APPROVED,
            codes.FRAUD_SCORE_ELEVATED,
            codes.AMOUNT_ABOVE_THRESHOLD,
            codes.MODEL_RULES_DISAGREE,
            rc.NEAR_DUPLICATE,
            rc.CHARGE_OUTLIER,
        ]

    def test_a_payable_in_a_currency_the_policy_has_no_threshold_for_needs_a_human(self) -> None:
        eur = Money.of("10.00", "EUR")
        line = LineAdjudication.model_validate(
            {
                **paid().model_dump(),
                "submitted": eur,
                "allowed": eur,
                "payable": eur,
                "deductible": Money.zero("EUR"),
                "copay": Money.zero("EUR"),
                "coinsurance": Money.zero("EUR"),
            }
        )
        decision = decide(a_fraud(0.05), an_adjudication(line))
        assert decision.route is Route.HUMAN_REVIEW
        assert codes.PAYABLE_CURRENCY_UNSUPPORTED in decision.reasons

    def test_reasons_are_unique_and_capped_at_the_contract_limit(self) -> None:
        signals = tuple(f"SIGNAL_{n:02d}" for n in range(40))
        decision = decide(a_fraud(0.80, signals=signals + signals[:5]), an_adjudication())
        assert len(decision.reasons) == 30 and len(set(decision.reasons)) == 30
        assert decision.reasons[:2] == [codes.ADJUDICATION_APPROVED, codes.FRAUD_SCORE_HIGH]


class TestAutoDeny:
    @pytest.mark.parametrize("reason", sorted(rc.DETERMINISTIC_DENIAL_REASONS))
    def test_a_denial_on_deterministic_facts_is_automatic(self, reason: str) -> None:
        decision = decide(a_fraud(0.05), an_adjudication(denied(1, reason)))
        assert decision.route is Route.AUTO_DENY
        assert decision.reasons == [codes.ADJUDICATION_DENIED, reason]

    def test_facts_deny_whatever_the_fraud_score(self) -> None:
        adjudication = an_adjudication(denied(1, rc.POLICY_LAPSED, rc.MEMBER_NOT_ON_POLICY), denied(2, rc.NOT_COVERED))
        decision = decide(a_fraud(0.95, rules_score=0.10, model_score=0.95), adjudication)
        assert decision.route is Route.AUTO_DENY
        assert decision.reasons == [
            codes.ADJUDICATION_DENIED,
            rc.POLICY_LAPSED,
            rc.MEMBER_NOT_ON_POLICY,
            rc.NOT_COVERED,
        ]

    def test_an_exact_duplicate_is_denied_even_when_adjudication_approved(self) -> None:
        decision = decide(a_fraud(0.40, signals=(rc.EXACT_DUPLICATE,)), an_adjudication(paid(1, "90.00")))
        assert decision.route is Route.AUTO_DENY
        assert decision.reasons == [rc.EXACT_DUPLICATE]

    def test_an_exact_duplicate_of_a_denied_claim_lists_both(self) -> None:
        decision = decide(a_fraud(0.9, signals=(rc.EXACT_DUPLICATE,)), an_adjudication(denied(1, rc.NOT_COVERED)))
        assert decision.reasons == [rc.EXACT_DUPLICATE, codes.ADJUDICATION_DENIED, rc.NOT_COVERED]

    def test_a_near_duplicate_is_not_enough(self) -> None:
        decision = decide(a_fraud(0.35, signals=(rc.NEAR_DUPLICATE,)), an_adjudication())
        assert decision.route is Route.HUMAN_REVIEW


def test_fraud_and_adjudication_of_different_claims_is_a_contract_violation() -> None:
    with pytest.raises(ContractViolationError):
        decide(a_fraud(claim_id="CLM-0002"), an_adjudication())
