"""Payer answers: the settlement balances, the ClaimResponse validates as FHIR R4 (fhir.resources'
R4B model), the 835 passes pyx12's strict 005010X221A1 validation, and both say the same."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from icpa_shared.contracts import (
    Adjudication,
    Claim,
    ClaimSource,
    Outcome,
    Patient,
)
from icpa_shared.contracts import reasons as rc
from icpa_shared.errors import ContractViolationError
from icpa_shared.payer import CARC, Envelope, PayerIdentity, claim_response, remittance_835, settle
from icpa_shared.testing.builders import a_claim, a_line, a_line_adjudication, an_adjudication_of, usd

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
PAYER = PayerIdentity()
X12_SOURCE = ClaimSource(
    format="x12-837p",
    interchange_control_number="000000101",
    sender_id="SUBMITTER01",
    receiver_id="ICPAPAYER",
    patient_control_number="PCN-778",
    billing_provider_name="Quarry Road Clinic",
    billing_provider_npi="1234567893",
    facility_type_code="11",
    claim_frequency_code="1",
)


def a_partly_paid_claim() -> tuple[Claim, Adjudication]:
    claim = a_claim(
        lines=[a_line(1, charge=usd("178.00")), a_line(2, procedure_code="85025", charge=usd("42.50"))],
        patient=Patient(name="Orrin Vantablack", birth_date=date(1971, 11, 23)),
        source=X12_SOURCE,
    )
    adjudication = an_adjudication_of(
        claim,
        [
            a_line_adjudication(
                1,
                "178.00",
                allowed="120.00",
                deductible="20.00",
                copay="25.00",
                coinsurance="15.00",
                reason_codes=[
                    rc.COVERED,
                    rc.FEE_SCHEDULE_APPLIED,
                    rc.DEDUCTIBLE_APPLIED,
                    rc.COPAY_APPLIED,
                    rc.COINSURANCE_APPLIED,
                ],
            ),
            a_line_adjudication(
                2,
                "42.50",
                procedure_code="85025",
                covered=False,
                allowed="0",
                payable="0",
                reason_codes=[rc.PRIOR_AUTH_REQUIRED],
            ),
        ],
    )
    return claim, adjudication


def pyx12_errors(text: str) -> list[Any]:
    import pyx12.params
    import pyx12.x12n_document

    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    report = io.StringIO()
    ok = pyx12.x12n_document.x12n_document(
        param=pyx12.params.params(), src_file=io.StringIO(text), fd_997=io.StringIO(), fd_html=None, fd_json=report
    )
    found = list(_errors(json.loads(report.getvalue() or "{}")))
    assert ok or found, "pyx12 refused the file without naming an error"
    return found


def _errors(node: Any) -> Any:
    if isinstance(node, dict):
        for error in node.get("errors", []):
            yield error.get("err_str") or error
        for value in node.values():
            if isinstance(value, list | dict):
                yield from _errors(value)
    elif isinstance(node, list):
        for value in node:
            yield from _errors(value)


def segments(text: str) -> list[list[str]]:
    return [segment.split("*") for segment in text.split("~") if segment]


def test_a_partly_paid_claim_balances_in_the_835_and_validates() -> None:
    claim, adjudication = a_partly_paid_claim()
    settlement = settle(claim, adjudication, Outcome.APPROVED, [rc.COVERED], NOW.date())
    text = remittance_835(settlement, payer=PAYER, envelope=Envelope(1, 1, NOW))
    assert pyx12_errors(text) == []
    by_id = segments(text)
    clp = next(s for s in by_id if s[0] == "CLP")
    bpr = next(s for s in by_id if s[0] == "BPR")
    assert clp[1:5] == ["PCN-778", "1", "220.5", "60"]  # charge 178 + 42.50, paid 120 - 60 member share
    assert clp[5] == "60"  # patient responsibility: deductible + copay + coinsurance
    assert bpr[2] == clp[4]  # BPR02 = sum of CLP04 (one claim)
    cas = [s for s in by_id if s[0] == "CAS"]
    assert ["CAS", "CO", "45", "58"] in cas  # 178 - 120 above the fee schedule
    assert ["CAS", "PR", "1", "20", "", "2", "15", "", "3", "25"] in cas  # deductible, coinsurance, copay
    assert ["CAS", "CO", "197", "42.5"] in cas  # the line that needed an authorization
    # charge - adjustments = paid, for every SVC and the claim
    svcs = [i for i, s in enumerate(by_id) if s[0] == "SVC"]
    for start, end in zip(svcs, [*svcs[1:], len(by_id)], strict=True):
        svc = by_id[start]
        adjusted = sum(Decimal(s[i]) for s in by_id[start:end] if s[0] == "CAS" for i in range(3, len(s), 3))
        assert Decimal(svc[2]) - adjusted == Decimal(svc[3])


def test_a_denied_claim_pays_nothing_and_says_why() -> None:
    claim, adjudication = a_partly_paid_claim()
    settlement = settle(claim, adjudication, Outcome.DENIED, ["PARTIAL_OUTCOME", "REVIEWER_DENIED"], NOW.date())
    text = remittance_835(settlement, payer=PAYER, envelope=Envelope(2, 2, NOW))
    assert pyx12_errors(text) == []
    by_id = segments(text)
    assert next(s for s in by_id if s[0] == "BPR")[1:3] == ["H", "0"]
    assert next(s for s in by_id if s[0] == "CLP")[2:5] == ["4", "220.5", "0"]
    cas = [s for s in by_id if s[0] == "CAS"]
    assert cas == [["CAS", "CO", "96", "178"], ["CAS", "CO", "197", "42.5"]]
    assert ["LQ", "HE", "N10"] in by_id


def test_the_claim_response_is_fhir_r4_and_matches_the_835() -> None:
    from fhir.resources.R4B.claimresponse import ClaimResponse

    claim, adjudication = a_partly_paid_claim()
    settlement = settle(claim, adjudication, Outcome.APPROVED, [rc.COVERED], NOW.date())
    resource = claim_response(settlement, created=NOW, payer=PAYER)
    parsed: Any = ClaimResponse.model_validate(json.loads(json.dumps(resource)))  # R4B's optional fields
    assert parsed.outcome == "complete"
    assert parsed.payment.amount.value == Decimal("60")
    first = parsed.item[0].adjudication
    amounts = {a.category.coding[0].code: a.amount.value for a in first if a.amount is not None}
    assert amounts == {
        "submitted": Decimal("178"),
        "eligible": Decimal("120"),
        "deductible": Decimal("20"),
        "copay": Decimal("25"),
        "coinsurance": Decimal("15"),
        "benefit": Decimal("60"),
    }
    reasons = [c.code for a in parsed.item[1].adjudication if a.reason for c in a.reason.coding]
    assert reasons == ["PRIOR_AUTH_REQUIRED", "197"]
    totals = {t.category.coding[0].code: t.amount.value for t in parsed.total}
    assert totals["submitted"] == Decimal("220.5") and totals["benefit"] == Decimal("60")


def test_every_denial_reason_adjudication_emits_has_a_carc() -> None:
    emitted = {
        rc.POLICY_LAPSED, rc.NOT_EFFECTIVE_ON_DATE, rc.MEMBER_NOT_ON_POLICY, rc.NOT_COVERED, rc.EXCLUDED_SERVICE,
        rc.WAITING_PERIOD, rc.PRIOR_AUTH_REQUIRED, rc.ANNUAL_LIMIT_REACHED, rc.PER_PROCEDURE_LIMIT,
        rc.FEE_SCHEDULE_APPLIED, rc.DEDUCTIBLE_APPLIED, rc.COPAY_APPLIED, rc.COINSURANCE_APPLIED,
    }  # fmt: skip
    assert emitted <= set(CARC)
    assert all(code.carc.isdigit() or code.carc.isalnum() for code in CARC.values())


def test_only_x12_claims_get_an_835_and_only_decided_claims_an_answer() -> None:
    claim, adjudication = a_partly_paid_claim()
    json_claim = claim.model_copy(update={"source": ClaimSource(format="icpa-json")})
    with pytest.raises(ContractViolationError, match="837"):
        remittance_835(
            settle(json_claim, adjudication, Outcome.APPROVED, [], NOW.date()),
            payer=PAYER,
            envelope=Envelope(3, 3, NOW),
        )
    with pytest.raises(ContractViolationError, match="PENDED"):
        settle(claim, adjudication, Outcome.PENDED, [], NOW.date())


def test_the_validator_is_strict_enough_to_catch_a_wrong_code_value() -> None:
    claim, adjudication = a_partly_paid_claim()
    text = remittance_835(
        settle(claim, adjudication, Outcome.APPROVED, [], NOW.date()), payer=PAYER, envelope=Envelope(4, 4, NOW)
    )
    broken = text.replace("*15*CLM-0001*", "*CI*CLM-0001*")  # CI is an 837 filing code, not an 835 one
    assert broken != text
    assert any("CLP06" in str(error) for error in pyx12_errors(broken))


def test_a_settlement_that_does_not_balance_gets_no_835() -> None:
    claim, adjudication = a_partly_paid_claim()
    settlement = settle(claim, adjudication, Outcome.APPROVED, [], NOW.date())
    tampered = replace(settlement, lines=(replace(settlement.lines[0], paid=usd("61.00")), *settlement.lines[1:]))
    with pytest.raises(ContractViolationError, match="line 1 does not balance"):
        remittance_835(tampered, payer=PAYER, envelope=Envelope(5, 5, NOW))
