"""The code-set manifest: which releases of which code system are shipped, and when each is in
force. Pure data (pydantic), read by `files.py`; the manifest file is `data/manifest.json` in
this package, or `manifest.json` in the directory a deployer names (ICPA_CODE_SETS_DIR).

A release is in force from `effective_from` to `effective_to` (both inclusive; open-ended when
`effective_to` is None); releases of one system never overlap, so a date of service picks at
most one. A code set is data: a new release is a new directory and a manifest entry, no code.

The models are built when a manifest is first read (`defer_build`): quarantine and the
splitter import this module through intake's use case but never open code sets, so their cold
start does not build three validators they never use (quarantine: 337 -> 332 ms CPU, medians
of 15 interleaved fresh interpreters; intake, which opens them at init, is unchanged).
"""

from __future__ import annotations

import itertools
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from icpa_shared.contracts.types import Sha256Hex


class CodeSystem(StrEnum):
    ICD10CM = "ICD-10-CM"  # diagnoses (CDC/CMS, public domain)
    HCPCS = "HCPCS"  # HCPCS Level II procedures and supplies (CMS, public)
    CPT = "CPT"  # HCPCS Level I (AMA-licensed: only a deployer's licensed list, never bundled)


RelativePath = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", max_length=200)]
"""A file inside the code-set directory (no absolute paths, no `..` escapes: every part is a plain name)."""


class CodeFile(BaseModel):
    """One sorted newline file of codes, with what the manifest promises about it (checked when
    it is loaded: a file replaced without its manifest entry is refused, not half-trusted)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    path: RelativePath
    sha256: Sha256Hex
    codes: int = Field(ge=1)

    @model_validator(mode="after")
    def _no_parent_parts(self) -> Self:
        if ".." in self.path.split("/"):
            raise ValueError("a code file's path must stay inside the code-set directory")
        return self


class CodeSetRelease(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    system: CodeSystem
    release: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    effective_from: date
    effective_to: date | None = None
    billable: CodeFile
    """Codes a claim may carry."""
    headers: CodeFile | None = None
    """Codes that exist but may not be billed (ICD-10-CM categories and subcategories)."""
    source: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    note: Annotated[str, StringConstraints(max_length=1000)] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError(f"{self.system} {self.release}: effective_to is before effective_from")
        return self

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


class CodeSetManifest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    schema_version: Literal["1.0"] = "1.0"
    releases: list[CodeSetRelease] = Field(max_length=200)

    @model_validator(mode="after")
    def _no_overlap(self) -> Self:
        by_system: dict[CodeSystem, list[CodeSetRelease]] = {}
        for release in self.releases:
            by_system.setdefault(release.system, []).append(release)
        for system, releases in by_system.items():
            ordered = sorted(releases, key=lambda r: r.effective_from)
            for earlier, later in itertools.pairwise(ordered):
                if earlier.effective_to is None or earlier.effective_to >= later.effective_from:
                    raise ValueError(
                        f"{system} releases {earlier.release!r} and {later.release!r} overlap: "
                        "a date of service must pick one release"
                    )
        return self

    def systems(self) -> frozenset[CodeSystem]:
        return frozenset(release.system for release in self.releases)

    def release_for(self, system: CodeSystem, day: date) -> CodeSetRelease | None:
        for release in self.releases:
            if release.system is system and release.in_force_on(day):
                return release
        return None
