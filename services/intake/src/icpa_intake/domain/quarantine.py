"""Quarantine rules (pure): why a claim failed, its outcome, and the id it is filed under.

Step Functions' Catch puts `{"Error": <name>, "Cause": <string>}` in state. For a Lambda
error the name is the exception's class name and the Cause is the JSON
`{"errorMessage", "errorType", "stackTrace"}`; ICPA's typed errors end their message with the
reason codes in brackets (`... [CODE_A, CODE_B]`, see icpa_shared.errors).

- an ICPA error (`InvalidClaimError`, `TransientDependencyError`, ...): the bracketed codes, else
  the class's default reason; REJECTED if the error is permanent, else ERROR;
- `States.<Name>` (e.g. `States.Timeout`): `STATES_<NAME>` (e.g. `STATES_TIMEOUT`); ERROR;
- `Lambda.<Name>`, `Sandbox.Timedout`: `LAMBDA_<NAME>`, `SANDBOX_TIMEDOUT`; ERROR;
- anything else (an unexpected exception): `UNEXPECTED_ERROR`; ERROR.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from icpa_intake.domain.decoding import detect_format, parse_json
from icpa_intake.domain.fhir_mapping import CLAIM_ID_SYSTEM
from icpa_shared import errors
from icpa_shared.contracts import Outcome, SourceObject, StepError, reasons
from icpa_shared.contracts.types import ClaimId
from icpa_shared.contracts.workflow import MAX_CAUSE
from icpa_shared.observability.redaction import redact_text

MAX_REASONS = 60
MAX_MESSAGE = MAX_CAUSE
"""reason.json keeps the whole (redacted) message the workflow carried; state keeps only codes."""

_ICPA_ERRORS: dict[str, str] = {
    cls.__name__: cls.default_reason
    for cls in (
        errors.IcpaError,
        errors.RetryableError,
        errors.PermanentError,
        errors.ModelThrottledError,
        errors.TransientDependencyError,
        errors.MalformedModelResponseError,
        errors.InvalidClaimError,
        errors.UnknownPolicyError,
        errors.UnknownMemberError,
        errors.ClaimNotFoundError,
        errors.ContractViolationError,
    )
}
_BRACKETED = re.compile(r"\[([A-Z][A-Z0-9_]{2,63}(?:, ?[A-Z][A-Z0-9_]{2,63})*)\]\s*\Z")
_RUNTIME_NAME = re.compile(r"(States|Lambda|Sandbox)\.([A-Za-z][A-Za-z0-9]{0,50})")  # fullmatch
_CLAIM_ID: TypeAdapter[str] = TypeAdapter(ClaimId)


@dataclass(frozen=True)
class ErrorClassification:
    error_name: str
    outcome: Outcome
    reason_codes: list[str]
    message: str
    """The error's message, PHI-redacted and truncated (for reason.json)."""


def _upper_snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper()


def _message_of(cause: str) -> str:
    try:
        parsed = json.loads(cause)
    except ValueError:
        return cause
    message = parsed.get("errorMessage") if isinstance(parsed, dict) else None
    return message if isinstance(message, str) else cause


def classify_error(error: StepError | None) -> ErrorClassification:
    if error is None:
        return ErrorClassification("Unknown", Outcome.ERROR, [reasons.UNEXPECTED_ERROR], "")
    name = error.error
    message = _message_of(error.cause)
    outcome = Outcome.REJECTED if name in errors.PERMANENT_ERROR_NAMES else Outcome.ERROR
    codes: list[str]
    if name in _ICPA_ERRORS:
        match = _BRACKETED.search(message)
        codes = [c.strip() for c in match.group(1).split(",")] if match else [_ICPA_ERRORS[name]]
    elif runtime := _RUNTIME_NAME.fullmatch(name):
        codes = [f"{runtime.group(1).upper()}_{_upper_snake(runtime.group(2))}"[:64]]
    else:
        codes = [reasons.UNEXPECTED_ERROR]
    distinct = list(dict.fromkeys(codes))[:MAX_REASONS]
    return ErrorClassification(name, outcome, distinct, redact_text(message)[:MAX_MESSAGE])


def fallback_claim_id(source: SourceObject) -> str:
    """Deterministic: the same object always files under the same id."""
    digest = hashlib.sha256(f"{source.bucket}/{source.key}/{source.etag or ''}".encode()).hexdigest()
    return f"Q-{digest[:16]}"


def sniff_claim_id(data: bytes) -> str | None:
    """Best effort: the claim id a file claims to have, without validating anything else."""
    try:
        body = parse_json(data)
    except (ValueError, RecursionError):
        return None
    source_format = detect_format(body)
    candidate: Any = None
    if source_format == "icpa":
        candidate = body.get("claim_id")
    elif source_format == "fhir":
        # Any JSON may stand where FHIR wants a list of Identifiers (`identifier: 5`, a dict).
        listed = body.get("identifier")
        identifiers = [i for i in listed if isinstance(i, dict)] if isinstance(listed, list) else []
        preferred = [i for i in identifiers if i.get("system") == CLAIM_ID_SYSTEM] or identifiers
        candidate = preferred[0].get("value") if preferred else body.get("id")
    return valid_claim_id(candidate)


def valid_claim_id(candidate: object) -> str | None:
    """`candidate` when it is a well-formed ClaimId (so at most 64 characters), else None."""
    if not isinstance(candidate, str) or len(candidate) > 64:
        return None
    try:
        return _CLAIM_ID.validate_python(candidate)
    except ValidationError:
        return None


def reason_document(
    *,
    claim_id: str,
    classification: ErrorClassification,
    source: SourceObject,
    execution_id: str,
    original_uri: str | None,
    original_status: str,
    quarantined_at: datetime,
) -> dict[str, Any]:
    """`<claim_id>/reason.json`: everything a person needs to understand and replay it."""
    return {
        "schema_version": "1.0",
        "claim_id": claim_id,
        "outcome": classification.outcome.value,
        "error": classification.error_name,
        "reason_codes": classification.reason_codes,
        "message": classification.message,
        "execution_id": execution_id,
        "source_uri": source.uri,
        "source": source.model_dump(mode="json"),
        "original_uri": original_uri,
        "original_status": original_status,
        "quarantined_at": quarantined_at.isoformat(),
    }
