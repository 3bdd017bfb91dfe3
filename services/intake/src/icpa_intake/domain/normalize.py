"""Reading a claim file: bytes -> a candidate claim -> a validated shared `Claim`.

    draft = read_claim(data, max_bytes=..., today=..., limits=..., codes=...)  # format, fields, problems
    policy = <look up draft.policy_id>                                # the caller's port
    claim = accept_draft(draft, policy)                              # or InvalidClaimError

Every problem found on the way is kept, so the InvalidClaimError lists all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import TypeAdapter, ValidationError

from icpa_intake.domain.decoding import DecodedDocument, SourceFormat, decode_document, parse_json
from icpa_intake.domain.fhir_mapping import map_fhir_claim
from icpa_intake.domain.problems import Problem, invalid_claim
from icpa_intake.domain.validation import Limits, policy_problems, rule_problems, validate_contract
from icpa_intake.domain.x12.parts import read_part
from icpa_shared.codesets import CodeLookup
from icpa_shared.contracts import Claim, ClaimSource, Policy, reasons
from icpa_shared.contracts.claim import SourceFormatName
from icpa_shared.contracts.types import ClaimId, PolicyId

_POLICY_ID: TypeAdapter[str] = TypeAdapter(PolicyId)
_CLAIM_ID: TypeAdapter[str] = TypeAdapter(ClaimId)

_PROVENANCE: dict[SourceFormat, SourceFormatName] = {"icpa": "icpa-json", "fhir": "fhir-claim"}


def _valid_policy_id(value: object) -> str | None:
    try:
        return _POLICY_ID.validate_python(value)
    except ValidationError:
        return None


@dataclass(frozen=True)
class ClaimDraft:
    source_format: SourceFormat
    fields: dict[str, Any]
    claim: Claim | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def policy_id(self) -> str | None:
        """The policy to look up, when the file names a well-formed one."""
        return _valid_policy_id(self.fields.get("policy_id"))

    @property
    def claim_id(self) -> str | None:
        """The file's claim id when it is a well-formed one (an ill-formed one is a problem
        of the draft, and is never logged: it can be any length and carry anything)."""
        try:
            return _CLAIM_ID.validate_python(self.fields.get("claim_id"))
        except ValidationError:
            return None


def read_claim(
    data: bytes,
    *,
    max_bytes: int,
    today: date,
    limits: Limits,
    codes: CodeLookup,
    x12_part: bool = False,
    subscriber_of: Callable[[str], str | None] | None = None,
) -> ClaimDraft:
    """Decode, map (FHIR) and check a file. Raises InvalidClaimError only when the file cannot
    be read at all (size, encoding, JSON, format); field problems are collected in the draft.
    `x12_part`: the file is a claim part the interchange splitter wrote (domain.x12.parts);
    X12 carries no subscriber (policy holder) id, so `subscriber_of(policy_id)` supplies it."""
    document = decode_x12_part(data, max_bytes=max_bytes) if x12_part else decode_document(data, max_bytes=max_bytes)
    problems: list[Problem] = []
    if document.source_format == "x12":
        part = read_part(document.body)
        fields, part_problems = part if part is not None else ({}, [Problem(reasons.UNSUPPORTED_FORMAT)])
        problems += part_problems
        policy_id = _valid_policy_id(fields.get("policy_id"))
        if fields.get("subscriber_id") is None and policy_id and subscriber_of is not None:
            fields["subscriber_id"] = subscriber_of(policy_id)
    elif document.source_format == "fhir":
        mapping = map_fhir_claim(document.body)
        fields = mapping.fields
        problems += mapping.problems
    else:
        fields = dict(document.body)
    if fields and document.source_format != "x12":  # the format read, whatever the file says
        fields["source"] = ClaimSource(format=_PROVENANCE[document.source_format]).model_dump()
    claim: Claim | None = None
    if fields:  # a FHIR resource that failed FHIR validation has nothing to check further
        claim, contract = validate_contract(fields)
        problems += contract
    problems += rule_problems(fields, today=today, limits=limits, codes=codes)
    return ClaimDraft(source_format=document.source_format, fields=fields, claim=claim, problems=problems)


def decode_x12_part(data: bytes, *, max_bytes: int) -> DecodedDocument:
    """A part is JSON the splitter wrote: no size or nesting surprises, but read as strictly."""
    if len(data) > max_bytes:
        raise invalid_claim([Problem(reasons.FILE_TOO_LARGE)], what="file")
    try:
        body = parse_json(data)
    except (ValueError, RecursionError):
        raise invalid_claim([Problem(reasons.MALFORMED_JSON)], what="file") from None
    return DecodedDocument(source_format="x12", body=body if isinstance(body, dict) else {})


def accept_draft(draft: ClaimDraft, policy: Policy | None) -> Claim:
    """The validated claim, or InvalidClaimError with every problem (file and policy)."""
    problems = list(draft.problems)
    if draft.policy_id is not None:
        problems += policy_problems(draft.fields, policy)
    if problems or draft.claim is None:
        raise invalid_claim(problems or [Problem("SCHEMA_VIOLATION")])
    return draft.claim
