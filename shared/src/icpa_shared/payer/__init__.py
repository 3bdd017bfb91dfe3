"""Answers in the industry's shapes for a decided claim: a FHIR R4 ClaimResponse for every
APPROVED or DENIED claim and an X12 835 for the ones that arrived as an 837. Pure: a claim, its
adjudication and the final decision in, documents out (the router's RecordDecision stores them).

    settlement = settle(claim, adjudication, record.outcome, record.reason_codes, decided_on)
    claim_response(settlement, created=..., payer=...)     # dict, FHIR JSON
    remittance_835(settlement, payer=..., envelope=...)    # str, X12
"""

from icpa_shared.payer.adjustments import CARC, Adjustment, CarcCode, LineSettlement, Settlement, settle
from icpa_shared.payer.claim_response import claim_response
from icpa_shared.payer.identity import PayerIdentity
from icpa_shared.payer.remittance import Envelope, remittance_835

__all__ = [
    "CARC",
    "Adjustment",
    "CarcCode",
    "Envelope",
    "LineSettlement",
    "PayerIdentity",
    "Settlement",
    "claim_response",
    "remittance_835",
    "settle",
]
