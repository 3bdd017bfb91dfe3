"""Bytes -> an X12 interchange: separators from ISA, segments, envelope checks.

One pass over the text (split on the segment terminator, then each segment on the element
separator), so cost is linear in the file size whatever the loops repeat; the number of claims
is counted before anything is mapped and capped (X12_TOO_MANY_CLAIMS).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from icpa_intake.domain.problems import Problem, invalid_claim
from icpa_intake.domain.x12 import reasons

ISA_LENGTH: Final = 106
"""ISA is fixed-width: 105 characters and its terminator; ISA16 (the component separator) is
character 105, the segment terminator follows it."""

MAX_CLAIMS_PER_INTERCHANGE: Final = 1000
"""CLM loops one upload may carry (X12_TOO_MANY_CLAIMS above it). Each claim becomes one
execution: 1000 keeps one splitter invocation inside its timeout (the validator plus two AWS
calls per claim; benchmarks/x12_parsers.py prints the figures) and the burst of StartExecution
calls inside the account's token bucket. Larger batches are sent as several interchanges."""

PROFESSIONAL: Final = frozenset({"005010X222A1", "005010X222A2"})
INSTITUTIONAL: Final = frozenset({"005010X223A2", "005010X223A3"})


@dataclass(frozen=True)
class Separators:
    element: str
    component: str
    repetition: str
    segment: str


@dataclass(frozen=True)
class Segment:
    """One segment: `elements[0]` is the segment id, `elements[n]` is element n (XXnn)."""

    elements: tuple[str, ...]
    position: int
    """1-based position in the interchange (the ISA is 1)."""

    @property
    def id(self) -> str:
        return self.elements[0]

    def get(self, n: int) -> str:
        """Element n ('' when absent)."""
        return self.elements[n] if n < len(self.elements) else ""


@dataclass(frozen=True)
class Transaction:
    """One ST..SE transaction set of one GS group."""

    group_control_number: str
    implementation: str
    control_number: str
    segments: tuple[Segment, ...]

    @property
    def claim_type(self) -> str:
        return "institutional" if self.implementation in INSTITUTIONAL else "professional"


@dataclass(frozen=True)
class Interchange:
    separators: Separators
    sender_id: str
    receiver_id: str
    control_number: str
    transactions: tuple[Transaction, ...]
    claim_count: int
    problems: list[Problem] = field(default_factory=list)


def _reject(code: str, location: str = "") -> Exception:
    return invalid_claim([Problem(code, location)], what="interchange")


def looks_like_x12(data: bytes) -> bool:
    """An interchange starts with ISA (leading whitespace tolerated)."""
    return data.lstrip()[:3] == b"ISA"


def read_separators(text: str) -> Separators:
    if len(text) < ISA_LENGTH or not text.startswith("ISA"):
        raise _reject(reasons.X12_NOT_AN_INTERCHANGE, "ISA")
    element, repetition, component, segment = text[3], text[82], text[104], text[105]
    chosen = [element, component, segment]
    if len(set(chosen)) != 3 or any(c.isalnum() or c == " " for c in chosen):
        raise _reject(reasons.X12_BAD_SEPARATORS, "ISA16")
    if text[:ISA_LENGTH].count(element) != 16:
        raise _reject(reasons.X12_NOT_AN_INTERCHANGE, "ISA")
    if repetition.isalnum() or repetition in (element, component, segment):
        repetition = ""  # ISA11 is a repetition separator from 00402 on; otherwise unused
    return Separators(element=element, component=component, repetition=repetition, segment=segment)


def split_segments(text: str, separators: Separators) -> list[Segment]:
    out: list[Segment] = []
    for raw in text.split(separators.segment):
        raw = raw.strip("\r\n\t ")
        if raw:
            out.append(Segment(tuple(raw.split(separators.element)), len(out) + 1))
    return out


def read_interchange(data: bytes, *, max_claims: int = MAX_CLAIMS_PER_INTERCHANGE) -> Interchange:
    """The interchange, or InvalidClaimError naming the segment/element at fault."""
    try:
        text = data.decode("utf-8-sig").lstrip()
    except UnicodeDecodeError:
        raise _reject(reasons.X12_NOT_UTF8) from None
    separators = read_separators(text)
    segments = split_segments(text, separators)
    claim_count = sum(1 for s in segments if s.id == "CLM")
    if claim_count > max_claims:
        raise _reject(reasons.X12_TOO_MANY_CLAIMS, "CLM")
    isa = segments[0]
    transactions = _envelope(segments)
    if claim_count == 0:
        raise _reject(reasons.X12_NO_CLAIMS, "CLM")
    return Interchange(
        separators=separators,
        sender_id=isa.get(6).strip(),
        receiver_id=isa.get(8).strip(),
        control_number=isa.get(13),
        transactions=tuple(transactions),
        claim_count=claim_count,
    )


def _counts(value: str, expected: int) -> bool:
    return value.isdigit() and len(value) <= 10 and int(value) == expected


def _check_trailer(segments: list[Segment], i: int, trailer: str, control: str, count: int, where: str = "") -> None:
    """segments[i] is `trailer`, its 02 repeats the header's control number and its 01 counts
    what it closes (segments for SE, transactions for GE, groups for IEA)."""
    if i >= len(segments) or segments[i].id != trailer:
        raise _reject(reasons.X12_ENVELOPE_MISMATCH, f"{where}{trailer}")
    if segments[i].get(2) != control:
        raise _reject(reasons.X12_ENVELOPE_MISMATCH, f"{where}{trailer}02")
    if not _counts(segments[i].get(1), count):
        raise _reject(reasons.X12_SEGMENT_COUNT, f"{where}{trailer}01")


def _envelope(segments: list[Segment]) -> list[Transaction]:
    """ISA (GS (ST..SE)* GE)* IEA, each trailer matching its header's control number and
    counting what it closes. Anything else is X12_ENVELOPE_MISMATCH at the segment."""
    isa = segments[0]
    transactions: list[Transaction] = []
    groups = 0
    i = 1
    n = len(segments)
    while i < n and segments[i].id == "GS":
        gs = segments[i]
        groups += 1
        implementation = gs.get(8)
        sets = 0
        i += 1
        while i < n and segments[i].id == "ST":
            st = segments[i]
            start = i
            i += 1
            while i < n and segments[i].id not in ("SE", "ST", "GE", "IEA"):
                i += 1
            _check_trailer(segments, i, "SE", st.get(2), i - start + 1, where=f"ST{st.get(2)}.")
            if st.get(1) != "837" or (st.get(3) or implementation) not in PROFESSIONAL | INSTITUTIONAL:
                raise _reject(reasons.X12_UNSUPPORTED_TRANSACTION, f"ST{st.get(2)}.ST03")
            transactions.append(
                Transaction(
                    group_control_number=gs.get(6),
                    implementation=st.get(3) or implementation,
                    control_number=st.get(2),
                    segments=tuple(segments[start + 1 : i]),
                )
            )
            sets += 1
            i += 1
        _check_trailer(segments, i, "GE", gs.get(6), sets)
        i += 1
    _check_trailer(segments, i, "IEA", isa.get(13), groups)
    if i + 1 != n:
        raise _reject(reasons.X12_ENVELOPE_MISMATCH, f"SEG{i + 2}")
    return transactions
