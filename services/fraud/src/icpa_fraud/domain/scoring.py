"""The composite score.

    rules_score = 1 - prod(1 - w_i)              over the signals (one per code)
    score       = rules_score                    without a model judgement
    score       = (1 - a) * rules_score + a * m  with one (m = the model's score, a = model weight)

Both are rounded half-up to 4 decimal places. The product is computed in Decimal over the
signals sorted by code, so the same signals always give the same digits. The noisy-OR form
means independent signals reinforce each other but never pass 1, and no signal lowers a score.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from icpa_shared.contracts import FraudSignal

PLACES = Decimal("0.0001")


def _round(value: Decimal) -> float:
    return float(min(Decimal(1), max(Decimal(0), value)).quantize(PLACES, rounding=ROUND_HALF_UP))


def rules_score(signals: Iterable[FraudSignal]) -> float:
    untouched = Decimal(1)
    for signal in sorted(signals, key=lambda s: s.code):
        untouched *= Decimal(1) - Decimal(str(signal.weight))
    return _round(Decimal(1) - untouched)


def composite_score(rules: float, model_score: float | None, model_weight: float) -> float:
    if model_score is None:
        return _round(Decimal(str(rules)))
    weight = Decimal(str(model_weight))
    return _round((Decimal(1) - weight) * Decimal(str(rules)) + weight * Decimal(str(model_score)))
