"""The composite score: formula, rounding, blending, and order independence."""

from __future__ import annotations

import math
from datetime import date, timedelta

from fraud_testkit import NOW, WATCHLISTED_NPI, RecordingModel, on_file
from hypothesis import given, settings
from hypothesis import strategies as st

from icpa_fraud.adapters.reference_data import load_reference_data
from icpa_fraud.domain.assess import assess
from icpa_fraud.domain.deterministic_model import DeterministicModel
from icpa_fraud.domain.scoring import composite_score, rules_score
from icpa_fraud.domain.signals import ClaimHistory
from icpa_fraud.domain.thresholds import Thresholds
from icpa_shared.contracts import Claim, FraudSignal
from icpa_shared.testing.builders import a_claim, a_line, a_policy, usd

REFERENCE = load_reference_data()


def signal(code: str, weight: float) -> FraudSignal:
    return FraudSignal(code=code, weight=weight)


def test_no_signals_score_zero() -> None:
    assert rules_score([]) == 0.0


def test_one_signal_scores_its_weight() -> None:
    assert rules_score([signal("CHARGE_OUTLIER", 0.35)]) == 0.35


def test_signals_combine_as_noisy_or() -> None:
    # 1 - (1 - 0.9)(1 - 0.45)(1 - 0.3) = 1 - 0.1 * 0.55 * 0.7 = 1 - 0.0385 = 0.9615
    assert (
        rules_score(
            [signal("EXACT_DUPLICATE", 0.9), signal("NEAR_DUPLICATE", 0.45), signal("MEMBER_DAILY_FREQUENCY", 0.3)]
        )
        == 0.9615
    )


def test_scores_round_half_up_to_four_places() -> None:
    # 1 - (1 - 0.33333)(1 - 0.5) = 0.666665 -> 0.6667
    assert rules_score([signal("CHARGE_OUTLIER", 0.33333), signal("PROVIDER_WATCHLIST", 0.5)]) == 0.6667


def test_the_model_is_blended_with_its_weight() -> None:
    # 0.7 * 0.6 + 0.3 * 0.2 = 0.48
    assert composite_score(0.6, 0.2, 0.3) == 0.48
    assert composite_score(0.6, None, 0.3) == 0.6
    assert composite_score(0.6, 0.9, 0.0) == 0.6
    assert composite_score(0.6, 0.9, 1.0) == 0.9


def test_the_deterministic_model_follows_its_documented_formula() -> None:
    # Given a 99215 at 2400.00 (p95 420.00) scored 0.6 by the rules
    claim = a_claim(lines=[a_line(1, procedure_code="99215", charge=usd("2400.00"))])
    assessment = assess(
        claim, history=ClaimHistory(), policy=a_policy(), reference=REFERENCE, thresholds=Thresholds(),
        model=DeterministicModel(), model_weight=0.3, assessed_at=NOW, service_version="1.1.0",
    )  # fmt: skip

    z = -3.0 + 4.0 * 0.6 + 0.8 * math.log2(2400 / 420)
    expected_model = round(1 / (1 + math.exp(-z)), 4)
    assert assessment.rules_score == 0.6
    assert assessment.model is not None
    assert (assessment.model.model_id, assessment.model.model_version) == ("icpa-deterministic-fraud", "1")
    assert assessment.model.score == expected_model == 0.804
    assert assessment.score == round(0.7 * 0.6 + 0.3 * expected_model, 4) == 0.6612


def test_a_clean_claim_scores_low_with_the_deterministic_model() -> None:
    assessment = assess(
        a_claim(), history=ClaimHistory(), policy=a_policy(), reference=REFERENCE, thresholds=Thresholds(),
        model=DeterministicModel(), model_weight=0.3, assessed_at=NOW, service_version="1.1.0",
    )  # fmt: skip

    # z = -3: 1 / (1 + e^3) = 0.0474; 0.3 * 0.0474 = 0.0142
    assert (assessment.rules_score, assessment.score) == (0.0, 0.0142)
    assert assessment.model is not None and assessment.model.score == 0.0474


def test_without_a_model_the_score_is_the_rules_score() -> None:
    claim = a_claim(provider_npi=WATCHLISTED_NPI)

    assessment = assess(
        claim, history=ClaimHistory(), policy=a_policy(), reference=REFERENCE, thresholds=Thresholds(),
        model=None, model_weight=0.3, assessed_at=NOW, service_version="1.1.0",
    )  # fmt: skip

    assert (assessment.score, assessment.rules_score, assessment.model) == (0.6, 0.6, None)


CODES = ["99213", "99215", "85025", "97110", "29881", "80053", "71046"]
line_specs = st.lists(
    st.tuples(
        st.sampled_from(CODES),
        st.integers(min_value=1, max_value=4),  # units
        st.integers(min_value=1, max_value=600_000),  # cents
        st.integers(min_value=0, max_value=2),  # day offset
    ),
    min_size=1,
    max_size=12,
)


def build(specs: list[tuple[str, int, int, int]], order: list[int]) -> Claim:
    start = date(2026, 3, 1)
    lines = [
        a_line(
            n,
            procedure_code=code,
            units=units,
            charge=usd(f"{cents / 100:.2f}"),
            service_date=start + timedelta(days=day),
        )
        for n, (code, units, cents, day) in enumerate((specs[i] for i in order), start=1)
    ]
    return a_claim(lines=lines, provider_npi=WATCHLISTED_NPI)


@settings(max_examples=60, deadline=None)
@given(specs=line_specs, data=st.data())
def test_a_claim_scores_the_same_however_its_lines_are_ordered(
    specs: list[tuple[str, int, int, int]], data: st.DataObject
) -> None:
    # Given the same lines in two orders (and numbered in each order), and the same history
    order = data.draw(st.permutations(range(len(specs))))
    first, second = build(specs, list(range(len(specs)))), build(specs, list(order))
    history = ClaimHistory(
        member=[on_file("CLM-0100", npi=WATCHLISTED_NPI, lines=[("99213", "150.00", date(2026, 3, 2))])],
        provider=[
            on_file(
                "CLM-0200",
                member_id="MBR000002",
                npi=WATCHLISTED_NPI,
                lines=[("97110", "90.00", date(2026, 3, 1))],
                units=45,
            )
        ],
    )

    # When both are assessed, with the deterministic model in the blend
    def scored(claim: Claim) -> tuple[float, float, float | None, list[FraudSignal]]:
        result = assess(
            claim, history=history, policy=a_policy(), reference=REFERENCE, thresholds=Thresholds(),
            model=DeterministicModel(), model_weight=0.3, assessed_at=NOW, service_version="1.1.0",
        )  # fmt: skip
        return result.score, result.rules_score, result.model.score if result.model else None, result.signals

    # Then score, rules score, model score and every signal (evidence included) are identical
    assert scored(first) == scored(second)


def test_the_model_sees_the_same_summary_whatever_the_line_order() -> None:
    lines = [a_line(1, procedure_code="99213"), a_line(2, procedure_code="85025", charge=usd("30.00"))]
    reordered = [a_line(1, procedure_code="85025", charge=usd("30.00")), a_line(2, procedure_code="99213")]
    model = RecordingModel()

    for claim_lines in (lines, reordered):
        assess(
            a_claim(lines=claim_lines), history=ClaimHistory(), policy=a_policy(), reference=REFERENCE,
            thresholds=Thresholds(), model=model, model_weight=0.3, assessed_at=NOW, service_version="1.1.0",
        )  # fmt: skip

    assert model.seen[0] == model.seen[1]
    assert [line.procedure_code for line in model.seen[0].lines] == ["85025", "99213"]
