"""Reading Step Functions execution history (AWS's GetExecutionHistory event shape) and the
workflow's state documents. Pure functions over plain JSON values."""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final

from pydantic import JsonValue

from icpa_shared.digest import is_jcs_integer

# The states whose Lambda decides something, and the audit step each one must leave behind.
DECIDING_STATES: Final[Mapping[str, str]] = {
    "Intake": "intake",
    "AssessFraud": "fraud",
    "Adjudicate": "adjudication",
    "RouteClaim": "router",
    "RecordDecision": "decision",
    "QuarantineClaim": "quarantine",
    "EscalateReview": "review_escalated",
}

# Where a state document names its claim, most authoritative first.
_CLAIM_ID_PATHS: Final = (("intake", "claim_id"), ("quarantine", "claim_id"), ("record", "claim_id"), ("claim_id",))
_CLAIM_ID: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$")  # icpa_shared ClaimId

# Task success for a Lambda given as a function ARN, and for lambda:invoke service integrations.
_TASK_SUCCEEDED: Final = frozenset({"LambdaFunctionSucceeded", "TaskSucceeded"})


def json_safe(value: Any) -> JsonValue:
    """boto3's history (datetimes, bytes...) as plain JSON values; datetimes as ISO strings."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if is_jcs_integer(value) else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return json_safe(int(value)) if value.is_finite() and value == value.to_integral_value() else str(value)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    return str(value)


def parse_json_text(text: str | None) -> JsonValue:
    """A JSON string as its value; text RFC 8785 cannot canonicalize (NaN, Infinity, a number
    beyond a double, an integer no double holds exactly) stays text, exactly as it came: the
    archive keeps it without changing a digit."""
    if text is None:
        return None
    try:
        parsed: JsonValue = json.loads(
            text, parse_int=_i_json_int, parse_float=_i_json_float, parse_constant=_no_constant
        )
    except ValueError:
        return text
    return parsed


def _i_json_int(digits: str) -> int:
    value = int(digits)
    if not is_jcs_integer(value):
        raise ValueError(f"integer that is not a double: {digits[:40]}")
    return value


def _i_json_float(digits: str) -> float:
    value = float(digits)
    if not math.isfinite(value):
        raise ValueError(f"number outside a double: {digits[:40]}")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _details(event: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = event.get(key)
    return value if isinstance(value, Mapping) else {}


def execution_input(history: Sequence[Mapping[str, Any]]) -> JsonValue:
    for event in history:
        if event.get("type") == "ExecutionStarted":
            return parse_json_text(_details(event, "executionStartedEventDetails").get("input"))
    return None


def execution_output(history: Sequence[Mapping[str, Any]]) -> JsonValue:
    for event in reversed(history):
        if event.get("type") == "ExecutionSucceeded":
            return parse_json_text(_details(event, "executionSucceededEventDetails").get("output"))
    return None


def execution_error(history: Sequence[Mapping[str, Any]]) -> tuple[str | None, str | None]:
    """Error and cause of the event that ended the execution (failed, timed out, aborted)."""
    ending = {
        "ExecutionFailed": "executionFailedEventDetails",
        "ExecutionTimedOut": "executionTimedOutEventDetails",
        "ExecutionAborted": "executionAbortedEventDetails",
    }
    for event in reversed(history):
        key = ending.get(str(event.get("type")))
        if key:
            details = _details(event, key)
            error, cause = details.get("error"), details.get("cause")
            return (str(error) if error is not None else None, str(cause) if cause is not None else None)
    return None, None


def state_documents(history: Sequence[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """The workflow's state documents, newest first: each state's output, then its input."""
    for event in reversed(history):
        exited = _details(event, "stateExitedEventDetails")
        entered = _details(event, "stateEnteredEventDetails")
        raw = exited.get("output") if exited else entered.get("input")
        doc = parse_json_text(raw) if isinstance(raw, str) else None
        if isinstance(doc, Mapping):
            yield doc


def claim_id_in(document: object) -> str | None:
    """The claim id a state document names (intake, quarantine, record, or top level)."""
    if not isinstance(document, Mapping):
        return None
    for path in _CLAIM_ID_PATHS:
        value: Any = document
        for part in path:
            value = value.get(part) if isinstance(value, Mapping) else None
        if isinstance(value, str) and _CLAIM_ID.match(value):
            return value
    return None


def find_claim_id(output: object, history: Sequence[Mapping[str, Any]], input_document: object) -> str | None:
    """The execution's output first, then the newest state that names one, then its input.
    Only a well-formed claim id is accepted: it becomes part of the archive's S3 key."""
    found = claim_id_in(output)
    if found:
        return found
    for document in state_documents(history):
        found = claim_id_in(document)
        if found:
            return found
    return claim_id_in(input_document)


def recorded_outcome(output: object, history: Sequence[Mapping[str, Any]]) -> str | None:
    """The outcome the execution recorded: `record.outcome` (RecordDecision) or
    `quarantine.outcome`. A failed execution has no output, so its newest state document counts."""
    documents: list[Any] = [output, *state_documents(history)]
    for document in documents:
        if not isinstance(document, Mapping):
            continue
        for field in ("record", "quarantine"):
            part = document.get(field)
            if isinstance(part, Mapping) and isinstance(part.get("outcome"), str):
                return str(part["outcome"])
    return None


@dataclass(frozen=True)
class SucceededTask:
    state: str
    event_id: int | None
    timestamp: str | None


def succeeded_tasks(history: Sequence[Mapping[str, Any]]) -> list[SucceededTask]:
    """Task states whose Lambda succeeded, in history order. The claims workflow has no
    Parallel or Map state, so a task event belongs to the state entered most recently."""
    current: str | None = None
    out: list[SucceededTask] = []
    for event in history:
        entered = _details(event, "stateEnteredEventDetails")
        if entered.get("name"):
            current = str(entered["name"])
            continue
        if event.get("type") in _TASK_SUCCEEDED and current is not None:
            event_id = event.get("id")
            stamp = event.get("timestamp")
            out.append(
                SucceededTask(
                    state=current,
                    event_id=event_id if isinstance(event_id, int) else None,
                    timestamp=stamp if isinstance(stamp, str) else None,
                )
            )
    return out
