"""Hostile and ambiguous input: every file ends REJECTED with a reason, never an exception.

Each case here once raised (decimal.InvalidOperation, TypeError), was accepted silently
(duplicate keys: last wins; `1e3` read as 1000.00; a URI with a trailing newline; a service
period in year 1) or produced an error message too long for the workflow to carry.
"""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import pytest
from intake_testkit import CODES, TODAY, fixture_json, policies

from icpa_intake.domain.decoding import MAX_NESTING, decode_document, nesting_depth
from icpa_intake.domain.normalize import accept_draft, read_claim
from icpa_intake.domain.problems import Problem, invalid_claim
from icpa_intake.domain.quarantine import classify_error, sniff_claim_id
from icpa_intake.domain.validation import Limits
from icpa_shared.contracts import Outcome, StepError
from icpa_shared.contracts.workflow import MAX_CAUSE
from icpa_shared.errors import InvalidClaimError


def claim_body() -> dict[str, Any]:
    return copy.deepcopy(fixture_json("icpa_claim.json"))


def rejected_codes(data: bytes) -> set[str]:
    """The reason codes a file is rejected with (the test fails if it is accepted)."""
    with pytest.raises(InvalidClaimError) as caught:
        draft = read_claim(data, max_bytes=1 << 20, today=TODAY, limits=Limits(), codes=CODES)
        accept_draft(draft, policies().get(draft.policy_id or ""))
    return set(caught.value.reasons)


def with_total_text(literal: str) -> bytes:
    """The fixture with its total written as `literal` (raw JSON: a number or a string)."""
    text = json.dumps(claim_body())
    return text.replace('"total_charge": {"amount": "178.00"', f'"total_charge": {{"amount": {literal}', 1).encode()


def with_line_text(literal: str) -> bytes:
    text = json.dumps(claim_body())
    return text.replace('"charge": {"amount": "150.00"', f'"charge": {{"amount": {literal}', 1).encode()


# --- amounts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "code"),
    [
        ("1e308", "AMBIGUOUS_AMOUNT"),  # a JSON number in exponent form
        ("1E3", "AMBIGUOUS_AMOUNT"),
        ('"1e30"', "AMBIGUOUS_AMOUNT"),  # once decimal.InvalidOperation
        ('"1e3"', "AMBIGUOUS_AMOUNT"),  # once read as 1000.00
        ('"NaN"', "AMBIGUOUS_AMOUNT"),
        ('"Infinity"', "AMBIGUOUS_AMOUNT"),
        ('"178.001"', "AMBIGUOUS_AMOUNT"),  # which way to round is not ours to guess
        ("178.001", "AMBIGUOUS_AMOUNT"),
        ('"0178.00"', "AMBIGUOUS_AMOUNT"),
        ('" 178.00"', "AMBIGUOUS_AMOUNT"),
        ('"+178.00"', "AMBIGUOUS_AMOUNT"),
        ('"178.00\\n"', "AMBIGUOUS_AMOUNT"),
        ("true", "AMBIGUOUS_AMOUNT"),
        ('"-0"', "INVALID_AMOUNT"),
        ("-0.0", "INVALID_AMOUNT"),
        ('"' + "1" * 40 + '"', "ABSURD_AMOUNT"),  # once decimal.InvalidOperation
        ("1" * 40, "ABSURD_AMOUNT"),
        ("1" * 40 + ".00", "ABSURD_AMOUNT"),
    ],
)
def test_a_total_not_written_as_a_plain_amount_is_rejected_with_a_reason(literal: str, code: str) -> None:
    assert code in rejected_codes(with_total_text(literal))


@pytest.mark.parametrize("literal", ["1e308", '"1e30"', '"' + "9" * 40 + '"', '"-0"', "-1E+3"])
def test_a_line_charge_not_written_as_a_plain_amount_is_rejected_with_a_reason(literal: str) -> None:
    assert rejected_codes(with_line_text(literal)) & {"AMBIGUOUS_AMOUNT", "INVALID_AMOUNT", "ABSURD_AMOUNT"}


@pytest.mark.parametrize("literal", ['"178"', '"178.0"', '"178.00"', "178", "178.0", "178.00"])
def test_plain_amounts_are_accepted_as_strings_or_numbers(literal: str) -> None:
    draft = read_claim(with_total_text(literal), max_bytes=1 << 20, today=TODAY, limits=Limits(), codes=CODES)
    claim = accept_draft(draft, policies()["POL-GOLD001"])
    assert str(claim.total_charge.amount) == "178.00"


def test_a_fhir_total_in_exponent_form_is_rejected() -> None:
    body = fixture_json("fhir_claim_contained.json")
    body["total"]["value"] = "__TOTAL__"
    data = json.dumps(body).replace('"__TOTAL__"', "1.78e2").encode()
    assert rejected_codes(data)


# --- JSON structure -------------------------------------------------------------------------


def test_a_repeated_key_is_rejected_not_last_wins() -> None:
    # Given a claim whose total is written twice: 178.00, then 9999.00
    text = json.dumps(claim_body())
    data = (text[:-1] + ', "total_charge": {"amount": "9999.00", "currency": "USD"}}').encode()
    # Then it is rejected: which total was meant cannot be known
    assert rejected_codes(data) == {"DUPLICATE_JSON_KEY"}


def test_a_repeated_key_in_a_nested_object_is_rejected() -> None:
    text = json.dumps(claim_body()).replace('"currency": "USD"}', '"currency": "USD", "amount": "1.00"}', 1)
    assert rejected_codes(text.encode()) == {"DUPLICATE_JSON_KEY"}


@pytest.mark.parametrize("shape", ["[", '{"a":', '{"claim_id": ['])
def test_100k_deep_nesting_is_rejected_quickly(shape: str) -> None:
    data = (shape * 100_000).encode()[: 1 << 20]
    start = time.perf_counter()
    assert rejected_codes(data) == {"NESTING_TOO_DEEP"}
    assert time.perf_counter() - start < 2.0


def test_nesting_is_counted_outside_strings_only() -> None:
    assert nesting_depth('{"a": [1, "]]]\\"[[[[", {"b": []}]}') == 4
    assert nesting_depth('"[[[[' + "[" * 100) == 0  # an unterminated string runs to the end
    ok = "[" * (MAX_NESTING - 1) + "]" * (MAX_NESTING - 1)  # inside the document's own object
    assert decode_document(('{"claim_id": ' + ok + "}").encode(), max_bytes=1 << 20).source_format == "icpa"


@pytest.mark.parametrize("text", ['"\\"' * 300_000, '"' * 1_000_000, "[]" * 500_000, '"\\\\' * 300_000])
def test_the_nesting_scan_is_linear(text: str) -> None:
    start = time.perf_counter()
    nesting_depth(text)
    assert time.perf_counter() - start < 2.0


# --- dates and references -------------------------------------------------------------------


@pytest.mark.parametrize("field", ["service_date_from", "received_date"])
def test_a_date_in_year_1_is_rejected(field: str) -> None:
    body = claim_body()
    body["service_date_from"] = "0001-01-01"
    body[field] = "0001-01-01"
    assert "DATE_OUT_OF_RANGE" in rejected_codes(json.dumps(body).encode())


def test_a_line_date_and_a_birth_date_before_1900_are_rejected() -> None:
    body = claim_body()
    body["lines"][0]["service_date"] = "1899-12-31"
    body["patient"]["birth_date"] = "0001-01-01"
    assert "DATE_OUT_OF_RANGE" in rejected_codes(json.dumps(body).encode())


@pytest.mark.parametrize(
    "uri", ["s3://icpa-documents/a.pdf\n", "s3://icpa-documents/a\r.pdf", "s3://icpa-documents\n/a.pdf", "s3://x"]
)
def test_an_attachment_uri_with_a_control_character_or_no_key_is_rejected(uri: str) -> None:
    body = claim_body()
    body["attachments"] = [uri]
    assert "INVALID_ATTACHMENT_URI" in rejected_codes(json.dumps(body).encode())


def test_a_plain_attachment_uri_is_accepted() -> None:
    body = claim_body()
    body["attachments"] = ["s3://icpa-documents/attachments/a.pdf"]
    draft = read_claim(json.dumps(body).encode(), max_bytes=1 << 20, today=TODAY, limits=Limits(), codes=CODES)
    assert accept_draft(draft, policies()["POL-GOLD001"]).attachments == body["attachments"]


# --- ids and messages -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"resourceType": "Claim", "identifier": 5},  # once TypeError
        {"resourceType": "Claim", "identifier": "CLM-1"},
        {"resourceType": "Claim", "identifier": {"value": "CLM-1"}},
        {"resourceType": "Claim", "identifier": [5, None, ["x"], {"value": 7}]},
        {"resourceType": "Claim", "identifier": [{"value": "x" * 200_000}]},
        {"resourceType": "Claim", "id": ["CLM-1"]},
        {"claim_id": {"nested": "CLM-1"}},
        {"claim_id": "a" * 200_000},
        {"claim_id": "CLM-1\n"},
    ],
)
def test_sniffing_a_claim_id_is_total_over_any_json(body: dict[str, Any]) -> None:
    assert sniff_claim_id(json.dumps(body).encode()) is None


def test_sniffing_finds_a_well_formed_id_among_junk() -> None:
    body = {"resourceType": "Claim", "identifier": [5, {"value": "CLM-F1"}]}
    assert sniff_claim_id(json.dumps(body).encode()) == "CLM-F1"


def test_a_draft_never_offers_an_ill_formed_claim_id_for_logging() -> None:
    body = claim_body()
    body["claim_id"] = "a" * 200_000
    draft = read_claim(json.dumps(body).encode(), max_bytes=1 << 20, today=TODAY, limits=Limits(), codes=CODES)
    assert draft.claim_id is None


def test_the_message_of_a_claim_with_huge_unknown_keys_stays_bounded_and_keeps_every_code() -> None:
    # Given a claim with 30 unknown 100 KB keys (PHI could be a key, too) and a bad NPI
    body = claim_body()
    for n in range(30):
        body[f"{n:02d}" + "x" * 100_000] = 1
    body["provider_npi"] = "1234567890"
    data = json.dumps(body).encode()
    with pytest.raises(InvalidClaimError) as caught:
        accept_draft(read_claim(data, max_bytes=1 << 23, today=TODAY, limits=Limits(), codes=CODES), None)
    # Then the error the workflow carries is far below the 32 KB a Cause holds, echoes no key,
    # and still names every reason
    message = str(caught.value)
    assert len(message) < 8 * 1024
    assert "xxxxxxxxxx" not in message
    assert set(caught.value.reasons) >= {"SCHEMA_VIOLATION", "INVALID_PROVIDER_ID"}


def test_a_location_made_of_the_files_own_keys_is_not_echoed() -> None:
    message = str(invalid_claim([Problem("SCHEMA_VIOLATION", "patient.Jane Doe 123-45-6789")]))
    assert "Jane" not in message and "6789" not in message
    assert "patient.<key>: SCHEMA_VIOLATION" in message


def test_a_cause_over_the_contract_limit_is_cut_with_a_marker_and_still_quarantines() -> None:
    # Given an unexpected error whose Cause is 100 KB (longer than Step Functions' 32 KB)
    cause = json.dumps({"errorMessage": "boom " * 20_000, "errorType": "KeyError", "stackTrace": []})
    error = StepError.model_validate({"Error": "KeyError", "Cause": cause})
    # Then the contract keeps a deterministic prefix with a marker instead of refusing it
    assert len(error.cause) == MAX_CAUSE and error.cause.endswith("[TRUNCATED]")
    assert StepError.model_validate({"Error": "KeyError", "Cause": cause}) == error
    classification = classify_error(error)
    assert classification.outcome is Outcome.ERROR
    assert classification.reason_codes == ["UNEXPECTED_ERROR"]


def test_an_over_long_invalid_claim_cause_is_still_rejected() -> None:
    cause = json.dumps({"errorMessage": "x" * 40_000 + " [SCHEMA_VIOLATION]", "errorType": "InvalidClaimError"})
    classification = classify_error(StepError.model_validate({"Error": "InvalidClaimError", "Cause": cause}))
    assert classification.outcome is Outcome.REJECTED
