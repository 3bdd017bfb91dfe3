"""Looking a code up in the release in force on a date of service.

`CodeLookup` is the port domain code is given (intake's validation); `CodeSets` implements it
over a manifest and a reader of the manifest's files (files.py reads a directory). Each file is
read once, on the first lookup that needs it, into a frozenset: importing this costs nothing, a
Lambda that never sees a claim of 2025 never reads 2025's files, and a release's headers are
read only when a code is not in its billable list.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Protocol

from icpa_shared.codesets.manifest import CodeFile, CodeSetManifest, CodeSetRelease, CodeSystem
from icpa_shared.errors import IcpaError


class CodeStatus(StrEnum):
    BILLABLE = "BILLABLE"  # in the release in force on that date, and billable
    NOT_BILLABLE = "NOT_BILLABLE"  # exists (a category, E11) but a claim must carry a billable code
    UNKNOWN = "UNKNOWN"  # not in the release in force on that date
    NO_RELEASE = "NO_RELEASE"  # the system has releases, none in force on that date
    NOT_CHECKED = "NOT_CHECKED"  # no release of the system is configured (CPT, unless a deployer adds one)


class CodeLookup(Protocol):
    def status(self, system: CodeSystem, code: str, day: date) -> CodeStatus: ...


class CodeSetError(IcpaError):
    """A code-set file does not match its manifest entry (digest or count), or cannot be read.
    A deployment fault, not the claim's: neither retried nor a rejection (the claim is
    quarantined as ERROR, which pages)."""

    default_reason = "CODE_SET_INVALID"


@dataclass(frozen=True)
class LoadedRelease:
    release: CodeSetRelease
    billable: frozenset[str]
    headers: frozenset[str]


def parse_code_file(entry: CodeFile, data: bytes) -> frozenset[str]:
    """A manifest entry's file -> its codes, refused unless digest and count are the manifest's."""
    digest = hashlib.sha256(data).hexdigest()
    if digest != entry.sha256:
        raise CodeSetError(f"code file {entry.path} has sha256 {digest}, the manifest says {entry.sha256}")
    codes = frozenset(data.decode("ascii").split())
    if len(codes) != entry.codes:
        raise CodeSetError(f"code file {entry.path} has {len(codes)} codes, the manifest says {entry.codes}")
    return codes


class CodeSets:
    """`CodeLookup` over a manifest; `read(path)` returns a file's bytes (the caller's I/O)."""

    def __init__(self, manifest: CodeSetManifest, read: Callable[[str], bytes]) -> None:
        self.manifest = manifest
        self._read = read
        self._systems = manifest.systems()
        self._loaded: dict[str, frozenset[str]] = {}  # by file path
        self._lock = threading.Lock()

    def status(self, system: CodeSystem, code: str, day: date) -> CodeStatus:
        if system not in self._systems:
            return CodeStatus.NOT_CHECKED
        release = self.manifest.release_for(system, day)
        if release is None:
            return CodeStatus.NO_RELEASE
        if code in self._codes(release.billable):
            return CodeStatus.BILLABLE
        # Headers are read only when a code is not billable (most claims never need them).
        if release.headers is not None and code in self._codes(release.headers):
            return CodeStatus.NOT_BILLABLE
        return CodeStatus.UNKNOWN

    def load(self, release: CodeSetRelease) -> LoadedRelease:
        """Both files of a release, read and checked now (tools and tests)."""
        headers = self._codes(release.headers) if release.headers is not None else frozenset()
        return LoadedRelease(release=release, billable=self._codes(release.billable), headers=headers)

    def _codes(self, entry: CodeFile) -> frozenset[str]:
        codes = self._loaded.get(entry.path)
        if codes is None:
            with self._lock:  # one read per file even when threads race for the first lookup
                codes = self._loaded.get(entry.path)
                if codes is None:
                    codes = parse_code_file(entry, self._read(entry.path))
                    self._loaded[entry.path] = codes
        return codes
