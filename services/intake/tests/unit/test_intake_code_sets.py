"""Codes that exist: a well-formed code must be in the code set in force on the date of service."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from intake_testkit import CODES, TODAY, fixture_json, policies

from icpa_intake.domain.normalize import accept_draft, read_claim
from icpa_intake.domain.validation import Limits
from icpa_shared.codesets import CodeLookup
from icpa_shared.codesets.files import bundled_directory, open_code_sets
from icpa_shared.errors import InvalidClaimError


def problems(body: dict[str, Any], codes: CodeLookup = CODES) -> list[tuple[str, str]]:
    draft = read_claim(json.dumps(body).encode(), max_bytes=1 << 20, today=TODAY, limits=Limits(), codes=codes)
    with pytest.raises(InvalidClaimError):
        accept_draft(draft, policies().get(draft.policy_id or ""))
    return [(p.code, p.location) for p in draft.problems]


def accepted(body: dict[str, Any], codes: CodeLookup = CODES) -> bool:
    draft = read_claim(json.dumps(body).encode(), max_bytes=1 << 20, today=TODAY, limits=Limits(), codes=codes)
    return accept_draft(draft, policies().get(draft.policy_id or "")).claim_id == body["claim_id"]


def with_dates(body: dict[str, Any], day: str) -> dict[str, Any]:
    body.update(service_date_from=day, service_date_to=day)
    for line in body["lines"]:
        line["service_date"] = day
    return body


def test_a_well_formed_code_that_does_not_exist_is_unknown() -> None:
    body = fixture_json("icpa_claim.json")
    body["diagnosis_codes"][1] = "Z99.999"  # passes the format check; no such code
    assert problems(body) == [("UNKNOWN_DIAGNOSIS_CODE", "diagnosis_codes.1")]


def test_a_category_is_not_billable() -> None:
    body = fixture_json("icpa_claim.json")
    body["diagnosis_codes"][0] = "E11"  # type 2 diabetes: bill E11.9 (or another complete code)
    assert problems(body) == [("DIAGNOSIS_NOT_BILLABLE", "diagnosis_codes.0")]
    body["diagnosis_codes"][0] = "E11.9"
    assert accepted(body)


def test_the_date_of_service_picks_the_release() -> None:
    # B88.01 entered ICD-10-CM in FY2026 (2025-10-01); the FY2025 release does not have it.
    body = with_dates(fixture_json("icpa_claim.json"), "2025-09-30")
    body["received_date"] = "2025-10-02"
    body["diagnosis_codes"][0] = "B88.01"
    assert problems(body) == [("UNKNOWN_DIAGNOSIS_CODE", "diagnosis_codes.0")]
    assert accepted(with_dates(body, "2025-10-01"))


def test_an_institutional_claim_uses_its_through_date() -> None:
    body = fixture_json("icpa_claim.json")
    body.update(claim_type="institutional", service_date_from="2025-09-29", service_date_to="2025-10-01")
    body["lines"][0]["service_date"], body["lines"][1]["service_date"] = "2025-09-29", "2025-10-01"
    body["received_date"] = "2025-10-02"
    body["diagnosis_codes"][0] = "B88.01"  # in force on the discharge date
    assert accepted(body)
    body["claim_type"] = "professional"  # a professional claim: its first date of service
    assert problems(body) == [("UNKNOWN_DIAGNOSIS_CODE", "diagnosis_codes.0")]


def test_a_date_before_every_release_cannot_be_checked() -> None:
    body = with_dates(fixture_json("icpa_claim.json"), "2024-09-30")
    body["received_date"] = "2024-10-01"
    assert problems(body) == [
        ("CODE_SET_UNAVAILABLE", "diagnosis_codes.0"),
        ("CODE_SET_UNAVAILABLE", "diagnosis_codes.1"),
    ]


def test_ill_formed_codes_are_reported_once_by_the_format_check() -> None:
    body = fixture_json("icpa_claim.json")
    body["diagnosis_codes"][1] = "U07.1"
    assert problems(body) == [("INVALID_DIAGNOSIS_CODE", "diagnosis_codes.1")] * 2  # contract + rule, as before


def deployer_code_sets(tmp_path: Path, hcpcs: list[str]) -> CodeLookup:
    """The bundled manifest plus a HCPCS release, as a deployer's ICPA_CODE_SETS_DIR would have."""
    source = bundled_directory()
    manifest = json.loads((source / "manifest.json").read_text())
    for release in manifest["releases"]:
        for kind in ("billable", "headers"):
            target = tmp_path / release[kind]["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            node = source
            for part in release[kind]["path"].split("/"):
                node = node / part
            target.write_bytes(node.read_bytes())
    data = "".join(f"{code}\n" for code in sorted(hcpcs)).encode()
    (tmp_path / "hcpcs").mkdir()
    (tmp_path / "hcpcs/billable.txt").write_bytes(data)
    manifest["releases"].append(
        {
            "system": "HCPCS",
            "release": "2026 test list",
            "effective_from": "2026-01-01",
            "billable": {"path": "hcpcs/billable.txt", "sha256": hashlib.sha256(data).hexdigest(), "codes": len(hcpcs)},
            "source": "a test's list",
        }
    )
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return open_code_sets(tmp_path)


def test_hcpcs_is_checked_when_a_deployer_supplies_the_list(tmp_path: Path) -> None:
    body = fixture_json("icpa_claim.json")
    body["lines"][1]["procedure_code"] = "G0999"  # well formed, not on the list
    assert accepted(body)  # bundled: HCPCS has no release, so it is format-checked only
    codes = deployer_code_sets(tmp_path, ["G0008", "J1100"])
    assert problems(body, codes) == [("UNKNOWN_PROCEDURE_CODE", "lines.1.procedure_code")]
    body["lines"][1]["procedure_code"] = "J1100"
    assert accepted(body, codes)
