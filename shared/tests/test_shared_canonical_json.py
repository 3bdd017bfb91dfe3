"""The canonical form is RFC 8785 (JCS): the RFC's own examples, the cyberphone reference test
data (the RFC's companion implementation), and the typed errors for what JCS cannot represent.
The legacy form is kept byte for byte for records written before JCS."""

from __future__ import annotations

import hashlib
import json
import struct
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import rfc8785
from hypothesis import example, given, settings
from hypothesis import strategies as st

from icpa_shared import digest
from icpa_shared.digest import (
    JCS,
    LEGACY_FORM,
    NotCanonicalError,
    UnknownCanonicalFormError,
    canonical_json,
    jcs,
    legacy_json,
    sha256_hex,
)


def test_rfc8785_section_3_2_2_example() -> None:
    # RFC 8785 §3.2.2 (input as JSON text, so the numbers are parsed as a JSON reader would).
    text = r"""{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }"""
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert jcs(json.loads(text)) == expected.encode("utf-8")


def test_rfc8785_section_3_2_3_sorts_by_utf16_code_units() -> None:
    # RFC 8785 §3.2.3: U+1F600 (surrogates D83D DE00) sorts before U+FB33, unlike by code point.
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    expected = (
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
        '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
        '"\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    )
    assert jcs(value) == expected.encode("utf-8")
    assert b"\\u" not in jcs(value)  # UTF-8, not \u escapes


# RFC 8785 Appendix B: IEEE 754 bit patterns and their ECMAScript serialization.
APPENDIX_B = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize(("bits", "expected"), APPENDIX_B)
def test_rfc8785_appendix_b_numbers(bits: str, expected: str) -> None:
    (number,) = struct.unpack(">d", bytes.fromhex(bits))
    assert jcs(number) == expected.encode()


@pytest.mark.parametrize("bits", ["7fffffffffffffff", "7ff0000000000000", "fff0000000000000"])
def test_rfc8785_appendix_b_nan_and_infinity_are_errors(bits: str) -> None:
    (number,) = struct.unpack(">d", bytes.fromhex(bits))
    with pytest.raises(NotCanonicalError):
        jcs({"amount": number})


# The cyberphone/json-canonicalization testdata (input -> output), the RFC's reference data.
CYBERPHONE = [
    ('[56, {"d": true, "10": null, "1": []}]', '[56,{"1":[],"10":null,"d":true}]'),
    (
        '{"peach": "This sorting order", "p\\u00e9ch\\u00e9": "is wrong according to French",'
        ' "p\\u00eache": "but canonicalization MUST", "sin": "ignore locale"}',
        '{"peach":"This sorting order","p\u00e9ch\u00e9":"is wrong according to French",'
        '"p\u00eache":"but canonicalization MUST","sin":"ignore locale"}',
    ),
    (
        '{"1": {"f": {"f": "hi", "F": 5}, "\\n": 56.0}, "10": {}, "": "empty", "a": {},'
        ' "111": [{"e": "yes", "E": "no"}], "A": {}}',
        '{"":"empty","1":{"\\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{"E":"no","e":"yes"}],"A":{},"a":{}}',
    ),
    ('{"Unnormalized Unicode": "A\\u030a"}', '{"Unnormalized Unicode":"A\u030a"}'),
]


@pytest.mark.parametrize(("text", "expected"), CYBERPHONE)
def test_cyberphone_reference_data(text: str, expected: str) -> None:
    assert jcs(json.loads(text)) == expected.encode("utf-8")


def test_money_is_a_decimal_string_and_datetimes_are_iso() -> None:
    value = {"amount": Decimal("1250.10"), "at": datetime(2026, 3, 1, 9, 30, tzinfo=UTC)}
    assert jcs(value) == b'{"amount":"1250.10","at":"2026-03-01T09:30:00Z"}'


@pytest.mark.parametrize("value", [2**53 + 1, -(2**53 + 1), 10**400, object(), {"nested": float("nan")}])
def test_what_jcs_cannot_represent_is_a_typed_error(value: object) -> None:
    with pytest.raises(NotCanonicalError):
        sha256_hex(value)


def test_integers_are_doubles_as_jcs_says() -> None:
    assert jcs(2**53 - 1) == b"9007199254740991"
    # Beyond 2**53 an integer that is exactly a double is that double: JCS's output for 1e16,
    # read back by Python as an int, canonicalizes to the same bytes again.
    assert jcs(1e16) == jcs(json.loads(jcs(1e16))) == b"10000000000000000"
    assert jcs({"n": [2**64]}) == b'{"n":[18446744073709552000]}'


def test_legacy_form_is_the_pre_jcs_bytes() -> None:
    # Written before JCS: sorted by code point, ASCII escapes, Python's float repr.
    value = {"\u20ac": 1e16, "a": "Z\u00fcrich"}
    assert legacy_json(value) == b'{"a":"Z\\u00fcrich","\\u20ac":1e+16}'
    assert jcs(value) == '{"a":"Z\u00fcrich","\u20ac":10000000000000000}'.encode()
    assert sha256_hex(value, LEGACY_FORM) == hashlib.sha256(legacy_json(value)).hexdigest()
    assert sha256_hex(value) == sha256_hex(value, JCS) != sha256_hex(value, LEGACY_FORM)


def test_an_unknown_form_is_refused() -> None:
    with pytest.raises(UnknownCanonicalFormError):
        canonical_json({"a": 1}, "jcs-2030")  # type: ignore[arg-type]


def test_bytes_are_hashed_as_given() -> None:
    assert sha256_hex(b"abc") == hashlib.sha256(b"abc").hexdigest()


_json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**60), max_value=2**60),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=12),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(value=_json_values)
@example(
    value={"score": 0.35, "at": 1796142691.95, "tiny": 0.000123, "big": 9007199254740.5, "whole": [0.0, -0.0, 5.0]}
)
def test_every_value_has_rfc8785s_bytes(value: object) -> None:
    # The encoder's fast path (plain JSON) and rfc8785 agree byte for byte, floats, big
    # integers, astral keys and control characters included; where rfc8785 refuses, so does jcs.
    try:
        expected = rfc8785.dumps(value)  # type: ignore[arg-type]
    except rfc8785.IntegerDomainError:
        return  # doubles beyond 2**53: test_integers_are_doubles_as_jcs_says
    except rfc8785.CanonicalizationError:
        with pytest.raises(NotCanonicalError):
            jcs(value)
        return
    assert jcs(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        {"\U0001f600": 1, "\ufb33": 2},  # astral key: UTF-16 order differs from code point order
        {"a": 1e-7},  # ES prints 1e-7, Python 1e-07
        {"a": 1e16},  # integral, but beyond 2**53: ES prints 10000000000000000, Python 1e+16
        {"a": [1, 2**53]},
        {"\ud800": "lone surrogate key"},
    ],
)
def test_values_json_dumps_would_get_wrong_take_the_rfc8785_path(value: object) -> None:
    assert digest._plain_json(value) is None


@settings(max_examples=2000, deadline=None)
@given(number=st.floats(allow_nan=False, allow_infinity=False))
def test_every_double_prints_as_rfc8785_says(number: float) -> None:
    assert jcs([number]) == rfc8785.dumps([number])


def test_plain_values_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_: object) -> bytes:
        raise AssertionError("plain JSON went through rfc8785")

    monkeypatch.setattr(rfc8785, "dumps", refuse)
    claim = {"claim_id": "CLM-1", "lines": [{"code": "99213", "charge": "125.00", "units": 1}], "score": 0.35}
    assert jcs(claim) == b'{"claim_id":"CLM-1","lines":[{"charge":"125.00","code":"99213","units":1}],"score":0.35}'
    deep: list[object] = []
    for _ in range(5000):  # deeper than the recursion limit: the check is iterative
        deep = [deep]
    assert digest._plain_json(deep) == "plain"
    assert jcs({"rules_score": 0.0, "n": -0.0, "big": 2.0**52}) == b'{"big":4503599627370496,"n":0,"rules_score":0}'
