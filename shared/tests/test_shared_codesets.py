"""Code sets: the bundled releases, release selection by date, manifest rules, lazy checked loads."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from icpa_shared.codesets import CodeSetError, CodeSetManifest, CodeSets, CodeStatus, CodeSystem
from icpa_shared.codesets.files import bundled_code_sets, bundled_directory, open_code_sets

ICD = CodeSystem.ICD10CM


def test_the_bundled_releases_know_billable_codes_categories_and_nonsense() -> None:
    codes = bundled_code_sets()
    for day in (date(2025, 3, 1), date(2026, 3, 1), date(2026, 10, 6)):
        assert codes.status(ICD, "E11.9", day) is CodeStatus.BILLABLE
        assert codes.status(ICD, "S83.241A", day) is CodeStatus.BILLABLE  # 7th character
        assert codes.status(ICD, "E11", day) is CodeStatus.NOT_BILLABLE
        assert codes.status(ICD, "S83.241", day) is CodeStatus.NOT_BILLABLE  # needs its 7th character
        assert codes.status(ICD, "Z99.999", day) is CodeStatus.UNKNOWN


def test_the_release_in_force_on_the_date_is_used() -> None:
    codes = bundled_code_sets()
    # B88.01 is new in FY2026; E72.53 was split into subcodes then (billable before, a category after).
    assert codes.status(ICD, "B88.01", date(2025, 9, 30)) is CodeStatus.UNKNOWN
    assert codes.status(ICD, "B88.01", date(2025, 10, 1)) is CodeStatus.BILLABLE
    assert codes.status(ICD, "E72.53", date(2025, 9, 30)) is CodeStatus.BILLABLE
    assert codes.status(ICD, "E72.53", date(2025, 10, 1)) is CodeStatus.NOT_BILLABLE
    assert codes.status(ICD, "E11.9", date(2024, 9, 30)) is CodeStatus.NO_RELEASE


def test_systems_without_a_release_are_not_checked() -> None:
    assert bundled_code_sets().status(CodeSystem.CPT, "99213", date(2026, 3, 1)) is CodeStatus.NOT_CHECKED
    assert bundled_code_sets().status(CodeSystem.HCPCS, "G0008", date(2026, 3, 1)) is CodeStatus.NOT_CHECKED


def test_the_bundled_manifest_matches_its_files() -> None:
    codes = open_code_sets()
    for release in codes.manifest.releases:
        loaded = codes.load(release)  # raises CodeSetError on a digest or count mismatch
        assert len(loaded.billable) == release.billable.codes > 70_000
        assert not loaded.billable & loaded.headers


def release(system: str, start: str, end: str | None, path: str = "a.txt") -> dict[str, object]:
    entry = {"path": path, "sha256": "0" * 64, "codes": 1}
    return {
        "system": system,
        "release": start,
        "effective_from": start,
        "effective_to": end,
        "billable": entry,
        "source": "test",
    }


def test_releases_of_one_system_may_not_overlap() -> None:
    with pytest.raises(ValidationError, match="overlap"):
        CodeSetManifest.model_validate(
            {"releases": [release("HCPCS", "2026-01-01", None), release("HCPCS", "2026-04-01", None)]}
        )
    with pytest.raises(ValidationError, match="overlap"):
        CodeSetManifest.model_validate(
            {"releases": [release("HCPCS", "2026-01-01", "2026-04-01"), release("HCPCS", "2026-04-01", None)]}
        )
    ok = CodeSetManifest.model_validate(
        {
            "releases": [
                release("HCPCS", "2026-01-01", "2026-03-31"),
                release("HCPCS", "2026-04-01", None),
                release("CPT", "2026-01-01", None),
            ]
        }
    )
    assert ok.release_for(CodeSystem.HCPCS, date(2026, 3, 31)).release == "2026-01-01"  # type: ignore[union-attr]
    assert ok.release_for(CodeSystem.HCPCS, date(2026, 4, 1)).release == "2026-04-01"  # type: ignore[union-attr]


@pytest.mark.parametrize("path", ["../etc/passwd", "/abs.txt", "a/../../b.txt", "a//b.txt"])
def test_a_code_file_stays_inside_the_directory(path: str) -> None:
    with pytest.raises(ValidationError):
        CodeSetManifest.model_validate({"releases": [release("HCPCS", "2026-01-01", None, path)]})


def write_release(directory: Path, codes: list[str], *, sha256: str | None = None, count: int | None = None) -> None:
    data = "".join(f"{code}\n" for code in codes).encode()
    (directory / "hcpcs.txt").write_bytes(data)
    entry = {"path": "hcpcs.txt", "sha256": sha256 or hashlib.sha256(data).hexdigest(), "codes": count or len(codes)}
    manifest = {"releases": [{**release("HCPCS", "2026-01-01", None), "billable": entry}]}
    (directory / "manifest.json").write_text(json.dumps(manifest))


def test_a_deployer_directory_is_loaded_once_on_first_use(tmp_path: Path) -> None:
    write_release(tmp_path, ["G0008", "J1100"])
    reads: list[str] = []
    opened = open_code_sets(tmp_path)

    def read(relative: str) -> bytes:
        reads.append(relative)
        return (tmp_path / relative).read_bytes()

    codes = CodeSets(opened.manifest, read)
    assert reads == []  # opening reads only the manifest
    assert codes.status(CodeSystem.HCPCS, "J1100", date(2026, 5, 1)) is CodeStatus.BILLABLE
    assert codes.status(CodeSystem.HCPCS, "J1101", date(2026, 5, 1)) is CodeStatus.UNKNOWN
    assert codes.status(CodeSystem.HCPCS, "J1100", date(2025, 12, 31)) is CodeStatus.NO_RELEASE
    assert reads == ["hcpcs.txt"]


def test_a_file_that_does_not_match_its_manifest_entry_is_refused(tmp_path: Path) -> None:
    write_release(tmp_path, ["G0008"], sha256="1" * 64)
    with pytest.raises(CodeSetError, match="sha256"):
        open_code_sets(tmp_path).status(CodeSystem.HCPCS, "G0008", date(2026, 5, 1))
    write_release(tmp_path, ["G0008"], count=2)
    with pytest.raises(CodeSetError, match="2"):
        open_code_sets(tmp_path).status(CodeSystem.HCPCS, "G0008", date(2026, 5, 1))


def test_a_missing_or_invalid_manifest_is_a_code_set_error(tmp_path: Path) -> None:
    with pytest.raises(CodeSetError, match="cannot read"):
        open_code_sets(tmp_path)
    (tmp_path / "manifest.json").write_text('{"releases": [{"system": "LOINC"}]}')
    with pytest.raises(CodeSetError, match="invalid"):
        open_code_sets(tmp_path)


def test_the_bundled_directory_is_package_data() -> None:
    assert (bundled_directory() / "manifest.json").is_file()


def test_headers_are_read_only_when_a_code_is_not_billable() -> None:
    bundled = open_code_sets()
    reads: list[str] = []

    def read(relative: str) -> bytes:
        reads.append(relative)
        node = bundled_directory()
        for part in relative.split("/"):
            node = node / part
        return node.read_bytes()

    codes = CodeSets(bundled.manifest, read)
    assert codes.status(ICD, "E11.9", date(2026, 3, 1)) is CodeStatus.BILLABLE
    assert reads == ["icd10cm-2026-04/billable.txt"]
    assert codes.status(ICD, "E11", date(2026, 3, 1)) is CodeStatus.NOT_BILLABLE
    assert codes.status(ICD, "Z99.999", date(2026, 3, 1)) is CodeStatus.UNKNOWN
    assert reads == ["icd10cm-2026-04/billable.txt", "icd10cm-2026-04/headers.txt"]  # each file once


def test_importing_the_code_sets_builds_no_manifest_validator_until_one_is_read() -> None:
    # Given a fresh interpreter (Lambdas that import the module but never open code sets)
    probe = (
        "import icpa_shared.codesets as c\n"
        "from icpa_shared.codesets.files import bundled_code_sets\n"
        "models = (c.CodeFile, c.CodeSetRelease, c.CodeSetManifest)\n"
        "print([m.__pydantic_complete__ for m in models])\n"
        "bundled_code_sets()\n"
        "print(c.CodeSetManifest.__pydantic_complete__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )

    # Then none is built at import; the manifest's validator (the others' schemas inside it) is
    # built on the first read of a manifest
    assert out.stdout.split("\n")[:2] == ["[False, False, False]", "True"]
