"""Properties of route() over generated fraud assessments and adjudications."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from router_testkit import POLICY, a_fraud, an_adjudication, denied, paid

from icpa_router.domain.route import denial_reasons, model_disagrees, route
from icpa_shared.contracts import Adjudication, AdjudicationOutcome, FraudAssessment, Route
from icpa_shared.contracts import reasons as rc
from icpa_shared.testing.builders import FIXED_NOW

pytestmark = pytest.mark.unit

DENIALS = [
    *sorted(rc.DETERMINISTIC_DENIAL_REASONS),
    rc.PRIOR_AUTH_REQUIRED,
    rc.WAITING_PERIOD,
    rc.ANNUAL_LIMIT_REACHED,
    rc.PER_PROCEDURE_LIMIT,
]
SIGNALS = [rc.EXACT_DUPLICATE, rc.NEAR_DUPLICATE, rc.CHARGE_OUTLIER, rc.PROVIDER_WATCHLIST]
scores = st.integers(0, 100).map(lambda n: n / 100)


@st.composite
def adjudications(draw: st.DrawFn) -> Adjudication:
    count = draw(st.integers(1, 6))
    lines = []
    for n in range(1, count + 1):
        if draw(st.booleans()):
            lines.append(paid(n, str(Decimal(draw(st.integers(1, 200_000))) / 100)))
        else:
            lines.append(denied(n, *draw(st.lists(st.sampled_from(DENIALS), min_size=1, max_size=3, unique=True))))
    return an_adjudication(*lines)


@st.composite
def frauds(draw: st.DrawFn) -> FraudAssessment:
    return a_fraud(
        draw(scores),
        rules_score=draw(scores),
        model_score=draw(st.none() | scores),
        signals=tuple(draw(st.lists(st.sampled_from(SIGNALS), max_size=3, unique=True))),
    )


def decide(fraud: FraudAssessment, adjudication: Adjudication) -> Route:
    return route(fraud, adjudication, POLICY, decided_at=FIXED_NOW, service_version="1.1.0").route


@given(frauds(), adjudications())
def test_auto_approve_only_when_every_condition_holds(fraud: FraudAssessment, adjudication: Adjudication) -> None:
    if decide(fraud, adjudication) is Route.AUTO_APPROVE:
        assert adjudication.outcome is AdjudicationOutcome.APPROVED
        assert fraud.score < POLICY.fraud_low
        assert adjudication.totals.payable < POLICY.auto_approve_max_payable
        assert not model_disagrees(fraud, POLICY)
        assert rc.EXACT_DUPLICATE not in fraud.signal_codes


@given(frauds(), adjudications())
def test_auto_deny_only_on_deterministic_facts(fraud: FraudAssessment, adjudication: Adjudication) -> None:
    deterministic_denial = (
        adjudication.outcome is AdjudicationOutcome.DENIED
        and set(denial_reasons(adjudication)) <= rc.DETERMINISTIC_DENIAL_REASONS
    )
    auto_deny = decide(fraud, adjudication) is Route.AUTO_DENY
    assert auto_deny == (deterministic_denial or rc.EXACT_DUPLICATE in fraud.signal_codes)


@given(frauds(), adjudications())
def test_every_decision_lists_unique_reasons_within_the_contract(
    fraud: FraudAssessment, adjudication: Adjudication
) -> None:
    decision = route(fraud, adjudication, POLICY, decided_at=FIXED_NOW, service_version="1.1.0")
    assert 1 <= len(decision.reasons) <= 30
    assert len(set(decision.reasons)) == len(decision.reasons)
    assert decision.policy_version == POLICY.version


@given(frauds(), adjudications(), scores)
def test_a_higher_fraud_score_never_makes_a_claim_more_automatic(
    fraud: FraudAssessment, adjudication: Adjudication, higher: float
) -> None:
    riskier = fraud.model_copy(update={"score": max(fraud.score, higher)})
    if decide(fraud, adjudication) is not Route.AUTO_APPROVE:
        assert decide(riskier, adjudication) is not Route.AUTO_APPROVE
