"""Code sets that exist: versioned code lists with effective dates, looked up by date of service.

    codes = open_code_sets()                        # bundled data/ (or a deployer's directory)
    codes.status(CodeSystem.ICD10CM, "E11.9", date(2026, 3, 2))  -> CodeStatus.BILLABLE

The data is precomputed by build-support/codesets/ and shipped as sorted newline files with a
manifest (release name, effective dates, digests, counts); see data/README.md.
"""

from icpa_shared.codesets.lookup import CodeLookup, CodeSetError, CodeSets, CodeStatus
from icpa_shared.codesets.manifest import CodeFile, CodeSetManifest, CodeSetRelease, CodeSystem

__all__ = [
    "CodeFile",
    "CodeLookup",
    "CodeSetError",
    "CodeSetManifest",
    "CodeSetRelease",
    "CodeSets",
    "CodeStatus",
    "CodeSystem",
]
