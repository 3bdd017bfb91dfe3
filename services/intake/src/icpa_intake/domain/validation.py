"""Every check a claim must pass, each problem a reason code at a field path.

Two sources of problems are combined so a submitter learns about ALL of them at once:
1. the shared `Claim` contract's own validation (pydantic), mapped to reason codes by the
   failing field and error type (fallback SCHEMA_VIOLATION);
2. Intake's business rules, run on the candidate fields tolerantly (a rule whose inputs do not
   parse stays silent; the contract check reports those). They also cover what the contract's
   model validator would have said but never got to say because a field failed first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter, ValidationError

from icpa_intake.domain import reasons as intake_reasons
from icpa_intake.domain.problems import Problem
from icpa_shared.codesets import CodeLookup, CodeStatus, CodeSystem
from icpa_shared.contracts import Claim, Policy, reasons
from icpa_shared.contracts.claim import MAX_LINES, MIN_CLAIM_DATE
from icpa_shared.contracts.money import (
    AMBIGUOUS_AMOUNT_MESSAGE,
    NEGATIVE_AMOUNT_MESSAGE,
    AmbiguousAmountError,
    NegativeAmountError,
    quantize,
    read_amount,
)
from icpa_shared.contracts.types import Icd10CmCode, Npi, ProcedureCode, S3Uri


@dataclass(frozen=True)
class Limits:
    max_line_charge: Decimal = Decimal("100000")
    max_total_charge: Decimal = Decimal("1000000")
    max_lines: int = MAX_LINES


# --- 1. the contract's validation errors -> reason codes -------------------------------------

_FIELD_CODES: Mapping[str, str] = {
    "diagnosis_codes": reasons.INVALID_DIAGNOSIS_CODE,
    "procedure_code": reasons.INVALID_PROCEDURE_CODE,
    "provider_npi": reasons.INVALID_PROVIDER_ID,
}
_DATE_FIELDS = frozenset({"service_date_from", "service_date_to", "received_date", "service_date", "birth_date"})
# Model-validator messages of the shared Claim/ClaimLine (icpa_shared.contracts.claim).
_MESSAGE_CODES: Sequence[tuple[str, str]] = (
    ("is not the sum of lines", reasons.TOTAL_MISMATCH),
    ("service_date_from is after service_date_to", reasons.DATES_OUT_OF_ORDER),
    ("service dates end after the claim was received", reasons.DATES_OUT_OF_ORDER),
    ("service date is outside the claim's", reasons.DATES_OUT_OF_ORDER),
    ("line charge must be positive", reasons.INVALID_AMOUNT),
)


def location_of(loc: Iterable[Any]) -> str:
    return ".".join(str(part) for part in loc)


def code_for_error(error: Mapping[str, Any]) -> str:
    """One pydantic error -> one reason code, by where it failed and how."""
    loc = tuple(error.get("loc", ()))
    kind = str(error.get("type", ""))
    message = str(error.get("msg", ""))
    names = [part for part in loc if isinstance(part, str)]
    for needle, code in _MESSAGE_CODES:
        if needle in message:
            return code
    if names == ["lines"] and kind == "too_long":
        return reasons.TOO_MANY_LINES
    if names and names[-1] == "amount":
        if kind == "greater_than_equal" or NEGATIVE_AMOUNT_MESSAGE in message:
            return reasons.INVALID_AMOUNT
        if kind == "less_than_equal":
            return reasons.ABSURD_AMOUNT
        if AMBIGUOUS_AMOUNT_MESSAGE in message or kind.startswith("decimal_"):
            return reasons.AMBIGUOUS_AMOUNT
        return reasons.SCHEMA_VIOLATION
    if names and names[-1] in _DATE_FIELDS and kind == "greater_than_equal":
        return reasons.DATE_OUT_OF_RANGE
    if names == ["attachments"] and len(loc) == 2:  # one attachment (not the list) is wrong
        return reasons.INVALID_ATTACHMENT_URI
    if names and names[-1] in _FIELD_CODES:
        # A list that is too short or too long is a structure problem, not a bad code.
        if names[-1] == "diagnosis_codes" and kind in ("too_short", "too_long", "list_type"):
            return reasons.SCHEMA_VIOLATION
        return _FIELD_CODES[names[-1]]
    return reasons.SCHEMA_VIOLATION


def contract_problems(exc: ValidationError) -> list[Problem]:
    return [
        Problem(code_for_error(error), location_of(error.get("loc", ())))
        for error in exc.errors(include_input=False, include_url=False)
    ]


def validate_contract(fields: Mapping[str, Any]) -> tuple[Claim | None, list[Problem]]:
    try:
        return Claim.model_validate(dict(fields)), []
    except ValidationError as exc:
        return None, contract_problems(exc)


_NPI: TypeAdapter[str] = TypeAdapter(Npi)
_PROCEDURE: TypeAdapter[str] = TypeAdapter(ProcedureCode)
_DIAGNOSIS: TypeAdapter[str] = TypeAdapter(Icd10CmCode)
_S3_URI: TypeAdapter[str] = TypeAdapter(S3Uri)


def _is_valid(adapter: TypeAdapter[str], value: str) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


# --- 2. business rules on the candidate fields (tolerant) -------------------------------------


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _hashable(value: Any) -> Any:
    return value if isinstance(value, int | str | Decimal) or value is None else repr(value)


_SUMMABLE = Decimal(10) ** 18  # far beyond any limit, far below where quantize overflows


def _amount(money: Any) -> tuple[Decimal | None, str | None]:
    """What a money field states: its value when it has one that can be summed safely, and the
    reason code when it is not a plain non-negative amount (both None: absent, left to the
    contract check)."""
    value = money.get("amount") if isinstance(money, Mapping) else None
    if value is None:
        return None, None
    try:
        return _summable(read_amount(value)), None
    except NegativeAmountError:
        magnitude = _magnitude(value)
        return (None if magnitude is None else _summable(-magnitude)), reasons.INVALID_AMOUNT
    except AmbiguousAmountError:
        return None, reasons.AMBIGUOUS_AMOUNT


def _magnitude(value: Any) -> Decimal | None:
    # A negative amount still counts in the total check (a submitter learns both problems).
    try:
        return read_amount(value[1:] if isinstance(value, str) else -value)
    except (ValueError, TypeError):
        return None


def _summable(amount: Decimal) -> Decimal | None:
    return amount if abs(amount) < _SUMMABLE else None


def _range_problem(amount: Decimal | None, code: str | None, maximum: Decimal, where: str) -> Problem | None:
    if code is not None:
        return Problem(code, where)
    if amount is None:  # too large to sum
        return Problem(reasons.ABSURD_AMOUNT, where)
    if amount <= 0:
        return Problem(reasons.INVALID_AMOUNT, where)
    if amount > maximum:
        return Problem(reasons.ABSURD_AMOUNT, where)
    return None


def rule_problems(fields: Mapping[str, Any], *, today: date, limits: Limits, codes: CodeLookup) -> list[Problem]:
    problems: list[Problem] = []
    raw_lines = fields.get("lines")
    lines = [line for line in raw_lines if isinstance(line, Mapping)] if isinstance(raw_lines, list) else []
    if isinstance(raw_lines, list) and len(raw_lines) > limits.max_lines:
        problems.append(Problem(reasons.TOO_MANY_LINES, "lines"))

    problems += _amount_problems(fields, lines, limits)
    problems += _date_problems(fields, lines, today)
    problems += _code_problems(fields, lines)
    problems += code_set_problems(fields, lines, codes)
    problems += _attachment_problems(fields)
    return problems


def _amount_problems(fields: Mapping[str, Any], lines: Sequence[Mapping[str, Any]], limits: Limits) -> list[Problem]:
    problems: list[Problem] = []
    summable: list[Decimal] = []
    for index, line in enumerate(lines):
        charge = line.get("charge")
        amount, code = _amount(charge)
        if amount is None and code is None and not (isinstance(charge, Mapping) and "amount" in charge):
            continue
        if amount is not None:
            summable.append(amount)
        problem = _range_problem(amount, code, limits.max_line_charge, f"lines.{index}.charge.amount")
        if problem is not None:
            problems.append(problem)
    total_field = fields.get("total_charge")
    total, code = _amount(total_field)
    if total is None and code is None and not (isinstance(total_field, Mapping) and "amount" in total_field):
        return problems
    problem = _range_problem(total, code, limits.max_total_charge, "total_charge.amount")
    if problem is not None:
        problems.append(problem)
    all_summed = total is not None and bool(lines) and len(summable) == len(lines)
    if all_summed and total is not None and quantize(sum(summable, Decimal("0"))) != quantize(total):
        problems.append(Problem(reasons.TOTAL_MISMATCH, "total_charge.amount"))
    return problems


def _date_problems(fields: Mapping[str, Any], lines: Sequence[Mapping[str, Any]], today: date) -> list[Problem]:
    problems: list[Problem] = []
    start = _date(fields.get("service_date_from"))
    end = _date(fields.get("service_date_to"))
    received = _date(fields.get("received_date"))
    named = {"service_date_from": start, "service_date_to": end, "received_date": received}
    for index, line in enumerate(lines):
        named[f"lines.{index}.service_date"] = _date(line.get("service_date"))
    patient = fields.get("patient")
    if isinstance(patient, Mapping):
        named["patient.birth_date"] = _date(patient.get("birth_date"))
    for where, value in named.items():
        if value is not None and value > today:
            problems.append(Problem(reasons.DATE_IN_FUTURE, where))
        elif value is not None and value < MIN_CLAIM_DATE:
            problems.append(Problem(reasons.DATE_OUT_OF_RANGE, where))
    if start and end and start > end:
        problems.append(Problem(reasons.DATES_OUT_OF_ORDER, "service_date_from"))
    if end and received and end > received:
        problems.append(Problem(reasons.DATES_OUT_OF_ORDER, "received_date"))
    if start and end:
        for index, line in enumerate(lines):
            served = _date(line.get("service_date"))
            if served is not None and not start <= served <= end:
                problems.append(Problem(reasons.DATES_OUT_OF_ORDER, f"lines.{index}.service_date"))
    return problems


def _code_problems(fields: Mapping[str, Any], lines: Sequence[Mapping[str, Any]]) -> list[Problem]:
    problems: list[Problem] = []
    npi = fields.get("provider_npi")
    if isinstance(npi, str) and not _is_valid(_NPI, npi):
        problems.append(Problem(reasons.INVALID_PROVIDER_ID, "provider_npi"))
    diagnoses = fields.get("diagnosis_codes")
    diagnoses = diagnoses if isinstance(diagnoses, list) else []
    for index, code in enumerate(diagnoses):
        if isinstance(code, str) and not _is_valid(_DIAGNOSIS, code):
            problems.append(Problem(reasons.INVALID_DIAGNOSIS_CODE, f"diagnosis_codes.{index}"))
    repeated = {n for n, seen in Counter(_hashable(line.get("line_number")) for line in lines).items() if seen > 1}
    for index, line in enumerate(lines):
        code = line.get("procedure_code")
        if isinstance(code, str) and not _is_valid(_PROCEDURE, code):
            problems.append(Problem(reasons.INVALID_PROCEDURE_CODE, f"lines.{index}.procedure_code"))
        pointers = line.get("diagnosis_pointers")
        dangling = isinstance(pointers, list) and any(isinstance(p, int) and p > len(diagnoses) for p in pointers)
        if diagnoses and dangling:
            problems.append(Problem(reasons.SCHEMA_VIOLATION, f"lines.{index}.diagnosis_pointers"))
        if _hashable(line.get("line_number")) in repeated:
            problems.append(Problem(reasons.SCHEMA_VIOLATION, f"lines.{index}.line_number"))
    return problems


# --- 2b. codes that exist: the release in force on the date of service (icpa_shared.codesets) ---

_DIAGNOSIS_CODES: Mapping[CodeStatus, str] = {
    CodeStatus.UNKNOWN: reasons.UNKNOWN_DIAGNOSIS_CODE,
    CodeStatus.NOT_BILLABLE: reasons.DIAGNOSIS_NOT_BILLABLE,
    CodeStatus.NO_RELEASE: reasons.CODE_SET_UNAVAILABLE,
}
_PROCEDURE_CODES: Mapping[CodeStatus, str] = {
    CodeStatus.UNKNOWN: reasons.UNKNOWN_PROCEDURE_CODE,
    CodeStatus.NOT_BILLABLE: reasons.UNKNOWN_PROCEDURE_CODE,
    CodeStatus.NO_RELEASE: reasons.CODE_SET_UNAVAILABLE,
}


def diagnosis_date(fields: Mapping[str, Any]) -> date | None:
    """The date that picks a claim's ICD-10-CM release: the through (discharge) date of an
    institutional claim, as CMS does for inpatient stays; the first date of service otherwise."""
    if fields.get("claim_type") == "institutional":
        return _date(fields.get("service_date_to"))
    return _date(fields.get("service_date_from"))


def procedure_system(code: str) -> CodeSystem:
    """HCPCS Level II codes start with a letter; CPT (HCPCS Level I) codes with a digit."""
    return CodeSystem.HCPCS if code[:1].isalpha() else CodeSystem.CPT


def code_set_problems(
    fields: Mapping[str, Any], lines: Sequence[Mapping[str, Any]], codes: CodeLookup
) -> list[Problem]:
    """Well-formed codes that the code set in force does not have (or may not be billed).
    Ill-formed codes and unreadable dates are the format checks' to report."""
    problems: list[Problem] = []
    day = diagnosis_date(fields)
    diagnoses = fields.get("diagnosis_codes")
    if day is not None and isinstance(diagnoses, list):
        for index, code in enumerate(diagnoses):
            if isinstance(code, str) and _is_valid(_DIAGNOSIS, code):
                found = _DIAGNOSIS_CODES.get(codes.status(CodeSystem.ICD10CM, code, day))
                if found:
                    problems.append(Problem(found, f"diagnosis_codes.{index}"))
    for index, line in enumerate(lines):
        code, served = line.get("procedure_code"), _date(line.get("service_date"))
        if isinstance(code, str) and served is not None and _is_valid(_PROCEDURE, code):
            found = _PROCEDURE_CODES.get(codes.status(procedure_system(code), code, served))
            if found:
                problems.append(Problem(found, f"lines.{index}.procedure_code"))
    return problems


def _has_control_character(text: str) -> bool:
    return any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in text)


def _attachment_problems(fields: Mapping[str, Any]) -> list[Problem]:
    """A reference the submitter wrote must name one object unambiguously: a trailing newline
    or another control character (which a `$`-anchored check lets through) is refused."""
    attachments = fields.get("attachments")
    if not isinstance(attachments, list):
        return []
    return [
        Problem(reasons.INVALID_ATTACHMENT_URI, f"attachments.{index}")
        for index, uri in enumerate(attachments)
        if isinstance(uri, str) and (_has_control_character(uri) or not _is_valid(_S3_URI, uri))
    ]


# --- 3. the policy on file ------------------------------------------------------------------


def policy_problems(fields: Mapping[str, Any], policy: Policy | None) -> list[Problem]:
    """UNKNOWN_POLICY when the policy is not on file; UNKNOWN_MEMBER when the member is not on
    it; SUBSCRIBER_MISMATCH when the claim names another subscriber."""
    if not isinstance(fields.get("policy_id"), str):
        return []
    if policy is None:
        return [Problem(reasons.UNKNOWN_POLICY, "policy_id")]
    problems: list[Problem] = []
    member_id = fields.get("member_id")
    if isinstance(member_id, str) and not policy.covers_member(member_id):
        problems.append(Problem(reasons.UNKNOWN_MEMBER, "member_id"))
    subscriber_id = fields.get("subscriber_id")
    if isinstance(subscriber_id, str) and subscriber_id != policy.subscriber_id:
        problems.append(Problem(intake_reasons.SUBSCRIBER_MISMATCH, "subscriber_id"))
    return problems
