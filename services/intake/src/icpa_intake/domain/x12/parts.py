"""A claim part: what the splitter writes per CLM loop and the claim's execution reads.

    {"schema_version": "1.0", "claim_id": ..., "x12_claim": {candidate Claim fields},
     "x12_problems": [[code, location], ...], "x12_original": "s3://.../original.x12"}

It is read as a part only from the splitter's own prefix (PART_PREFIX, a key no inbox upload
can have: uploads are under claims/), so an uploaded file cannot claim X12 provenance.
"""

from __future__ import annotations

import json
from typing import Any, Final

from icpa_intake.domain.problems import Problem
from icpa_intake.domain.x12.mapping import ClaimPart

PART_PREFIX: Final = "interchanges/"


def part_key(interchange_id: str, position: int) -> str:
    return f"{PART_PREFIX}{interchange_id}/{position:04d}.json"


def original_key(interchange_id: str) -> str:
    return f"{PART_PREFIX}{interchange_id}/original.x12"


def is_part_key(key: str) -> bool:
    return key.startswith(PART_PREFIX) and key.endswith(".json")


def part_document(part: ClaimPart, *, original_uri: str) -> dict[str, Any]:
    document = {
        "schema_version": "1.0",
        "claim_id": part.fields["claim_id"],
        "x12_claim": part.fields,
        "x12_problems": [[p.code, p.location] for p in part.problems],
        "x12_original": original_uri,
    }
    # Decimals and dates as the text they were read from: the part is JSON on S3.
    parsed: dict[str, Any] = json.loads(json.dumps(document, default=str))
    return parsed


def read_part(body: Any) -> tuple[dict[str, Any], list[Problem]] | None:
    """The part's candidate claim fields and mapping problems; None when `body` is not a part."""
    if not isinstance(body, dict) or not isinstance(body.get("x12_claim"), dict):
        return None
    listed = body.get("x12_problems")
    rows = listed if isinstance(listed, list) else []
    problems = [Problem(str(p[0]), str(p[1])) for p in rows if isinstance(p, list) and len(p) == 2]
    return dict(body["x12_claim"]), problems
