"""An 837 transaction's segments -> one candidate claim per CLM loop (2300), with the context
above it (2000A billing provider, 2000B subscriber, 2000C patient) and the lines below it (2400).

Segment by segment (5010 837P X222 / 837I X223):
- HL*..*20 / 22 / 23 opens the billing provider / subscriber / patient level; NM1*85 (2010AA)
  is the billing provider (NPI in NM109 when NM108 = XX); SBR03 is the ICPA policy id;
  NM1*IL (2010BA) NM109 is the subscriber's ICPA member id (the id on the card), the claim's
  member when there is no 2000C; NM1*QC (2010CA) is a dependent patient, whose ICPA member id
  is REF*1W (5010 gives a dependent no NM109). NM1*PR (2010BB) is the payer. X12 has no
  element for ICPA's subscriber (policy holder) id: `subscriber_id` is left None and Intake
  takes it from the policy SBR03 names (normalize.read_claim's `subscriber_of`).
  DMG02/03 birth date and gender, N3/N4 the address of the name just read.
- CLM01 patient control number, CLM02 total charge, CLM05-1/-3 facility and frequency codes.
- HI composites: ABK principal, ABF other (and ABJ admitting, APR reason for visit on 837I)
  are ICD-10-CM without the dot; BK/BF/BJ are ICD-9-CM: X12_ICD9_DIAGNOSIS.
- NM1*82 (2310B, 837P rendering) / NM1*71 (2310A, 837I attending) NPI is the provider,
  else the billing provider's.
- LX opens a line; SV1 (837P): SV101 HC:code:mod..., SV102 charge, SV104 units, SV107
  diagnosis pointers; SV2 (837I): SV202 HC:code:mod..., SV203 charge, SV205 units;
  DTP*472 the line's service date (D8, or the first day of RD8). DTP*434 (837I statement
  period) is the claim's period; otherwise it spans the lines.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from icpa_intake.domain.problems import Problem
from icpa_intake.domain.x12 import reasons
from icpa_intake.domain.x12.interchange import Interchange, Segment, Transaction

ICD10_QUALIFIERS: Final = {"ABK": "principal", "ABF": "other", "ABJ": "admitting", "APR": "reason"}
ICD9_QUALIFIERS: Final = frozenset({"BK", "BF", "BJ", "PR"})
# HI composites that are not diagnoses (occurrence, value, condition codes, procedures, DRG).
NOT_DIAGNOSES: Final = frozenset({"BP", "BBR", "BO", "BQ", "BR", "BH", "BI", "BE", "BG", "DR", "TC", "BN"})
_GENDER: Final = {"M": "male", "F": "female", "U": "unknown"}


@dataclass
class ClaimPart:
    """One CLM loop as candidate `Claim` fields, and what the mapping itself found wrong."""

    position: int
    fields: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Party:
    name: str = ""
    birth_date: str | None = None
    gender: str = "unknown"
    address: dict[str, Any] | None = None
    ids: dict[str, str] = field(default_factory=dict)
    npi: str | None = None


def interchange_id_for(interchange: Interchange) -> str:
    """Deterministic on sender, receiver and ISA13: a re-sent interchange has the same id (and
    its claims the same claim ids, which Intake's duplicate checks see), another sender's never."""
    key = f"{interchange.sender_id}|{interchange.receiver_id}|{interchange.control_number}"
    return f"X12-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def claim_id_for(interchange: Interchange, position: int) -> str:
    """The interchange's id and the 1-based CLM position: also the execution's name."""
    return f"{interchange_id_for(interchange)}-{position:04d}"


def claim_parts(interchange: Interchange, *, received: date) -> Iterator[ClaimPart]:
    position = 0
    for transaction in interchange.transactions:
        for claim in _claims_of(transaction, interchange):
            position += 1
            yield claim.finish(interchange, transaction, position, received)


def _x12_date(value: str, where: str, problems: list[Problem]) -> str | None:
    """CCYYMMDD (D8, or one end of RD8) -> ISO date; a calendar date, no time or zone."""
    try:
        if len(value) != 8 or not value.isdigit():
            raise ValueError(value)
        return date(int(value[:4]), int(value[4:6]), int(value[6:8])).isoformat()
    except ValueError:
        problems.append(Problem(reasons.X12_BAD_DATE, where))
        return None


def _decimal(value: str) -> Decimal | str:
    try:
        return Decimal(value)
    except InvalidOperation:
        return value  # left as the text: the contract check reports it as an invalid amount


def _units(value: str) -> int | str:
    number = _decimal(value or "1")
    if isinstance(number, Decimal) and number == number.to_integral_value() and abs(number) < 10**6:
        return int(number)
    return value  # fractional or not a number: the contract check refuses it


def _icd10(code: str) -> str:
    """X12 carries ICD-10-CM without its dot: J0190 -> J01.90."""
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 else code


class _ClaimBuilder:
    def __init__(self, clm: Segment, context: dict[str, Any], component: str) -> None:
        self.clm = clm
        self.context = context
        self.component = component
        self.problems: list[Problem] = []
        self.diagnoses: list[str] = []
        self.lines: list[dict[str, Any]] = []
        self.statement: tuple[str | None, str | None] | None = None
        self.provider_npi: str | None = None
        self.line: dict[str, Any] | None = None

    def add(self, seg: Segment, transaction: Transaction) -> None:
        sid = seg.id
        where = f"ST{transaction.control_number}.{seg.position}.{sid}"
        if sid == "HI":
            self._hi(seg, where)
        elif sid == "NM1" and seg.get(1) in ("82", "71") and seg.get(8) == "XX" and self.line is None:
            self.provider_npi = seg.get(9)
        elif sid == "DTP" and seg.get(1) == "434" and self.line is None:
            begin, _, end = seg.get(3).partition("-")
            self.statement = (
                _x12_date(begin, f"{where}03", self.problems),
                _x12_date(end or begin, f"{where}03", self.problems),
            )
        elif sid == "LX":
            self.line = {"line_number": len(self.lines) + 1}
            self.lines.append(self.line)
        elif sid in ("SV1", "SV2") and self.line is not None:
            self._service(seg, where)
        elif sid == "DTP" and seg.get(1) == "472" and self.line is not None:
            self.line["service_date"] = _x12_date(seg.get(3).partition("-")[0], f"{where}03", self.problems)

    def _hi(self, seg: Segment, where: str) -> None:
        for n, composite in enumerate(seg.elements[1:], start=1):
            qualifier, _, code = composite.partition(self.component)
            code = code.partition(self.component)[0]
            if qualifier in ICD10_QUALIFIERS:
                self.diagnoses.append(_icd10(code))
            elif qualifier in ICD9_QUALIFIERS:
                self.problems.append(Problem(reasons.X12_ICD9_DIAGNOSIS, f"{where}{n:02d}_1"))
            elif qualifier not in NOT_DIAGNOSES:
                self.problems.append(Problem(reasons.X12_UNKNOWN_DIAGNOSIS_QUALIFIER, f"{where}{n:02d}_1"))

    def _service(self, seg: Segment, where: str) -> None:
        assert self.line is not None
        if seg.id == "SV1":
            procedure, charge, units = seg.get(1), seg.get(2), seg.get(4)
            pointers = [p for p in seg.get(7).split(self.component) if p]
        else:
            procedure, charge, units = seg.get(2), seg.get(3), seg.get(5)
            pointers = []
        parts = procedure.split(self.component)
        self.line["procedure_code"] = parts[1] if len(parts) > 1 else ""
        self.line["modifiers"] = [m for m in parts[2:6] if m]
        self.line["charge"] = {"amount": _decimal(charge), "currency": "USD"}
        self.line["units"] = _units(units)
        self.line["diagnosis_pointers"] = [_units(p) for p in pointers] or [1]

    def finish(self, interchange: Interchange, transaction: Transaction, position: int, received: date) -> ClaimPart:
        ctx = self.context
        where = f"ST{transaction.control_number}"
        billing: _Party = ctx["billing"]
        subscriber: _Party = ctx["subscriber"]
        patient: _Party | None = ctx["patient"]
        if not subscriber.ids.get("IL"):
            self.problems.append(Problem(reasons.X12_MISSING_SEGMENT, f"{where}.2010BA.NM1"))
        if not self.lines:
            self.problems.append(Problem(reasons.X12_MISSING_SEGMENT, f"{where}.2400.LX"))
        treated = patient if patient is not None else subscriber
        member_id = treated.ids.get("1W") if patient is not None else subscriber.ids.get("IL")
        dates: list[str] = [str(line["service_date"]) for line in self.lines if line.get("service_date")]
        begin, end = self.statement or (min(dates, default=None), max(dates, default=None))
        facility, _, rest = self.clm.get(5).partition(self.component)
        frequency = rest.partition(self.component)[2] or None
        patient_block: dict[str, Any] | None = None
        if treated.name and treated.birth_date:
            patient_block = {"name": treated.name, "birth_date": treated.birth_date, "gender": treated.gender}
            if treated.address:
                patient_block["address"] = treated.address
        fields: dict[str, Any] = {
            "schema_version": "1.0",
            "claim_id": claim_id_for(interchange, position),
            "claim_type": transaction.claim_type,
            "member_id": member_id,
            "subscriber_id": None,  # the policy's (see the module docstring)
            "policy_id": ctx["policy_id"],
            "provider_npi": self.provider_npi or billing.npi,
            "service_date_from": begin,
            "service_date_to": end,
            "received_date": received.isoformat(),
            "diagnosis_codes": self.diagnoses,
            "lines": self.lines,
            "total_charge": {"amount": _decimal(self.clm.get(2)), "currency": "USD"},
            "source": {
                "format": "x12-837i" if transaction.claim_type == "institutional" else "x12-837p",
                "interchange_control_number": interchange.control_number or None,
                "group_control_number": transaction.group_control_number or None,
                "transaction_set_control_number": transaction.control_number or None,
                "claim_position": position,
                "patient_control_number": self.clm.get(1) or None,
                "sender_id": interchange.sender_id or None,
                "receiver_id": interchange.receiver_id or None,
                "payer_name": ctx["payer"].name or None,
                "payer_id": ctx["payer"].ids.get("PR") or None,
                "billing_provider_name": billing.name or None,
                "billing_provider_npi": billing.npi,
                "facility_type_code": facility or None,
                "claim_frequency_code": frequency,
            },
        }
        if patient_block is not None:
            fields["patient"] = patient_block
        return ClaimPart(position=position, fields=fields, problems=self.problems)


def _claims_of(transaction: Transaction, interchange: Interchange) -> Iterator[_ClaimBuilder]:
    """Walk the segments once, keeping the current level's parties; a CLM collects segments up
    to the next CLM or HL."""
    component = interchange.separators.component
    context: dict[str, Any] = {
        "billing": _Party(),
        "subscriber": _Party(),
        "patient": None,
        "payer": _Party(),
        "policy_id": None,
    }
    current: _Party | None = None
    claim: _ClaimBuilder | None = None
    for seg in transaction.segments:
        sid = seg.id
        if sid in ("HL", "CLM") and claim is not None:
            yield claim
            claim = None
        if sid == "HL":
            level = seg.get(3)
            if level == "20":
                context = {**context, "billing": _Party(), "subscriber": _Party(), "patient": None}
                current = context["billing"]
            elif level == "22":
                context = {**context, "subscriber": _Party(), "patient": None, "payer": _Party(), "policy_id": None}
                current = context["subscriber"]
            elif level == "23":
                context = {**context, "patient": _Party()}
                current = context["patient"]
            continue
        if sid == "CLM":
            claim = _ClaimBuilder(seg, context, component)
            continue
        if claim is not None:
            claim.add(seg, transaction)
            continue
        current = _context_segment(seg, context, current)
    if claim is not None:
        yield claim


def _context_segment(seg: Segment, context: dict[str, Any], current: _Party | None) -> _Party | None:
    """A segment above the CLM: who it is about. Returns the party later N3/N4/DMG/REF belong to."""
    sid = seg.id
    if sid == "SBR":
        context["policy_id"] = seg.get(3) or None
        return current
    if sid == "NM1":
        entity = seg.get(1)
        party: _Party | None = {
            "85": context["billing"],
            "IL": context["subscriber"],
            "PR": context["payer"],
            "QC": context["patient"],
        }.get(entity)
        if party is None:
            return None
        person = [seg.get(4), seg.get(3)] if seg.get(2) == "1" else [seg.get(3)]
        party.name = " ".join(p for p in person if p)
        if seg.get(8) == "XX":
            party.npi = seg.get(9) or None
        elif seg.get(9):
            party.ids[entity] = seg.get(9)
        return party
    if current is None:
        return None
    if sid == "DMG" and seg.get(1) == "D8":
        current.birth_date = _x12_date(seg.get(2), "DMG02", [])
        current.gender = _GENDER.get(seg.get(3), "unknown")
    elif sid == "N3":
        current.address = {**(current.address or {}), "line": [x for x in (seg.get(1), seg.get(2)) if x]}
    elif sid == "N4":
        current.address = {**(current.address or {}), "city": seg.get(1) or None, "state": seg.get(2) or None}
        if seg.get(3):
            current.address["postal_code"] = seg.get(3)
    elif sid == "REF" and seg.get(1) == "1W":
        current.ids[seg.get(1)] = seg.get(2)
    return current
