"""Reason codes that cross service boundaries (one service emits, another decides on them).

Codes a service uses only internally are documented in that service; these are the shared
vocabulary the Router and the reviewers' tools rely on.
"""

from __future__ import annotations

from typing import Final

# Intake (InvalidClaimError reasons; the claim is quarantined with them)
MALFORMED_JSON: Final = "MALFORMED_JSON"
DUPLICATE_JSON_KEY: Final = "DUPLICATE_JSON_KEY"  # an object names a key twice (which value?)
NESTING_TOO_DEEP: Final = "NESTING_TOO_DEEP"  # arrays/objects nested deeper than a claim needs
NOT_UTF8: Final = "NOT_UTF8"
FILE_TOO_LARGE: Final = "FILE_TOO_LARGE"
UNSUPPORTED_FORMAT: Final = "UNSUPPORTED_FORMAT"
SCHEMA_VIOLATION: Final = "SCHEMA_VIOLATION"
INVALID_DIAGNOSIS_CODE: Final = "INVALID_DIAGNOSIS_CODE"
INVALID_PROCEDURE_CODE: Final = "INVALID_PROCEDURE_CODE"
# Code sets (icpa_shared.codesets): a well-formed code checked against the release in force
UNKNOWN_DIAGNOSIS_CODE: Final = "UNKNOWN_DIAGNOSIS_CODE"  # not in the ICD-10-CM release in force
DIAGNOSIS_NOT_BILLABLE: Final = "DIAGNOSIS_NOT_BILLABLE"  # a category (E11): bill a complete code
UNKNOWN_PROCEDURE_CODE: Final = "UNKNOWN_PROCEDURE_CODE"  # not in the HCPCS/CPT list a deployer supplied
CODE_SET_UNAVAILABLE: Final = "CODE_SET_UNAVAILABLE"  # no release in force on the date of service
INVALID_PROVIDER_ID: Final = "INVALID_PROVIDER_ID"
INVALID_AMOUNT: Final = "INVALID_AMOUNT"
AMBIGUOUS_AMOUNT: Final = "AMBIGUOUS_AMOUNT"  # not a plain decimal with at most 2 fractional digits
ABSURD_AMOUNT: Final = "ABSURD_AMOUNT"
TOTAL_MISMATCH: Final = "TOTAL_MISMATCH"
DATES_OUT_OF_ORDER: Final = "DATES_OUT_OF_ORDER"
DATE_IN_FUTURE: Final = "DATE_IN_FUTURE"
DATE_OUT_OF_RANGE: Final = "DATE_OUT_OF_RANGE"  # before MIN_CLAIM_DATE (e.g. a period in year 1)
INVALID_ATTACHMENT_URI: Final = "INVALID_ATTACHMENT_URI"
TOO_MANY_LINES: Final = "TOO_MANY_LINES"
UNKNOWN_MEMBER: Final = "UNKNOWN_MEMBER"
UNKNOWN_POLICY: Final = "UNKNOWN_POLICY"

# Fraud signals
EXACT_DUPLICATE: Final = "EXACT_DUPLICATE"
NEAR_DUPLICATE: Final = "NEAR_DUPLICATE"
MEMBER_DAILY_FREQUENCY: Final = "MEMBER_DAILY_FREQUENCY"
PROVIDER_DAILY_VOLUME: Final = "PROVIDER_DAILY_VOLUME"
CHARGE_OUTLIER: Final = "CHARGE_OUTLIER"
PROVIDER_WATCHLIST: Final = "PROVIDER_WATCHLIST"
OUTSIDE_COVERAGE_DATES: Final = "OUTSIDE_COVERAGE_DATES"

# Adjudication (line or claim level)
COVERED: Final = "COVERED"
POLICY_LAPSED: Final = "POLICY_LAPSED"
NOT_EFFECTIVE_ON_DATE: Final = "NOT_EFFECTIVE_ON_DATE"
MEMBER_NOT_ON_POLICY: Final = "MEMBER_NOT_ON_POLICY"
NOT_COVERED: Final = "NOT_COVERED"
EXCLUDED_SERVICE: Final = "EXCLUDED_SERVICE"
WAITING_PERIOD: Final = "WAITING_PERIOD"
PRIOR_AUTH_REQUIRED: Final = "PRIOR_AUTH_REQUIRED"
ANNUAL_LIMIT_REACHED: Final = "ANNUAL_LIMIT_REACHED"
PER_PROCEDURE_LIMIT: Final = "PER_PROCEDURE_LIMIT"
FEE_SCHEDULE_APPLIED: Final = "FEE_SCHEDULE_APPLIED"
DEDUCTIBLE_APPLIED: Final = "DEDUCTIBLE_APPLIED"
COPAY_APPLIED: Final = "COPAY_APPLIED"
COINSURANCE_APPLIED: Final = "COINSURANCE_APPLIED"

# Reasons for which a claim may be denied without a human (deterministic facts).
DETERMINISTIC_DENIAL_REASONS: Final = frozenset(
    {POLICY_LAPSED, NOT_EFFECTIVE_ON_DATE, MEMBER_NOT_ON_POLICY, NOT_COVERED, EXCLUDED_SERVICE}
)

# Quarantine
UNEXPECTED_ERROR: Final = "UNEXPECTED_ERROR"
REVIEW_TIMED_OUT: Final = "REVIEW_TIMED_OUT"

# Delivery (an execution for an object another execution decides: EventBridge's redelivery)
ALREADY_DECIDED: Final = "ALREADY_DECIDED"  # the owner had recorded its decision
DUPLICATE_DELIVERY: Final = "DUPLICATE_DELIVERY"  # the owner was still deciding
