"""Code sets from a directory: the bundled one (this package's `data/`) or a deployer's
(ICPA_CODE_SETS_DIR, e.g. a Lambda layer at /opt/codesets with a licensed CPT list added).

The directory holds `manifest.json` (manifest.py) and the files it names. Only the manifest is
read when the code sets are opened (at cold start: a bad manifest fails the first invocation
loudly); each release's files are read on first use (lookup.py).
"""

from __future__ import annotations

import functools
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from icpa_shared.codesets.lookup import CodeSetError, CodeSets
from icpa_shared.codesets.manifest import CodeSetManifest

MANIFEST = "manifest.json"


def bundled_directory() -> Traversable:
    return resources.files("icpa_shared.codesets") / "data"


def open_code_sets(directory: Path | Traversable | None = None) -> CodeSets:
    """The code sets in `directory` (default: the bundled ones)."""
    root: Path | Traversable = bundled_directory() if directory is None else directory

    def read(relative: str) -> bytes:
        node: Path | Traversable = root
        for part in relative.split("/"):
            node = node / part
        try:
            return node.read_bytes()
        except OSError as exc:
            raise CodeSetError(f"cannot read code file {relative}: {type(exc).__name__}") from exc

    try:
        manifest = CodeSetManifest.model_validate_json(read(MANIFEST))
    except ValueError as exc:
        raise CodeSetError(f"code-set manifest in {root} is invalid: {exc}") from exc
    return CodeSets(manifest, read)


@functools.cache
def bundled_code_sets() -> CodeSets:
    """The bundled code sets, opened once per process (their files still load on first use)."""
    return open_code_sets()
