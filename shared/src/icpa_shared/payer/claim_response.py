"""FHIR R4 ClaimResponse from a settlement (adjustments.py): outcome, each item's adjudication
(submitted, eligible, deductible, copay, coinsurance, benefit) with its reason codes (ICPA's
own and the CARC value), totals and the payment. A plain JSON dict, built without importing
fhir.resources (the tests validate it with fhir.resources' R4B model, R4's ClaimResponse)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from icpa_shared.contracts import Money, Outcome
from icpa_shared.payer.adjustments import CARC, LineSettlement, Settlement
from icpa_shared.payer.identity import PayerIdentity

ADJUDICATION: Final = "http://terminology.hl7.org/CodeSystem/adjudication"
ICPA_ADJUDICATION: Final = "https://icpa.example/fhir/CodeSystem/adjudication"  # coinsurance: not in R4's set
ICPA_REASON: Final = "https://icpa.example/fhir/CodeSystem/reason-code"
CARC_SYSTEM: Final = "https://x12.org/codes/claim-adjustment-reason-codes"
RARC_SYSTEM: Final = "https://x12.org/codes/remittance-advice-remark-codes"
CLAIM_TYPE: Final = "http://terminology.hl7.org/CodeSystem/claim-type"
PAYMENT_TYPE: Final = "http://terminology.hl7.org/CodeSystem/ex-paymenttype"
CLAIM_ID_SYSTEM: Final = "https://icpa.example/fhir/sid/claim-id"  # as intake reads FHIR claims
MEMBER_ID_SYSTEM: Final = "https://icpa.example/fhir/sid/member-id"
NPI_SYSTEM: Final = "http://hl7.org/fhir/sid/us-npi"

_CATEGORIES: Final = (
    ("submitted", ADJUDICATION, "charge"),
    ("eligible", ADJUDICATION, "allowed"),
    ("deductible", ADJUDICATION, "deductible"),
    ("copay", ADJUDICATION, "copay"),
    ("coinsurance", ICPA_ADJUDICATION, "coinsurance"),
    ("benefit", ADJUDICATION, "paid"),
)


def _money(amount: Money) -> dict[str, Any]:
    return {"value": float(amount.amount), "currency": amount.currency}


def _reason(code: str) -> dict[str, Any]:
    codings: list[dict[str, str]] = [{"system": ICPA_REASON, "code": code}]
    carc = CARC.get(code)
    if carc is not None:
        codings.append({"system": CARC_SYSTEM, "code": carc.carc})
        if carc.rarc:
            codings.append({"system": RARC_SYSTEM, "code": carc.rarc})
    return {"coding": codings}


def _adjudication(line: LineSettlement) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for category, system, attribute in _CATEGORIES:
        amount: Money = getattr(line, attribute)
        entries.append({"category": {"coding": [{"system": system, "code": category}]}, "amount": _money(amount)})
    # R4 gives each adjudication entry one reason: one entry per reason, in the benefit category.
    for code in line.reason_codes:
        entries.append({"category": {"coding": [{"system": ADJUDICATION, "code": "benefit"}]}, "reason": _reason(code)})
    return entries


def claim_response(settlement: Settlement, *, created: datetime, payer: PayerIdentity) -> dict[str, Any]:
    claim = settlement.claim
    approved = settlement.outcome is Outcome.APPROVED
    totals = [
        {"category": {"coding": [{"system": system, "code": category}]}, "amount": _money(settlement.total(attribute))}
        for category, system, attribute in _CATEGORIES
    ]
    return {
        "resourceType": "ClaimResponse",
        "id": f"{claim.claim_id.lower()}-response",
        "identifier": [{"system": CLAIM_ID_SYSTEM, "value": claim.claim_id}],
        "status": "active",
        "type": {"coding": [{"system": CLAIM_TYPE, "code": claim.claim_type.value}]},
        "use": "claim",
        "patient": {"identifier": {"system": MEMBER_ID_SYSTEM, "value": claim.member_id}},
        "created": created.isoformat(),
        "insurer": {"display": payer.name},
        "requestor": {"identifier": {"system": NPI_SYSTEM, "value": claim.provider_npi}},
        "request": {"identifier": {"system": CLAIM_ID_SYSTEM, "value": claim.claim_id}},
        "outcome": "complete",
        "disposition": "Claim approved" if approved else "Claim denied",
        "item": [
            {"itemSequence": line.line.line_number, "adjudication": _adjudication(line)} for line in settlement.lines
        ],
        "total": totals,
        "payment": {
            "type": {"coding": [{"system": PAYMENT_TYPE, "code": "complete"}]},
            "date": settlement.decided_on.isoformat(),
            "amount": _money(settlement.paid),
        },
    }
