"""Precompute one ICD-10-CM release for ICPA's code sets (run by hand, outside the build).

The CDC/CMS tabular list reaches us through the PyPI package `simple-icd-10-cm` (MIT), which
parses a ~10 MB XML file when imported (15-100 s here): far too slow for a Lambda cold start.
This script runs that parse once, in a throwaway venv, and writes two sorted newline files that
intake loads into frozensets on first lookup:

    billable.txt   the leaves of the tabular list (codes a claim may carry), with their dot
    headers.txt    categories and subcategories that exist but are not billable (E11, E11.6)

Usage (one release per package version; see shared/src/icpa_shared/codesets/data/README.md):

    python3.11 -m venv /tmp/cs && /tmp/cs/bin/pip install simple-icd-10-cm==1.5.0
    /tmp/cs/bin/python build-support/codesets/icd10cm.py \
        --out shared/src/icpa_shared/codesets/data/icd10cm-fy2026

It prints the manifest entry's figures (counts, sha256 of each file, the source file's name and
digest); the release's name and effective dates are the maintainer's to write in manifest.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from importlib import metadata, resources
from pathlib import Path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="directory for billable.txt and headers.txt")
    args = parser.parse_args()

    import simple_icd_10_cm as cm  # the slow import: the whole tabular list is parsed here

    billable: list[str] = []
    headers: list[str] = []
    for code in cm.get_all_codes(with_dots=True):
        if not cm.is_category_or_subcategory(code):
            continue  # chapters ("1") and blocks ("A00-A09") are not codes a claim can carry
        (billable if cm.is_leaf(code) else headers).append(code)
    if set(billable) & set(headers):
        sys.exit("a code is both a leaf and a header: the package's data is inconsistent")

    args.out.mkdir(parents=True, exist_ok=True)
    files = {"billable": args.out / "billable.txt", "headers": args.out / "headers.txt"}
    for name, codes in (("billable", billable), ("headers", headers)):
        files[name].write_text("".join(f"{code}\n" for code in sorted(set(codes))), encoding="ascii")

    data = resources.files("simple_icd_10_cm") / "data"
    sources = sorted(p.name for p in data.iterdir() if p.name.endswith(".xml"))  # type: ignore[attr-defined]
    sys.stdout.write(
        json.dumps(
            {
                "package": f"simple-icd-10-cm=={metadata.version('simple-icd-10-cm')}",
                "source_files": {name: sha256(Path(str(data / name))) for name in sources},
                "billable_codes": len(set(billable)),
                "header_codes": len(set(headers)),
                "files": {
                    name: {"path": path.name, "sha256": sha256(path), "bytes": path.stat().st_size}
                    for name, path in files.items()
                },
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
