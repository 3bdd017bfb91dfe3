"""What Intake writes and returns for an accepted claim, built from the claim (pure)."""

from __future__ import annotations

from datetime import datetime

from icpa_intake.domain.decoding import SourceFormat
from icpa_shared.contracts import (
    Claim,
    ClaimIndexEntry,
    ClaimRecord,
    DecidedBy,
    IndexedLine,
    IntakeResult,
    Outcome,
    SourceObject,
)


def source_identity(source: SourceObject) -> str:
    """One uploaded object: its URI plus its version id (or, unversioned, its ETag). The same
    identity means the same bytes, so a redelivered event is recognized as such."""
    if source.version_id:
        return f"{source.uri}?versionId={source.version_id}"
    return f"{source.uri}#etag={(source.etag or '').strip(chr(34))}"


def index_entry(claim: Claim, *, received_at: datetime | None = None) -> ClaimIndexEntry:
    """`received_at`: the upload's event time (SourceObject.event_time), the same value Fraud
    reads from the workflow state for the claim it assesses."""
    return ClaimIndexEntry(
        claim_id=claim.claim_id,
        member_id=claim.member_id,
        provider_npi=claim.provider_npi,
        service_date=claim.service_date_from,
        lines=[
            IndexedLine(
                procedure_code=line.procedure_code,
                units=line.units,
                charge=line.charge,
                service_date=line.service_date,
            )
            for line in sorted(claim.lines, key=lambda line: line.line_number)
        ],
        total_charge=claim.total_charge,
        received_date=claim.received_date,
        received_at=received_at,
    )


def in_progress_record(
    claim: Claim, *, source: SourceObject, claim_uri: str, execution_id: str, version: str, now: datetime
) -> ClaimRecord:
    return ClaimRecord(
        claim_id=claim.claim_id,
        outcome=Outcome.IN_PROGRESS,
        decided_by=DecidedBy.NONE,
        reason_codes=[],
        source_uri=source.uri,
        claim_uri=claim_uri,
        execution_id=execution_id,
        service_version=version,
        updated_at=now,
    )


def intake_result(
    claim: Claim, *, claim_uri: str, digest: str, source_format: SourceFormat, version: str
) -> IntakeResult:
    return IntakeResult(
        claim_id=claim.claim_id,
        claim_uri=claim_uri,
        claim_digest=digest,
        source_format=source_format,
        line_count=len(claim.lines),
        total_charge=claim.total_charge,
        received_date=claim.received_date,
        service_version=version,
    )
