"""The 5010 implementation-guide check of an 837 interchange, by pyx12 (strict: loops,
segment order and counts, element usage, lengths, code values), and the 999 acknowledgement
it writes.

pyx12 4.0 ships the maps of the HIPAA-adopted errata, 005010X222A1 (837P) and 005010X223A2
(837I). The later errata (X222A2, X223A3) change no loop or segment of the 837 structure, so
their files are checked against the adopted map and the 999 echoes the version the sender
used (ALIASES; see /work/helpers/x12-report.md for the measurement on public files).

Each error becomes a reason code (the 999's IK304 segment syntax error or IK403 element error,
by name) at the segment and element it names: `ST0021.27.CLM05_2`. Values never appear.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator, Mapping
from typing import Any, Final

from icpa_intake.domain.ports import X12Validation
from icpa_intake.domain.problems import Problem

ALIASES: Final[Mapping[str, str]] = {"005010X222A2": "005010X222A1", "005010X223A3": "005010X223A2"}

# 999 IK304 (segment syntax error) and IK403 (element syntax error) code values.
SEGMENT_ERRORS: Final[Mapping[str, str]] = {
    "1": "X12_UNRECOGNIZED_SEGMENT",
    "2": "X12_UNEXPECTED_SEGMENT",
    "3": "X12_REQUIRED_SEGMENT_MISSING",
    "4": "X12_LOOP_OVER_MAXIMUM",
    "5": "X12_SEGMENT_OVER_MAXIMUM_USE",
    "6": "X12_SEGMENT_NOT_IN_TRANSACTION",
    "7": "X12_SEGMENT_OUT_OF_SEQUENCE",
    "8": "X12_SEGMENT_HAS_ELEMENT_ERRORS",
    "I4": "X12_NOT_USED_SEGMENT_PRESENT",
    "I6": "X12_DEPENDENT_SEGMENT_MISSING",
    "I7": "X12_LOOP_UNDER_MINIMUM",
    "I8": "X12_SEGMENT_UNDER_MINIMUM",
    "I9": "X12_DEPENDENT_NOT_USED_SEGMENT_PRESENT",
}
ELEMENT_ERRORS: Final[Mapping[str, str]] = {
    "1": "X12_REQUIRED_ELEMENT_MISSING",
    "2": "X12_CONDITIONAL_ELEMENT_MISSING",
    "3": "X12_TOO_MANY_ELEMENTS",
    "4": "X12_ELEMENT_TOO_SHORT",
    "5": "X12_ELEMENT_TOO_LONG",
    "6": "X12_INVALID_CHARACTER",
    "7": "X12_INVALID_CODE_VALUE",
    "8": "X12_INVALID_DATE",
    "9": "X12_INVALID_TIME",
    "10": "X12_EXCLUSION_VIOLATED",
    "12": "X12_TOO_MANY_REPETITIONS",
    "13": "X12_TOO_MANY_COMPONENTS",
    "I10": "X12_NOT_USED_ELEMENT_PRESENT",
    "I11": "X12_DEPENDENT_NOT_USED_ELEMENT_PRESENT",
    "I12": "X12_ELEMENT_PATTERN_MISMATCH",
    "I13": "X12_DEPENDENT_ELEMENT_MISSING",
    "I6": "X12_CODE_VALUE_NOT_USED",
    "I9": "X12_DEPENDENT_NOT_USED_ELEMENT_PRESENT",
}
ENVELOPE_ERROR: Final = "X12_ENVELOPE_ERROR"  # ISA/GS/ST level (TA1, AK9/IK5 codes)


def _aliased(text: str) -> tuple[str, dict[str, str]]:
    used = {old: new for old, new in ALIASES.items() if old in text}
    for old, new in used.items():
        text = text.replace(f"*{old}", f"*{new}")
    return text, used


def _restore(ack: str, used: dict[str, str]) -> str:
    for old, new in used.items():
        ack = ack.replace(new, old)
    return ack


class Pyx12Validator:
    """`validate(text)`: every error pyx12 finds, and the 999. Cost: 0.3-1 s of map loading,
    then about 26 us per byte (benchmarks/x12_parsers.py prints the figures)."""

    def validate(self, text: str) -> X12Validation:
        import pyx12.params
        import pyx12.x12n_document

        aliased, used = _aliased(text)
        ack, report = io.StringIO(), io.StringIO()
        logging.getLogger("pyx12").setLevel(logging.CRITICAL)
        ok = pyx12.x12n_document.x12n_document(
            param=pyx12.params.params(), src_file=io.StringIO(aliased), fd_997=ack, fd_html=None, fd_json=report
        )
        problems = sorted(set(_problems(json.loads(report.getvalue() or "{}"))))
        if not ok and not problems:
            problems = [Problem(ENVELOPE_ERROR, "ISA")]
        return X12Validation(problems=problems, acknowledgement=_restore(ack.getvalue(), used))


def _problems(report: Mapping[str, Any]) -> Iterator[Problem]:
    for isa in report.get("interchanges", []):
        for _ in isa.get("errors", []):
            yield Problem(ENVELOPE_ERROR, "ISA")
        for gs in isa.get("groups", []):
            for _ in gs.get("errors", []):
                yield Problem(ENVELOPE_ERROR, f"GS{gs.get('gs_control_num', '')}")
            for st in gs.get("transactions", []):
                where = f"ST{st.get('trn_set_control_num', '')}"
                for _ in st.get("errors", []):
                    yield Problem(ENVELOPE_ERROR, where)
                for seg in st.get("segments", []):
                    yield from _segment_problems(where, seg)


def _segment_problems(where: str, seg: Mapping[str, Any]) -> Iterator[Problem]:
    seg_id = str(seg.get("seg_id") or "SEG")
    at = f"{where}.{seg.get('seg_count', '')}.{seg_id}"
    for error in seg.get("errors", []):
        code = str(error.get("err_cde", ""))
        if code != "8":  # "has element errors": the element errors below say which
            yield Problem(SEGMENT_ERRORS.get(code, "X12_SEGMENT_ERROR"), at)
    for ele in seg.get("elements", []):
        sub = ele.get("subele_pos")
        name = f"{seg_id}{int(ele.get('ele_pos') or 0):02d}" + (f"_{sub}" if sub else "")
        for error in ele.get("errors", []):
            yield Problem(ELEMENT_ERRORS.get(str(error.get("err_cde", "")), "X12_ELEMENT_ERROR"), f"{at}.{name}")
