"""Reading an X12 interchange: separators from ISA, the envelope, limits and hostile input."""

from __future__ import annotations

from pathlib import Path

import pytest

from icpa_intake.domain.x12 import reasons
from icpa_intake.domain.x12.interchange import looks_like_x12, read_interchange
from icpa_shared.errors import InvalidClaimError

DATA = Path(__file__).parents[1] / "data" / "x12"
VALID = (DATA / "edited" / "837p-four-claims.837").read_bytes()


def rejected(data: bytes, **kwargs: int) -> tuple[list[str], str]:
    with pytest.raises(InvalidClaimError) as caught:
        read_interchange(data, **kwargs)
    return list(caught.value.reasons), str(caught.value)


def test_a_valid_interchange_gives_its_envelope_and_transactions() -> None:
    interchange = read_interchange(VALID)

    assert (interchange.sender_id, interchange.receiver_id, interchange.control_number) == (
        "000000005",
        "12345",
        "000000907",
    )
    assert interchange.claim_count == 4
    (transaction,) = interchange.transactions
    assert (transaction.group_control_number, transaction.control_number) == ("1", "0021")
    assert transaction.implementation == "005010X222A2" and transaction.claim_type == "professional"
    assert transaction.segments[0].id == "BHT" and transaction.segments[-1].id == "DTP"


def test_other_separators_are_read_from_isa_not_assumed() -> None:
    # Element '|', repetition '!', component '>', segment terminator '\n' (no '~' at all).
    text = VALID.decode().replace("~\n", "\n").replace("*", "|").replace(":", ">")
    text = text.replace("|^|00501|", "|!|00501|", 1)

    interchange = read_interchange(text.encode())

    assert interchange.separators.element == "|" and interchange.separators.segment == "\n"
    assert interchange.separators.component == ">" and interchange.separators.repetition == "!"
    assert interchange.claim_count == 4


def test_the_imsweb_different_separators_sample_reads_like_the_plain_one() -> None:
    plain = rejected((DATA / "imsweb" / "x12_valid.txt").read_bytes())
    other = rejected((DATA / "imsweb" / "x12_valid_different_separators.txt").read_bytes())
    assert plain == other == ([reasons.X12_SEGMENT_COUNT], other[1])  # both miscount SE01


@pytest.mark.parametrize(
    ("edit", "code", "where"),
    [
        (lambda t: t.replace("IEA*1*000000907", "IEA*1*000000908"), reasons.X12_ENVELOPE_MISMATCH, "IEA02"),
        (lambda t: t.replace("IEA*1*", "IEA*2*"), reasons.X12_SEGMENT_COUNT, "IEA01"),
        (lambda t: t.replace("GE*1*1~", "GE*1*2~"), reasons.X12_ENVELOPE_MISMATCH, "GE02"),
        (lambda t: t.replace("GE*1*1~", "GE*3*1~"), reasons.X12_SEGMENT_COUNT, "GE01"),
        (lambda t: t.replace("SE*", "SE*9", 1), reasons.X12_SEGMENT_COUNT, "ST0021.SE01"),
        (lambda t: t.replace("*0021~\nGE", "*0022~\nGE"), reasons.X12_ENVELOPE_MISMATCH, "ST0021.SE02"),
        (lambda t: t[: t.index("GE*")], reasons.X12_ENVELOPE_MISMATCH, "GE"),
        (lambda t: t + "NM1*QC*1*EXTRA~", reasons.X12_ENVELOPE_MISMATCH, "SEG"),
        (lambda t: t.replace("005010X222A2", "005010X221A1"), reasons.X12_UNSUPPORTED_TRANSACTION, "ST03"),
        (lambda t: t.replace("ST*837*", "ST*835*"), reasons.X12_UNSUPPORTED_TRANSACTION, "ST03"),
    ],
)
def test_envelope_defects_are_named_by_segment_and_element(edit: object, code: str, where: str) -> None:
    codes, message = rejected(edit(VALID.decode()).encode())  # type: ignore[operator]

    assert codes == [code]
    assert where in message


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", reasons.X12_NOT_AN_INTERCHANGE),
        (b"ISA*00*short~", reasons.X12_NOT_AN_INTERCHANGE),
        (b'{"claim_id": "CLM-1"}', reasons.X12_NOT_AN_INTERCHANGE),
        ("\ufeff".encode("utf-16") + VALID, reasons.X12_NOT_UTF8),
        (VALID.replace(b"SMITH", b"SM\xefTH", 1), reasons.X12_NOT_UTF8),
        (VALID[:104] + b"~~" + VALID[106:], reasons.X12_BAD_SEPARATORS),  # component == terminator
        (VALID[:104] + b"A" + VALID[105:], reasons.X12_BAD_SEPARATORS),  # a letter
    ],
)
def test_what_is_not_a_readable_interchange_is_rejected_with_a_reason(data: bytes, code: str) -> None:
    assert rejected(data)[0] == [code]


def test_an_interchange_without_claims_is_rejected() -> None:
    text = VALID.decode()
    start, end = text.index("HL*1*"), text.index("SE*")
    body = text[:start] + text[end:]
    body = body.replace(body[body.index("SE*") : body.index("~", body.index("SE*"))], "SE*6*0021")
    assert rejected(body.encode())[0] == [reasons.X12_NO_CLAIMS]


def _many_claims(n: int) -> bytes:
    text = VALID.decode()
    start, end = text.index("CLM*PCN1001"), text.index("HL*3*")
    claims = text[start:end] * n
    body = text[:start] + claims + text[end:]
    segments = body[body.index("ST*") : body.index("SE*")].count("~") + 1
    return body.replace(body[body.index("SE*") : body.index("~", body.index("SE*"))], f"SE*{segments}*0021").encode()


def test_more_claims_than_the_limit_is_a_typed_rejection_before_anything_is_mapped() -> None:
    assert read_interchange(_many_claims(3), max_claims=6).claim_count == 6
    assert rejected(_many_claims(5), max_claims=6)[0] == [reasons.X12_TOO_MANY_CLAIMS]


def test_looks_like_x12_only_for_an_isa_start() -> None:
    assert looks_like_x12(b"  \r\nISA*00*")
    assert not looks_like_x12(b'{"ISA": 1}')
