"""Why a claim failed and where it is filed: the quarantine step's pure rules."""

from __future__ import annotations

import hashlib
import json

import pytest
from intake_testkit import fixture_bytes

from icpa_intake.domain.quarantine import classify_error, fallback_claim_id, sniff_claim_id
from icpa_shared.contracts import Outcome, SourceObject, StepError
from icpa_shared.errors import InvalidClaimError, ModelThrottledError


def lambda_cause(exc: Exception) -> str:
    """What Step Functions puts in Cause for an exception raised by a Lambda task."""
    return json.dumps({"errorMessage": str(exc), "errorType": type(exc).__name__, "stackTrace": ["..."]})


def test_invalid_claim_reasons_are_read_back_from_the_message() -> None:
    exc = InvalidClaimError("claim rejected with 2 problem(s): ...", reasons=["TOTAL_MISMATCH", "UNKNOWN_MEMBER"])

    result = classify_error(StepError(error="InvalidClaimError", cause=lambda_cause(exc)))

    assert result.outcome is Outcome.REJECTED
    assert result.reason_codes == ["TOTAL_MISMATCH", "UNKNOWN_MEMBER"]
    assert result.error_name == "InvalidClaimError"


def test_a_retryable_error_that_ran_out_of_retries_is_an_error_with_its_reason() -> None:
    exc = ModelThrottledError("bedrock throttled")

    result = classify_error(StepError(error="ModelThrottledError", cause=lambda_cause(exc)))

    assert (result.outcome, result.reason_codes) == (Outcome.ERROR, ["MODEL_THROTTLED"])


def test_an_icpa_error_without_bracketed_codes_gets_the_class_default() -> None:
    result = classify_error(StepError(error="ContractViolationError", cause="no json here"))

    assert (result.outcome, result.reason_codes) == (Outcome.REJECTED, ["CONTRACT_VIOLATION"])


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("States.Timeout", "STATES_TIMEOUT"),
        ("States.TaskFailed", "STATES_TASK_FAILED"),
        ("States.HeartbeatTimeout", "STATES_HEARTBEAT_TIMEOUT"),
        ("Lambda.ServiceException", "LAMBDA_SERVICE_EXCEPTION"),
        ("Sandbox.Timedout", "SANDBOX_TIMEDOUT"),
        ("KeyError", "UNEXPECTED_ERROR"),
        ("States.Not a name", "UNEXPECTED_ERROR"),
    ],
)
def test_runtime_errors_are_named_and_anything_unknown_is_unexpected(name: str, code: str) -> None:
    result = classify_error(StepError(error=name, cause=""))

    assert (result.outcome, result.reason_codes) == (Outcome.ERROR, [code])


def test_brackets_in_an_unexpected_error_are_not_trusted() -> None:
    result = classify_error(StepError(error="ValueError", cause=lambda_cause(ValueError("x [UNKNOWN_POLICY]"))))

    assert result.reason_codes == ["UNEXPECTED_ERROR"]


def test_no_error_in_state_is_still_classified() -> None:
    result = classify_error(None)

    assert (result.outcome, result.reason_codes) == (Outcome.ERROR, ["UNEXPECTED_ERROR"])


def test_the_message_kept_for_reason_json_is_redacted() -> None:
    cause = lambda_cause(KeyError("MBR000001 born 1971-11-23"))

    message = classify_error(StepError(error="KeyError", cause=cause)).message

    assert "MBR000001" not in message and "1971-11-23" not in message
    assert "[REDACTED]" in message


def test_the_fallback_id_is_deterministic_and_a_valid_claim_id() -> None:
    source = SourceObject(bucket="icpa-inbox", key="claims/x.json", etag="abc")
    expected = "Q-" + hashlib.sha256(b"icpa-inbox/claims/x.json/abc").hexdigest()[:16]

    assert fallback_claim_id(source) == expected
    same_object = SourceObject(bucket="icpa-inbox", key="claims/x.json", etag="abc")
    assert fallback_claim_id(source) == fallback_claim_id(same_object)


def test_the_claim_id_is_sniffed_from_both_formats_best_effort() -> None:
    assert sniff_claim_id(fixture_bytes("icpa_claim.json")) == "CLM-I0001"
    assert sniff_claim_id(fixture_bytes("fhir_claim_contained.json")) == "CLM-F0001"
    assert sniff_claim_id(fixture_bytes("fhir_claim_logical.json")) == "CLM-F0002"
    assert sniff_claim_id(b'{"claim_id": "CLM-1", "lines": "garbage"}') == "CLM-1"


@pytest.mark.parametrize("data", [b"\xff\xfe", b"{not json", b"[]", b'{"claim_id": 7}', b'{"claim_id": "bad id!"}'])
def test_nothing_sniffable_gives_none(data: bytes) -> None:
    assert sniff_claim_id(data) is None
