"""Property-based fuzzing of Intake's reading of a file (decoding, FHIR mapping, validation)
and of the quarantine's error rules.

For any input: never an exception other than InvalidClaimError (so bad input ends REJECTED,
never ERROR), never an ill-formed claim id offered for logs or filing, and a cost bounded by the
input's size. Budgets come from the HYPOTHESIS_PROFILE selected in conftest.py.
"""

from __future__ import annotations

import copy
import json
import time
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st
from intake_testkit import CODES, TODAY, fixture_json, policies
from pydantic import TypeAdapter

from icpa_intake.domain.normalize import accept_draft, read_claim
from icpa_intake.domain.quarantine import classify_error, sniff_claim_id
from icpa_intake.domain.validation import Limits
from icpa_shared import errors
from icpa_shared.contracts import Claim, Outcome, StepError
from icpa_shared.contracts.types import ClaimId, ReasonCode
from icpa_shared.errors import InvalidClaimError

MAX_BYTES = 256 * 1024
_CLAIM_ID: TypeAdapter[str] = TypeAdapter(ClaimId)
_REASON: TypeAdapter[str] = TypeAdapter(ReasonCode)

# Raw JSON literals that once crashed or fooled intake, and their relatives.
HOSTILE_LITERALS = [
    "1e308",
    "-1e308",
    "1E3",
    "1e-2",
    '"1e30"',
    '"1e3"',
    "NaN",
    "Infinity",
    "-Infinity",
    '"NaN"',
    "-0",
    "-0.0",
    '"-0"',
    "1" * 40,
    '"' + "9" * 40 + '"',
    "0.1",
    "178.001",
    '"178.001"',
    '"0178.00"',
    '" 1.00"',
    "true",
    "null",
    "5",
    "[]",
    "{}",
    '[5, {"value": 7}]',
    '{"value": "CLM-1"}',
    '"s3://icpa-documents/a.pdf\\n"',
    '"0001-01-01"',
    '"9999-12-31"',
    '"2026-02-30"',
    '"' + "a" * 5000 + '"',
    "[" * 40 + "]" * 40,
    '"\\u0000"',
    '"\\ud800"',
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
literals = st.sampled_from(HOSTILE_LITERALS) | json_values.map(json.dumps)

ICPA_PATHS: list[tuple[Any, ...]] = [
    ("claim_id",),
    ("member_id",),
    ("policy_id",),
    ("provider_npi",),
    ("patient",),
    ("patient", "birth_date"),
    ("patient", "name"),
    ("service_date_from",),
    ("service_date_to",),
    ("received_date",),
    ("diagnosis_codes",),
    ("diagnosis_codes", 0),
    ("lines",),
    ("lines", 0),
    ("lines", 0, "charge"),
    ("lines", 0, "charge", "amount"),
    ("lines", 0, "units"),
    ("lines", 0, "line_number"),
    ("lines", 0, "service_date"),
    ("lines", 1, "diagnosis_pointers"),
    ("total_charge",),
    ("total_charge", "amount"),
    ("total_charge", "currency"),
    ("attachments",),
    ("schema_version",),
    ("claim_type",),
]
FHIR_PATHS: list[tuple[Any, ...]] = [
    ("identifier",),
    ("identifier", 0),
    ("identifier", 0, "value"),
    ("id",),
    ("total",),
    ("total", "value"),
    ("item",),
    ("item", 0, "unitPrice", "value"),
    ("item", 0, "quantity", "value"),
    ("item", 0, "servicedDate"),
    ("billablePeriod", "start"),
    ("created",),
    ("patient",),
    ("provider",),
    ("insurance",),
    ("diagnosis",),
    ("contained",),
    ("contained", 0, "birthDate"),
]
PLACEHOLDER = "__FUZZ_PLACEHOLDER__"


def splice(body: dict[str, Any], path: tuple[Any, ...], literal: str) -> bytes:
    """`body` with the value at `path` replaced by the raw JSON text `literal`."""
    target: Any = copy.deepcopy(body)
    root = target
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = PLACEHOLDER
    return json.dumps(root).replace(f'"{PLACEHOLDER}"', literal, 1).encode()


def read_outcome(data: bytes) -> Claim | InvalidClaimError:
    """What intake makes of a file: an accepted Claim, or the InvalidClaimError (anything else
    escapes and fails the test)."""
    try:
        draft = read_claim(data, max_bytes=MAX_BYTES, today=TODAY, limits=Limits(), codes=CODES)
        assert draft.claim_id is None or _CLAIM_ID.validate_python(draft.claim_id)
        return accept_draft(draft, policies().get(draft.policy_id or ""))
    except InvalidClaimError as exc:
        return exc


def assert_rejected_with_reasons_or_accepted(data: bytes) -> None:
    start = time.perf_counter()
    outcome = read_outcome(data)
    if isinstance(outcome, InvalidClaimError):
        assert outcome.reasons and all(_REASON.validate_python(code) for code in outcome.reasons)
        assert len(str(outcome)) < 8 * 1024  # always fits a Step Functions Cause
    sniffed = sniff_claim_id(data)
    assert sniffed is None or _CLAIM_ID.validate_python(sniffed) == sniffed
    # Bounded cost: inputs here are at most a few hundred KB (loose for a busy 2-core box).
    assert time.perf_counter() - start < 5.0


@given(data=st.binary(max_size=4096))
@example(data=b'{"claim_id": "CLM-1", "claim_id": "CLM-2"}')
@example(data=b"[" * 100_000)
@example(data=b'{"resourceType": "Claim", "identifier": 5}')
def test_any_bytes_are_read_or_rejected_with_a_reason(data: bytes) -> None:
    assert_rejected_with_reasons_or_accepted(data)


@given(path=st.sampled_from(ICPA_PATHS), literal=literals)
@example(path=("total_charge", "amount"), literal="1e308")
@example(path=("total_charge", "amount"), literal='"1e30"')
def test_any_value_anywhere_in_an_icpa_claim_is_accepted_or_rejected_with_a_reason(
    path: tuple[Any, ...], literal: str
) -> None:
    assert_rejected_with_reasons_or_accepted(splice(fixture_json("icpa_claim.json"), path, literal))


@given(path=st.sampled_from(FHIR_PATHS), literal=literals)
@example(path=("identifier",), literal="5")
def test_any_value_anywhere_in_a_fhir_claim_is_accepted_or_rejected_with_a_reason(
    path: tuple[Any, ...], literal: str
) -> None:
    assert_rejected_with_reasons_or_accepted(splice(fixture_json("fhir_claim_contained.json"), path, literal))


@given(
    text=st.text(alphabet=st.sampled_from('[]{}"\\,:1e.aZ \n'), min_size=1, max_size=64),
    repeat=st.integers(min_value=1, max_value=4000),
)
def test_repeated_fragments_cost_at_most_linear_time(text: str, repeat: int) -> None:
    # Whatever fragment is repeated, reading it stays within a per-byte budget.
    data = (text * repeat).encode()[:MAX_BYTES]
    start = time.perf_counter()
    read_outcome(data)
    sniff_claim_id(data)
    assert time.perf_counter() - start < 0.1 + len(data) * 20e-6  # 20 us per byte: linear, generous


@given(name=st.text(max_size=300), cause=st.text(max_size=40_000))
@example(name="InvalidClaimError", cause='{"errorMessage": "x [SCHEMA_VIOLATION]"}')
@example(name="States.Timeout\n", cause="")
def test_any_caught_error_is_classified(name: str, cause: str) -> None:
    classification = classify_error(StepError.model_validate({"Error": name, "Cause": cause}))
    assert classification.reason_codes and all(_REASON.validate_python(c) for c in classification.reason_codes)
    expected = Outcome.REJECTED if name[:256] in errors.PERMANENT_ERROR_NAMES else Outcome.ERROR
    assert classification.outcome is expected
