"""Reading the bytes: size, encoding, JSON and format, each with its own reason code."""

from __future__ import annotations

from decimal import Decimal

import pytest
from intake_testkit import fixture_bytes

from icpa_intake.domain.decoding import decode_document, detect_format
from icpa_shared.errors import InvalidClaimError


def reasons_for(data: bytes, max_bytes: int = 1024) -> tuple[str, ...]:
    with pytest.raises(InvalidClaimError) as caught:
        decode_document(data, max_bytes=max_bytes)
    return caught.value.reasons


def test_a_file_over_the_limit_is_too_large_before_anything_is_parsed() -> None:
    assert reasons_for(b"{" + b" " * 2000 + b"}", max_bytes=1024) == ("FILE_TOO_LARGE",)


def test_bytes_that_are_not_utf8() -> None:
    assert reasons_for('{"claim_id": "CLM-1", "note": "café"}'.encode("latin-1")) == ("NOT_UTF8",)


@pytest.mark.parametrize("text", [b"", b"{", b'{"claim_id": }', b'{"amount": NaN, "claim_id": "x"}', b"[1, 2"])
def test_text_that_is_not_json(text: bytes) -> None:
    assert reasons_for(text) == ("MALFORMED_JSON",)


@pytest.mark.parametrize(
    "text",
    [b"[]", b'"a claim"', b"42", b'{"resourceType": "Bundle", "entry": []}', b'{"resourceType": "Patient"}', b"{}"],
)
def test_json_that_is_neither_fhir_claim_nor_icpa_claim_is_unsupported(text: bytes) -> None:
    assert reasons_for(text) == ("UNSUPPORTED_FORMAT",)


def test_formats_are_told_apart_by_resource_type_or_icpa_fields() -> None:
    assert detect_format({"resourceType": "Claim"}) == "fhir"
    assert detect_format({"claim_id": "CLM-1"}) == "icpa"
    assert detect_format({"schema_version": "1.0"}) == "icpa"


def test_numbers_are_read_as_exact_decimals_and_a_byte_order_mark_is_tolerated() -> None:
    # Given a file saved with a BOM and an amount that floats cannot hold exactly
    data = b"\xef\xbb\xbf" + b'{"claim_id": "CLM-1", "amount": 0.1}'
    # When it is decoded
    document = decode_document(data, max_bytes=1024)
    # Then the amount is the exact decimal written in the file
    assert document.source_format == "icpa"
    assert document.body["amount"] == Decimal("0.1")


def test_the_fixture_files_decode() -> None:
    assert decode_document(fixture_bytes("icpa_claim.json"), max_bytes=1 << 20).source_format == "icpa"
    assert decode_document(fixture_bytes("fhir_claim_contained.json"), max_bytes=1 << 20).source_format == "fhir"
