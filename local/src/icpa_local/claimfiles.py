"""Which files are claims: what the inbox uploads and `icpa process DIR` picks up.

ICPA JSON and FHIR claims are `.json`; X12 837 interchanges are `.837`, `.x12` or `.txt`. The
workflow itself decides by content (a `.json` that is not a claim is REJECTED with its reason);
this only keeps files that are plainly not claims (a PDF, an empty file) out of the bucket.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

CLAIM_SUFFIXES: Final = (".json", ".837", ".x12", ".txt")


def not_a_claim(path: Path, size: int) -> str | None:
    """Why the file at `path` (of `size` bytes) is not a claim file, or None when it may be one."""
    suffix = path.suffix.lower()
    if suffix not in CLAIM_SUFFIXES:
        shown = f"'{suffix}'" if suffix else "none"
        return f"not a claim file: extension {shown} (claims are {', '.join(CLAIM_SUFFIXES)})"
    if size == 0:
        return "not a claim file: it is empty"
    return None


def claim_files(folder: Path) -> list[Path]:
    """The claim files directly in `folder`, by name (hidden files and subfolders left out)."""
    return sorted(
        p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in CLAIM_SUFFIXES
    )
