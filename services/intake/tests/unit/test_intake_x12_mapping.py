"""837 segments -> candidate claim fields, segment by segment, on the edited public samples."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from icpa_intake.domain.x12 import reasons
from icpa_intake.domain.x12.interchange import read_interchange
from icpa_intake.domain.x12.mapping import ClaimPart, claim_parts
from icpa_shared.contracts import ClaimSource

DATA = Path(__file__).parents[1] / "data" / "x12"
RECEIVED = date(2026, 12, 1)


def parts_of(data: bytes) -> list[ClaimPart]:
    return list(claim_parts(read_interchange(data), received=RECEIVED))


@pytest.fixture(scope="module")
def professional() -> list[ClaimPart]:
    return parts_of((DATA / "edited" / "837p-four-claims.837").read_bytes())


@pytest.fixture(scope="module")
def institutional() -> ClaimPart:
    (part,) = parts_of((DATA / "edited" / "837i-institutional.837i").read_bytes())
    return part


def test_one_part_per_clm_in_file_order_with_positions(professional: list[ClaimPart]) -> None:
    assert [p.position for p in professional] == [1, 2, 3, 4]
    assert [p.fields["source"]["patient_control_number"] for p in professional] == [
        "PCN1001",
        "PCN1002",
        "PCN1003",
        "PCN1004",
    ]
    assert all(p.problems == [] for p in professional)


def test_claim_ids_are_the_interchange_id_and_position_and_stable(professional: list[ClaimPart]) -> None:
    ids = [p.fields["claim_id"] for p in professional]
    assert len(set(ids)) == 4 and all(i.startswith("X12-") and i.endswith(f"-{n:04d}") for n, i in enumerate(ids, 1))
    again = parts_of((DATA / "edited" / "837p-four-claims.837").read_bytes())
    assert [p.fields["claim_id"] for p in again] == ids


def test_sbr03_is_the_policy_and_2010ba_nm109_the_member(professional: list[ClaimPart]) -> None:
    first = professional[0].fields
    assert (first["policy_id"], first["member_id"], first["subscriber_id"]) == ("POL-GOLD001", "MBR000001", None)
    assert [p.fields["policy_id"] for p in professional] == [
        "POL-GOLD001",
        "POL-SILVER002",
        "POL-PLAT005",
        "POL-GOLD001",
    ]


def test_a_2000c_dependent_is_the_patient_with_its_ref_1w_member_id(professional: list[ClaimPart]) -> None:
    dependent = professional[3].fields
    assert dependent["member_id"] == "MBR000002"
    assert dependent["patient"] == {
        "name": "JANE SMITH",
        "birth_date": "2010-03-01",
        "gender": "female",
        "address": {"line": ["236 N MAIN ST"], "city": "MIAMI", "state": "FL", "postal_code": "33413"},
    }
    assert professional[0].fields["patient"]["name"] == "TED SMITH"  # the subscriber is the patient


def test_hi_abk_abf_become_dotted_icd10_codes_in_order(professional: list[ClaimPart]) -> None:
    assert professional[2].fields["diagnosis_codes"] == ["S83.241A"]
    assert professional[3].fields["diagnosis_codes"] == ["J06.9", "R50.9"]


def test_sv1_lines_with_procedure_modifiers_units_charge_pointers_and_dtp472() -> None:
    text = (DATA / "edited" / "837p-four-claims.837").read_text()
    text = text.replace("SV1*HC:99213*150.00*UN*1***1", "SV1*HC:99213:25:59*150.00*UN*2***1:2", 1)
    first = parts_of(text.encode())[0].fields
    (line,) = first["lines"]
    assert line == {
        "line_number": 1,
        "procedure_code": "99213",
        "modifiers": ["25", "59"],
        "units": 2,
        "charge": {"amount": Decimal("150.00"), "currency": "USD"},
        "diagnosis_pointers": [1, 2],
        "service_date": "2026-11-03",
    }
    assert (first["service_date_from"], first["service_date_to"]) == ("2026-11-03", "2026-11-03")
    assert first["total_charge"] == {"amount": Decimal("150.00"), "currency": "USD"}
    assert first["received_date"] == "2026-12-01"


def test_the_rendering_provider_npi_is_the_provider_else_the_billing_one() -> None:
    text = (DATA / "edited" / "837p-four-claims.837").read_text()
    rendering = text.replace("NM1*82*1*KILDARE*BEN****XX*1234567893", "NM1*82*1*KILDARE*BEN****XX*1234567901", 1)
    without = text.replace("NM1*82*1*KILDARE*BEN****XX*1234567893", "NM1*82*1*KILDARE*BEN", 1)

    first = parts_of(rendering.encode())[0].fields
    assert (first["provider_npi"], first["source"]["billing_provider_npi"]) == ("1234567901", "1234567893")
    assert parts_of(without.encode())[0].fields["provider_npi"] == "1234567893"


def test_the_envelope_and_clm05_travel_as_the_claim_source(professional: list[ClaimPart]) -> None:
    source = ClaimSource.model_validate(professional[1].fields["source"])
    assert source.model_dump(exclude_none=True) == {
        "format": "x12-837p",
        "interchange_control_number": "000000907",
        "group_control_number": "1",
        "transaction_set_control_number": "0021",
        "claim_position": 2,
        "patient_control_number": "PCN1002",
        "sender_id": "000000005",
        "receiver_id": "12345",
        "payer_name": "KEY INSURANCE COMPANY",
        "payer_id": "999996666",
        "billing_provider_name": "BEN KILDARE SERVICE",
        "billing_provider_npi": "1234567893",
        "facility_type_code": "11",
        "claim_frequency_code": "1",
    }


def test_837i_sv2_lines_statement_period_and_attending_context(institutional: ClaimPart) -> None:
    fields: dict[str, Any] = institutional.fields
    assert fields["claim_type"] == "institutional" and fields["source"]["format"] == "x12-837i"
    assert (fields["service_date_from"], fields["service_date_to"]) == ("2026-11-17", "2026-11-17")
    assert [(line["procedure_code"], line["units"], line["charge"]["amount"]) for line in fields["lines"]] == [
        ("85025", 1, Decimal("13.39")),
        ("99213", 1, Decimal("76.54")),
    ]
    assert fields["diagnosis_codes"] == ["J06.9", "R50.9"]
    assert fields["source"]["facility_type_code"] == "13"
    # The 2320/2330A other-subscriber loops inside the claim do not replace the patient.
    assert fields["member_id"] == "MBR000001" and fields["patient"]["name"] == "JON DOE"


def test_public_icd9_claims_are_refused_with_the_hi_element_named() -> None:
    (part,) = parts_of((DATA / "linuxforhealth" / "demo.example1.837").read_bytes())

    assert [p.code for p in part.problems] == [reasons.X12_ICD9_DIAGNOSIS] * 2
    assert [p.location.rsplit(".", 1)[1] for p in part.problems] == ["HI01_1", "HI02_1"]
    assert part.fields["diagnosis_codes"] == []


def test_two_claims_of_one_provider_in_the_public_837i_are_two_parts() -> None:
    parts = parts_of((DATA / "linuxforhealth" / "two-claims-single-provider.837i").read_bytes())
    assert [p.position for p in parts] == [1, 2]
    assert parts[0].fields["claim_id"] != parts[1].fields["claim_id"]


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (("HI*ABK:J069", "HI*ZZZ:J069"), reasons.X12_UNKNOWN_DIAGNOSIS_QUALIFIER),
        (("DTP*472*D8*20261103", "DTP*472*D8*20261303"), reasons.X12_BAD_DATE),
    ],
)
def test_claim_level_defects_are_problems_of_that_claim_only(edit: tuple[str, str], code: str) -> None:
    text = (DATA / "edited" / "837p-four-claims.837").read_text().replace(*edit, 1)
    parts = parts_of(text.encode())
    assert [p.code for p in parts[0].problems] == [code]
    assert all(not p.problems for p in parts[1:])


def test_fractional_units_are_left_for_the_contract_to_refuse() -> None:
    text = (DATA / "edited" / "837p-four-claims.837").read_text().replace("*UN*1***1", "*UN*1.5***1", 1)
    assert parts_of(text.encode())[0].fields["lines"][0]["units"] == "1.5"
