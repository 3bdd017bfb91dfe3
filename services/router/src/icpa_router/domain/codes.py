"""Reason codes the Router emits (RoutingDecision.reasons, ClaimRecord.reason_codes).

Next to these, a decision repeats the codes that drove it: the adjudication's denial reasons
(e.g. NOT_COVERED, PRIOR_AUTH_REQUIRED), EXACT_DUPLICATE and the fraud signals, and
REVIEW_TIMED_OUT from an escalation.
"""

from __future__ import annotations

from typing import Final

ADJUDICATION_APPROVED: Final = "ADJUDICATION_APPROVED"  # every line covered
ADJUDICATION_DENIED: Final = "ADJUDICATION_DENIED"  # every line denied
PARTIAL_OUTCOME: Final = "PARTIAL_OUTCOME"  # some lines denied: a human confirms the split
FRAUD_SCORE_LOW: Final = "FRAUD_SCORE_LOW"  # score < fraud_low
FRAUD_SCORE_ELEVATED: Final = "FRAUD_SCORE_ELEVATED"  # fraud_low <= score < fraud_high
FRAUD_SCORE_HIGH: Final = "FRAUD_SCORE_HIGH"  # score >= fraud_high
AMOUNT_ABOVE_THRESHOLD: Final = "AMOUNT_ABOVE_THRESHOLD"  # payable >= auto_approve_max_payable
MODEL_RULES_DISAGREE: Final = "MODEL_RULES_DISAGREE"  # |model score - rules score| >= disagreement_delta
PAYABLE_CURRENCY_UNSUPPORTED: Final = "PAYABLE_CURRENCY_UNSUPPORTED"  # threshold set in another currency

# The final record (RecordDecision)
REVIEWER_APPROVED: Final = "REVIEWER_APPROVED"
REVIEWER_DENIED: Final = "REVIEWER_DENIED"
