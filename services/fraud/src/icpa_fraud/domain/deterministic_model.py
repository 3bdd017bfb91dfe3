"""The local, network-free model judgement (provider `deterministic`): a fixed logistic function
of the summary's features, so the same summary always gets the same score.

    z     = -3.0 + 4.0 * rules_score
                 + 0.8 * max(0, log2(max charge_per_unit / reference_p95))
                 + 0.05 * max(0, line_count - 5)
    score = 1 / (1 + e^-z), rounded half-up to 4 places

A clean claim scores about 0.047; it rises with the rule signals and with how far the most
expensive line sits above its reference, so it agrees with the rules in direction while
contributing its own view of the charges.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from icpa_fraud.domain.summary import ClaimSummary
from icpa_shared.contracts import ModelJudgement

MODEL_ID = "icpa-deterministic-fraud"
MODEL_VERSION = "1"


def charge_ratio(summary: ClaimSummary) -> float:
    """The highest charge per unit over its reference p95 (0 when no line has a reference)."""
    ratios = [line.charge_per_unit / line.reference_p95 for line in summary.lines if line.reference_p95]
    return float(max(ratios, default=Decimal(0)))


class DeterministicModel:
    model_id = MODEL_ID
    model_version = MODEL_VERSION

    def judge(self, summary: ClaimSummary, *, session_key: str) -> ModelJudgement:
        ratio = charge_ratio(summary)
        z = (
            -3.0
            + 4.0 * summary.rules_score
            + 0.8 * (max(0.0, math.log2(ratio)) if ratio > 0 else 0.0)
            + 0.05 * max(0, summary.line_count - 5)
        )
        score = Decimal(str(1.0 / (1.0 + math.exp(-z)))).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        return ModelJudgement(
            model_id=MODEL_ID,
            model_version=MODEL_VERSION,
            score=float(score),
            rationale=(
                f"rules score {summary.rules_score:.4f}; highest charge per unit is {ratio:.2f}x "
                f"its reference p95; {summary.line_count} line(s)"
            ),
        )
