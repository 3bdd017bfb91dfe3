"""FHIR R4 Claim -> the shared Claim, following the documented conventions."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from typing import Any

from intake_testkit import CODES, TODAY, fixture_json

from icpa_intake.domain.fhir_mapping import map_fhir_claim
from icpa_intake.domain.normalize import read_claim
from icpa_intake.domain.problems import Problem
from icpa_intake.domain.validation import Limits
from icpa_shared.contracts import Claim


def mapped(body: dict[str, Any]) -> Claim:
    mapping = map_fhir_claim(body)
    assert mapping.problems == []
    return Claim.model_validate(mapping.fields)


def codes(body: dict[str, Any]) -> set[str]:
    return {p.code for p in map_fhir_claim(body).problems}


def test_contained_patient_and_coverage_map_to_every_claim_field() -> None:
    claim = mapped(fixture_json("fhir_claim_contained.json"))

    assert claim.claim_id == "CLM-F0001"  # the identifier with ICPA's system wins over Claim.id
    assert claim.claim_type == "professional"
    assert claim.member_id == "MBR000002"
    assert claim.policy_id == "POL-GOLD001"
    assert claim.subscriber_id == "SUB000001"
    assert claim.provider_npi == "1234567893"
    assert (claim.service_date_from, claim.service_date_to) == (date(2026, 3, 2), date(2026, 3, 3))
    assert claim.received_date == date(2026, 3, 5)
    # diagnoses in sequence order (the file lists sequence 2 first)
    assert claim.diagnosis_codes == ["J06.9", "M25.561"]
    assert claim.total_charge.amount == Decimal("241.00")


def test_items_become_lines_in_sequence_order_with_charges_units_and_pointers() -> None:
    claim = mapped(fixture_json("fhir_claim_contained.json"))

    first, second = claim.lines
    assert (first.line_number, first.procedure_code, first.modifiers) == (1, "99213", ["25"])
    assert (first.units, first.charge.amount, first.service_date) == (1, Decimal("150.00"), date(2026, 3, 2))
    assert first.diagnosis_pointers == [1]
    # no `net`: unitPrice 45.50 x quantity 2 = 91.00; diagnosisSequence 2 is the 2nd diagnosis
    assert (second.line_number, second.procedure_code, second.units) == (2, "97110", 2)
    assert second.charge.amount == Decimal("91.00")
    assert second.diagnosis_pointers == [2]


def test_contained_patient_becomes_the_phi_block() -> None:
    claim = mapped(fixture_json("fhir_claim_contained.json"))

    assert claim.patient is not None
    assert claim.patient.name == "Hester Quill"
    assert claim.patient.birth_date == date(1984, 7, 19)
    assert claim.patient.gender == "female"
    assert claim.patient.address is not None
    assert claim.patient.address.city == "Springfield"
    assert claim.patient.address.postal_code == "62701"


def test_logical_references_and_the_subscriber_extension_are_understood() -> None:
    claim = mapped(fixture_json("fhir_claim_logical.json"))

    assert claim.claim_id == "CLM-F0002"  # no identifier: Claim.id
    assert claim.claim_type == "institutional"
    assert claim.member_id == "MBR000003"
    assert claim.policy_id == "POL-SILVER002"
    assert claim.subscriber_id == "SUB000003"
    assert claim.patient is None
    # no billablePeriod: the item's servicedPeriod; no total: the sum of the lines; no quantity: 1
    assert (claim.service_date_from, claim.service_date_to) == (date(2026, 3, 4), date(2026, 3, 4))
    assert claim.lines[0].units == 1
    assert claim.total_charge.amount == Decimal("40.00")


def test_created_with_an_offset_is_the_utc_date() -> None:
    body = fixture_json("fhir_claim_contained.json")
    body["created"] = "2026-03-06T01:30:00+05:00"  # 2026-03-05T20:30Z

    assert mapped(body).received_date == date(2026, 3, 5)


def test_a_provider_without_an_npi_identifier_is_an_invalid_provider() -> None:
    body = fixture_json("fhir_claim_contained.json")
    body["provider"] = {"identifier": {"system": "http://example.org/tax-id", "value": "12-3456789"}}

    assert codes(body) == {"INVALID_PROVIDER_ID"}


def test_a_diagnosis_coded_outside_icd10cm_is_an_invalid_diagnosis() -> None:
    body = fixture_json("fhir_claim_contained.json")
    body["diagnosis"][0]["diagnosisCodeableConcept"]["coding"][0]["system"] = "http://snomed.info/sct"

    assert codes(body) == {"INVALID_DIAGNOSIS_CODE"}


def test_a_product_without_a_cpt_or_hcpcs_coding_is_an_invalid_procedure() -> None:
    body = fixture_json("fhir_claim_contained.json")
    body["item"][0]["productOrService"] = {"text": "therapy"}

    assert codes(body) == {"INVALID_PROCEDURE_CODE"}


def test_hcpcs_codes_are_accepted() -> None:
    body = fixture_json("fhir_claim_logical.json")
    body["item"][0]["productOrService"] = {"coding": [{"system": "urn:oid:2.16.840.1.113883.6.285", "code": "J1100"}]}

    assert mapped(body).lines[0].procedure_code == "J1100"


def test_missing_identifiers_are_schema_violations_at_their_fhir_paths() -> None:
    body = fixture_json("fhir_claim_contained.json")
    body["contained"][0]["identifier"] = []
    body["contained"][1]["identifier"] = []
    body["contained"][1].pop("subscriberId")

    problems = set(map_fhir_claim(body).problems)

    assert problems == {
        Problem("SCHEMA_VIOLATION", "fhir.patient.identifier"),
        Problem("SCHEMA_VIOLATION", "fhir.insurance.coverage.identifier"),
        Problem("SCHEMA_VIOLATION", "fhir.insurance.coverage.subscriberId"),
    }


def test_a_fractional_quantity_and_a_dangling_diagnosis_sequence_are_reported() -> None:
    body = fixture_json("fhir_claim_contained.json")
    body["item"][0]["quantity"]["value"] = 1.5
    body["item"][0]["diagnosisSequence"] = [7]

    problems = set(map_fhir_claim(body).problems)

    assert Problem("SCHEMA_VIOLATION", "fhir.item.1.quantity") in problems
    assert Problem("SCHEMA_VIOLATION", "fhir.item.1.diagnosisSequence") in problems


def test_an_invalid_fhir_resource_is_a_schema_violation_at_each_failing_path() -> None:
    body = fixture_json("fhir_claim_contained.json")
    del body["patient"]
    body["created"] = "not-a-date"

    problems = map_fhir_claim(body).problems

    assert {p.code for p in problems} == {"SCHEMA_VIOLATION"}
    assert {p.location for p in problems} >= {"fhir.patient", "fhir.created"}


def test_fhir_amount_problems_go_through_the_same_rules_as_icpa_claims() -> None:
    # Given a FHIR claim whose line is negative and whose total no longer adds up
    body = copy.deepcopy(fixture_json("fhir_claim_contained.json"))
    body["item"][1]["net"]["value"] = -150

    # When the file is read
    draft = read_claim(json.dumps(body).encode(), max_bytes=1 << 20, today=TODAY, limits=Limits(), codes=CODES)

    # Then the same reason codes as for ICPA's own format come out
    assert {p.code for p in draft.problems} >= {"INVALID_AMOUNT", "TOTAL_MISMATCH"}
    assert draft.claim is None


def test_the_npi_of_a_contained_practitioner_is_the_provider() -> None:
    body = fixture_json("fhir_claim_contained.json")
    body["contained"].append(
        {
            "resourceType": "Practitioner",
            "id": "doc",
            "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "1555012347"}],
        }
    )
    body["provider"] = {"reference": "#doc"}

    assert mapped(body).provider_npi == "1555012347"
