"""The small ports Intake's use cases talk to; adapters/ has the AWS implementations and the
tests have in-memory fakes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from icpa_intake.domain.problems import Problem
from icpa_shared.contracts import Claim, ClaimIndexEntry, ClaimRecord, Outcome, Policy, SourceObject


@dataclass(frozen=True)
class SourceBlob:
    """The uploaded object's first `max_bytes + 1` bytes and its full size."""

    data: bytes
    size: int

    def exceeds(self, max_bytes: int) -> bool:
        return self.size > max_bytes or len(self.data) > max_bytes


class SourceObjects(Protocol):
    def read(self, source: SourceObject, *, max_bytes: int) -> SourceBlob:
        """Raises ClaimNotFoundError (SOURCE_NOT_FOUND / SOURCE_CHANGED) when the announced
        object cannot be read."""
        ...


class Policies(Protocol):
    def get(self, policy_id: str) -> Policy | None: ...


class ClaimDocuments(Protocol):
    def put(self, claim: Claim) -> str: ...

    def uri_for(self, claim_id: str) -> str: ...


@dataclass(frozen=True)
class ClaimRegistration:
    """The claims-table item Intake writes for an accepted claim."""

    index: ClaimIndexEntry
    record: ClaimRecord
    source_id: str
    claim_digest: str


class Registered(StrEnum):
    NEW = "NEW"  # written now
    ALREADY = "ALREADY"  # this same source object registered it before (a redelivery)


class DuplicateClaimIdError(Exception):
    """Another source object already holds this claim id."""


@dataclass(frozen=True)
class DecisionOwner:
    """The execution that decides an uploaded object, and the claim's outcome when asked
    (None: no record yet, e.g. a quarantine claiming a fresh id)."""

    execution_id: str
    outcome: Outcome | None = None
    record: ClaimRecord | None = None


class ClaimsTable(Protocol):
    def claim_decision(self, claim_id: str, *, source_id: str, execution_id: str) -> DecisionOwner:
        """Conditional write: the first execution to claim the decision on `claim_id` for this
        source object owns it (a retry of that execution still does); returns the owner. An id
        that belongs to another source object raises DuplicateClaimIdError."""
        ...

    def register(self, registration: ClaimRegistration) -> Registered:
        """Conditional write: free ids and ids whose earlier submission was quarantined
        (REJECTED/ERROR) are taken; an id held by another object raises DuplicateClaimIdError."""
        ...

    def file_quarantined(self, record: ClaimRecord, *, source_id: str) -> bool:
        """Write the quarantine outcome under `record.claim_id` unless that id belongs to another
        source object (then False, nothing written)."""
        ...


@dataclass(frozen=True)
class OriginalCopy:
    """Where the original went: COPIED (uri set), MISSING (the source is gone), REPLACED (a newer
    upload took the key; it has its own event) or NOT_COPIED (S3 refused the copy for a
    permanent reason, e.g. access; `detail` has the error code)."""

    status: str
    uri: str | None = None
    detail: str | None = None


class QuarantineStore(Protocol):
    def keep_original(self, source: SourceObject, claim_id: str) -> OriginalCopy:
        """Server-side copy to `<claim_id>/original`. Transient failures raise
        TransientDependencyError; nothing else raises."""
        ...

    def write_reason(self, claim_id: str, document: dict[str, Any]) -> str:
        """`<claim_id>/reason.json`; its URI."""
        ...

    def prefix_uri(self, claim_id: str) -> str: ...


class IntakeMetrics(Protocol):
    def claim_accepted(self, source_format: str) -> None: ...

    def claim_quarantined(self, outcome: Outcome) -> None: ...

    def claim_invalid(self) -> None: ...


# --- X12 interchanges (usecases.split) ------------------------------------------------------


@dataclass(frozen=True)
class X12Validation:
    """The implementation-guide check of one interchange: every problem, and the 999 the
    validator wrote (empty when it could not write one)."""

    problems: list[Problem]
    acknowledgement: str = ""


class InterchangeValidator(Protocol):
    def validate(self, text: str) -> X12Validation: ...


class DuplicateInterchangeError(Exception):
    """Another interchange with the same sender, receiver and ISA13 but other bytes was kept."""


class InterchangeStore(Protocol):
    """Where an accepted interchange's original and its per-claim parts are kept."""

    def keep_original(self, interchange_id: str, data: bytes, digest: str) -> str:
        """Keeps the original once; returns its URI. The same bytes again (a retry, a
        redelivery, a re-upload) are fine; other bytes under the same id raise
        DuplicateInterchangeError."""
        ...

    def put_part(self, interchange_id: str, position: int, document: dict[str, Any]) -> SourceObject:
        """Writes one claim part; returns the object a claim workflow execution reads."""
        ...


class Acknowledgements(Protocol):
    def write_acknowledgement(self, claim_id: str, text: str) -> str:
        """The 999 next to the quarantined original; returns its URI."""
        ...


class ClaimExecutions(Protocol):
    def start(self, name: str, state: dict[str, Any]) -> bool:
        """Starts one claims-workflow execution named `name`. True: it runs with this input
        (started now, or, as Step Functions answers a repeated call, still running from an
        earlier one); False: the name already ran, so nothing was started."""
        ...
