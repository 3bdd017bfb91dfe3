"""X12 835 (005010X221A1) health care claim payment/advice for one claim that arrived as an 837.

    ISA GS ST  BPR TRN DTM*405  N1*PR N3 N4 PER*BL  N1*PE  LX  CLP NM1*QC DTM*232/233
        (SVC DTM*472 CAS... AMT*B6 LQ*HE)*  SE GE IEA

Balancing (checked by the settlement and again here): per service line SVC02 - CAS = SVC03,
per claim CLP03 - CAS = CLP04, and BPR02 = the sum of CLP04 (one claim per remittance).
Identifiers the 837 carried are echoed: CLP01 is the provider's CLM01; ISA/GS sender and
receiver are the 837's, swapped. Text values are upper-cased and stripped of the separators.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final

from icpa_shared.contracts import ClaimType, Money, Outcome
from icpa_shared.errors import ContractViolationError
from icpa_shared.payer.adjustments import Adjustment, LineSettlement, Settlement, check_balanced
from icpa_shared.payer.identity import PayerIdentity

IMPLEMENTATION: Final = "005010X221A1"
ELEMENT, COMPONENT, SEGMENT, REPETITION = "*", ":", "~", "^"
_UNSAFE: Final = re.compile(r"[^A-Z0-9 .,&'/#()-]")
_MAX_TRIPLETS: Final = 6  # CAS02-CAS19


@dataclass(frozen=True)
class Envelope:
    interchange_control_number: int  # ISA13 / IEA02, 1..999999999
    group_control_number: int  # GS06 / GE02
    created: datetime


def amount(money: Money) -> str:
    """X12 decimal (R): no trailing zeros, no exponent (178.00 -> 178, 12.50 -> 12.5)."""
    text = f"{money.amount:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def text(value: str, limit: int) -> str:
    return _UNSAFE.sub("", value.upper())[:limit].strip()


def _segment(*elements: str) -> str:
    while elements and elements[-1] == "":
        elements = elements[:-1]
    return ELEMENT.join(elements) + SEGMENT


def _cas(adjustments: Iterable[Adjustment]) -> list[str]:
    by_group: dict[str, dict[str, Decimal]] = {}
    for adjustment in adjustments:
        reasons = by_group.setdefault(adjustment.code.group, {})
        reasons[adjustment.code.carc] = reasons.get(adjustment.code.carc, Decimal("0")) + adjustment.amount.amount
    segments = []
    for group, reasons in by_group.items():
        triplets = list(reasons.items())
        for start in range(0, len(triplets), _MAX_TRIPLETS):
            elements = ["CAS", group]
            for carc, value in triplets[start : start + _MAX_TRIPLETS]:
                elements += [carc, amount(Money.of(value)), ""]
            segments.append(_segment(*elements))
    return segments


def _patient_name(settlement: Settlement) -> tuple[str, str]:
    patient = settlement.claim.patient
    if patient is None:
        return "UNKNOWN", ""
    parts = text(patient.name, 95).split()
    if not parts:
        return "UNKNOWN", ""
    return parts[-1][:60], " ".join(parts[:-1])[:35]


def _service_line(line: LineSettlement) -> list[str]:
    procedure = COMPONENT.join(["HC", line.line.procedure_code, *line.line.modifiers])
    segments = [
        _segment("SVC", procedure, amount(line.charge), amount(line.paid), "", str(line.line.units)),
        _segment("DTM", "472", line.line.service_date.strftime("%Y%m%d")),
        *_cas(line.adjustments),
    ]
    if line.allowed.amount > 0:
        segments.append(_segment("AMT", "B6", amount(line.allowed)))
    segments += [
        _segment("LQ", "HE", rarc) for rarc in dict.fromkeys(a.code.rarc for a in line.adjustments if a.code.rarc)
    ]
    return segments


def _check_balance(settlement: Settlement) -> None:
    for line in settlement.lines:  # a settlement built by hand, not by settle(), is checked too
        check_balanced(line)
    if sum((line.charge.amount for line in settlement.lines), Decimal("0")) != settlement.charge.amount:
        raise ContractViolationError("the lines' charges are not the claim's total")


def remittance_835(settlement: Settlement, *, payer: PayerIdentity, envelope: Envelope) -> str:
    claim = settlement.claim
    source = claim.source
    if source is None or not source.format.startswith("x12-"):
        raise ContractViolationError("an 835 answers an X12 837 claim only")
    _check_balance(settlement)
    sender = text(source.receiver_id or payer.interchange_id, 15)
    receiver = text(source.sender_id or claim.provider_npi, 15)
    created = envelope.created
    day, hhmm = created.strftime("%Y%m%d"), created.strftime("%H%M")
    paid = settlement.paid
    icn = f"{envelope.interchange_control_number:09d}"
    gcn = str(envelope.group_control_number)
    trace = f"{claim.claim_id}"[:50]
    if paid.amount > 0:
        bpr = _segment("BPR", "I", amount(paid), "C", "CHK", *[""] * 11, settlement.decided_on.strftime("%Y%m%d"))
    else:
        bpr = _segment("BPR", "H", "0", "C", "NON", *[""] * 11, settlement.decided_on.strftime("%Y%m%d"))
    last, first = _patient_name(settlement)
    payee_name = text(source.billing_provider_name or "PROVIDER", 60) or "PROVIDER"
    payee_npi = source.billing_provider_npi or claim.provider_npi
    status = "1" if settlement.outcome is Outcome.APPROVED and paid.amount > 0 else "4"
    facility = source.facility_type_code or ("13" if claim.claim_type is ClaimType.INSTITUTIONAL else "11")
    pcn = text(source.patient_control_number or claim.claim_id, 38)
    responsibility = settlement.patient_responsibility
    body = [
        _segment("ST", "835", "0001"),
        bpr,
        _segment("TRN", "1", trace, f"1{payer.tax_id}"),
        _segment("DTM", "405", day),
        _segment("N1", "PR", text(payer.name, 60)),
        _segment("N3", text(payer.address_line, 55)),
        _segment("N4", text(payer.city, 30), payer.state, payer.postal_code),
        _segment("PER", "BL", text(payer.contact_name, 60), "TE", payer.contact_phone),
        _segment("N1", "PE", payee_name, "XX", payee_npi),
        _segment("LX", "1"),
        _segment(
            "CLP",
            pcn,
            status,
            amount(settlement.charge),
            amount(paid),
            amount(responsibility) if responsibility.amount > 0 else "",
            payer.claim_filing_indicator,
            claim.claim_id,
            facility,
            source.claim_frequency_code or "1",
        ),
        _segment("NM1", "QC", "1", last, first, "", "", "", "MI", claim.member_id),
        _segment("DTM", "232", claim.service_date_from.strftime("%Y%m%d")),
        _segment("DTM", "233", claim.service_date_to.strftime("%Y%m%d")),
    ]
    for line in settlement.lines:
        body += _service_line(line)
    body.append(_segment("SE", str(len(body) + 1), "0001"))
    header = [
        _segment(
            "ISA",
            "00",
            " " * 10,
            "00",
            " " * 10,
            "ZZ",
            sender.ljust(15),
            "ZZ",
            receiver.ljust(15),
            created.strftime("%y%m%d"),
            hhmm,
            REPETITION,
            "00501",
            icn,
            "0",
            payer.usage,
            COMPONENT,
        ),
        _segment("GS", "HP", sender, receiver, day, hhmm, gcn, "X", IMPLEMENTATION),
    ]
    trailer = [_segment("GE", "1", gcn), _segment("IEA", "1", icn)]
    return "".join(header + body + trailer)
