"""Each validation rule, and the promise that a submitter learns about every problem at once."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from intake_testkit import CODES, FIXTURE_PHI, TODAY, fixture_json, policies

from icpa_intake.domain.normalize import accept_draft, read_claim
from icpa_intake.domain.validation import Limits, code_for_error
from icpa_shared.errors import InvalidClaimError


def rejection(body: dict[str, Any], *, today: date = TODAY, known_policies: bool = True) -> InvalidClaimError:
    draft = read_claim(json.dumps(body).encode(), max_bytes=1 << 20, today=today, limits=Limits(), codes=CODES)
    policy = policies().get(draft.policy_id or "") if known_policies else None
    with pytest.raises(InvalidClaimError) as caught:
        accept_draft(draft, policy)
    return caught.value


def codes(body: dict[str, Any], **kwargs: Any) -> set[str]:
    return set(rejection(body, **kwargs).reasons)


def claim_body() -> dict[str, Any]:
    return fixture_json("icpa_claim.json")


def test_the_valid_fixture_is_accepted() -> None:
    draft = read_claim(json.dumps(claim_body()).encode(), max_bytes=1 << 20, today=TODAY, limits=Limits(), codes=CODES)
    claim = accept_draft(draft, policies()["POL-GOLD001"])
    assert claim.claim_id == "CLM-I0001"
    assert claim.total_charge.amount == Decimal("178.00")


def test_invalid_diagnosis_code() -> None:
    body = claim_body()
    body["diagnosis_codes"][1] = "U07.1"  # U is reserved, not an ICD-10-CM chapter letter
    assert codes(body) == {"INVALID_DIAGNOSIS_CODE"}


def test_invalid_procedure_code() -> None:
    body = claim_body()
    body["lines"][1]["procedure_code"] = "8502"
    assert codes(body) == {"INVALID_PROCEDURE_CODE"}


def test_invalid_provider_id_when_the_npi_check_digit_is_wrong() -> None:
    body = claim_body()
    body["provider_npi"] = "1234567890"  # 1234567893 is valid: the check digit is 3
    assert codes(body) == {"INVALID_PROVIDER_ID"}


def test_a_non_positive_line_is_an_invalid_amount() -> None:
    body = claim_body()
    body["lines"][1]["charge"]["amount"] = "0.00"
    body["total_charge"]["amount"] = "150.00"
    assert codes(body) == {"INVALID_AMOUNT"}


def test_a_negative_total_is_an_invalid_amount_and_does_not_add_up() -> None:
    body = claim_body()
    body["total_charge"]["amount"] = "-178.00"
    assert codes(body) == {"INVALID_AMOUNT", "TOTAL_MISMATCH"}


def test_a_line_above_100k_is_absurd() -> None:
    body = claim_body()
    body["lines"][0]["charge"]["amount"] = "100000.01"
    body["total_charge"]["amount"] = "100028.01"
    assert codes(body) == {"ABSURD_AMOUNT"}


def test_a_total_above_a_million_is_absurd_even_when_each_line_is_not() -> None:
    body = claim_body()
    line = body["lines"][0]
    body["lines"] = [
        {**line, "line_number": n, "charge": {"amount": "90000.00", "currency": "USD"}} for n in range(1, 13)
    ]
    body["total_charge"]["amount"] = "1080000.00"
    assert codes(body) == {"ABSURD_AMOUNT"}


def test_total_mismatch() -> None:
    body = claim_body()
    body["total_charge"]["amount"] = "180.00"
    assert codes(body) == {"TOTAL_MISMATCH"}


def test_service_dates_out_of_order() -> None:
    body = claim_body()
    body["service_date_from"] = "2026-03-02"  # after service_date_to, and after the lines
    assert codes(body) == {"DATES_OUT_OF_ORDER"}


def test_service_after_receipt_is_out_of_order() -> None:
    body = claim_body()
    body["received_date"] = "2026-02-28"
    assert codes(body) == {"DATES_OUT_OF_ORDER"}


def test_a_date_after_today_is_in_the_future() -> None:
    body = claim_body()
    body["received_date"] = "2026-03-11"
    assert codes(body, today=date(2026, 3, 10)) == {"DATE_IN_FUTURE"}


def test_a_birth_date_after_today_is_in_the_future() -> None:
    body = claim_body()
    body["patient"]["birth_date"] = "2026-03-11"
    assert codes(body, today=date(2026, 3, 10)) == {"DATE_IN_FUTURE"}


def test_more_than_50_lines_is_too_many() -> None:
    body = claim_body()
    line = body["lines"][0]
    body["lines"] = [{**line, "line_number": n, "charge": {"amount": "1.00", "currency": "USD"}} for n in range(1, 52)]
    body["total_charge"]["amount"] = "51.00"
    assert codes(body) == {"TOO_MANY_LINES"}


def test_unknown_policy() -> None:
    body = claim_body()
    body["policy_id"] = "POL-NOPE999"
    assert codes(body) == {"UNKNOWN_POLICY"}


def test_unknown_member_on_a_known_policy() -> None:
    body = claim_body()
    body["member_id"] = "MBR000003"  # on POL-SILVER002, not on POL-GOLD001
    assert codes(body) == {"UNKNOWN_MEMBER"}


def test_another_subscriber_on_the_policy_is_a_subscriber_mismatch() -> None:
    body = claim_body()
    body["subscriber_id"] = "SUB000003"
    assert codes(body) == {"SUBSCRIBER_MISMATCH"}


def test_a_malformed_policy_id_is_a_schema_violation_and_is_not_looked_up() -> None:
    body = claim_body()
    body["policy_id"] = "gold"
    assert codes(body) == {"SCHEMA_VIOLATION"}


def test_missing_fields_and_floats_are_schema_violations() -> None:
    body = claim_body()
    del body["member_id"]
    body["lines"][0]["units"] = "one"
    assert codes(body) == {"SCHEMA_VIOLATION"}


def test_every_problem_is_reported_not_just_the_first() -> None:
    # Given a claim with eight independent problems
    body = claim_body()
    body["provider_npi"] = "1234567890"
    body["diagnosis_codes"][0] = "U07"
    body["lines"][0]["procedure_code"] = "ABC"
    body["lines"][1]["charge"]["amount"] = "-5"
    body["received_date"] = "2026-04-01"
    body["member_id"] = "MBR000009"
    body["lines"].extend([{**body["lines"][0], "line_number": n} for n in range(3, 53)])

    # When it is validated
    error = rejection(body)

    # Then each problem has its reason code
    assert set(error.reasons) == {
        "INVALID_PROVIDER_ID",
        "INVALID_DIAGNOSIS_CODE",
        "INVALID_PROCEDURE_CODE",
        "INVALID_AMOUNT",
        "DATE_IN_FUTURE",
        "TOO_MANY_LINES",
        "TOTAL_MISMATCH",
        "UNKNOWN_MEMBER",
    }
    # and the reasons are sorted, so the same file always gives the same list
    assert list(error.reasons) == sorted(error.reasons)


def test_the_error_message_names_fields_never_values() -> None:
    body = claim_body()
    body["member_id"] = "MBR000009"
    body["patient"]["birth_date"] = "1971-13-45"  # an invalid PHI value: its path is named, not its value
    body["provider_npi"] = "1234567890"

    message = str(rejection(body))

    assert "member_id: UNKNOWN_MEMBER" in message
    assert "patient.birth_date: SCHEMA_VIOLATION" in message
    for value in ("MBR000009", "1971-13-45", "1234567890", *FIXTURE_PHI):
        assert value not in message
    # The ASL's quarantine step reads the codes back from the message's end.
    assert message.endswith("[INVALID_PROVIDER_ID, SCHEMA_VIOLATION, UNKNOWN_MEMBER]")


@pytest.mark.parametrize(
    ("loc", "kind", "message", "code"),
    [
        (("lines",), "too_long", "List should have at most 50 items", "TOO_MANY_LINES"),
        (("lines", 0, "charge", "amount"), "greater_than_equal", "", "INVALID_AMOUNT"),
        (("total_charge", "amount"), "less_than_equal", "", "ABSURD_AMOUNT"),
        (("total_charge", "amount"), "value_error", "Value error, not a plain decimal amount", "AMBIGUOUS_AMOUNT"),
        (("total_charge", "amount"), "value_error", "Value error, money must not be negative", "INVALID_AMOUNT"),
        (("lines", 0, "charge", "amount"), "value_error", "money must be ... not a float", "SCHEMA_VIOLATION"),
        (("diagnosis_codes", 0), "string_pattern_mismatch", "", "INVALID_DIAGNOSIS_CODE"),
        (("diagnosis_codes",), "too_short", "", "SCHEMA_VIOLATION"),
        (("lines", 2, "procedure_code"), "string_pattern_mismatch", "", "INVALID_PROCEDURE_CODE"),
        (("provider_npi",), "value_error", "Value error, NPI check digit is wrong", "INVALID_PROVIDER_ID"),
        ((), "value_error", "Value error, total_charge 1 USD is not the sum of lines 2 USD", "TOTAL_MISMATCH"),
        ((), "value_error", "Value error, service dates end after the claim was received", "DATES_OUT_OF_ORDER"),
        (("lines", 0), "value_error", "Value error, line charge must be positive", "INVALID_AMOUNT"),
        (("member_id",), "missing", "Field required", "SCHEMA_VIOLATION"),
    ],
)
def test_contract_errors_map_to_reason_codes_by_field_and_kind(
    loc: tuple[object, ...], kind: str, message: str, code: str
) -> None:
    assert code_for_error({"loc": loc, "type": kind, "msg": message}) == code
