"""Reason codes of X12 intake. A problem's location names the segment and element
(`ST0021.CLM05_2`, `IEA02`), never a value: values are PHI.

Interchange-level (the whole file is REJECTED, a 999 is written when the validator can):
- X12_NOT_AN_INTERCHANGE: the file does not start with a 106-character ISA segment.
- X12_BAD_SEPARATORS: ISA's element/component/segment separators repeat or are letters/digits.
- X12_NOT_UTF8: the bytes are not UTF-8 (X12's extended character set is a subset of it).
- X12_UNSUPPORTED_TRANSACTION: not an 837P (005010X222A1/A2) or 837I (005010X223A2/A3).
- X12_ENVELOPE_MISMATCH: ISA/IEA, GS/GE or ST/SE control numbers differ, or a trailer is missing.
- X12_SEGMENT_COUNT: SE01, GE01 or IEA01 does not count what it encloses.
- X12_TOO_MANY_CLAIMS: more CLM loops than one interchange may carry (a limit, not a crash).
- X12_NO_CLAIMS: a well-formed interchange with no CLM loop.
- X12_DUPLICATE_INTERCHANGE: the sender's ISA13 was already used for another interchange to
  this receiver (X12's TA1 note 025); the first one's claims stand.
- X12_<IK3/IK4 error>: the validator's segment and element errors (see adapters.x12_validator).

Claim-level (that claim is REJECTED, the others go on):
- X12_ICD9_DIAGNOSIS: an HI composite qualified BK/BF/BJ (ICD-9-CM); 5010 claims carry ICD-10.
- X12_UNKNOWN_DIAGNOSIS_QUALIFIER: an HI qualifier that is not a diagnosis code list.
- X12_MISSING_SEGMENT: a segment the claim needs (SBR, NM1*IL, a service line) is absent.
- X12_BAD_DATE: a D8/RD8 date that is not a calendar date.
"""

from __future__ import annotations

from typing import Final

X12_NOT_AN_INTERCHANGE: Final = "X12_NOT_AN_INTERCHANGE"
X12_BAD_SEPARATORS: Final = "X12_BAD_SEPARATORS"
X12_NOT_UTF8: Final = "X12_NOT_UTF8"
X12_UNSUPPORTED_TRANSACTION: Final = "X12_UNSUPPORTED_TRANSACTION"
X12_ENVELOPE_MISMATCH: Final = "X12_ENVELOPE_MISMATCH"
X12_SEGMENT_COUNT: Final = "X12_SEGMENT_COUNT"
X12_TOO_MANY_CLAIMS: Final = "X12_TOO_MANY_CLAIMS"
X12_NO_CLAIMS: Final = "X12_NO_CLAIMS"
X12_DUPLICATE_INTERCHANGE: Final = "X12_DUPLICATE_INTERCHANGE"
X12_ICD9_DIAGNOSIS: Final = "X12_ICD9_DIAGNOSIS"
X12_UNKNOWN_DIAGNOSIS_QUALIFIER: Final = "X12_UNKNOWN_DIAGNOSIS_QUALIFIER"
X12_MISSING_SEGMENT: Final = "X12_MISSING_SEGMENT"
X12_BAD_DATE: Final = "X12_BAD_DATE"
