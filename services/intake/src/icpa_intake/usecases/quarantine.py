"""The workflow's error-handling use case: keep the original, say why, record the outcome.

The claim id it files under: the accepted claim's (state.intake), else the id the file itself
carries, else `Q-<sha256(bucket/key/etag)[:16]>`. An id that belongs to another uploaded object
is never touched (a duplicate must not overwrite the claim it duplicates): the next candidate is
used. The record is claimed first, then the original is copied and reason.json written, so a
retry after a crash repeats the same steps under the same id. Claiming it also claims the
object's decision: a redelivered event's execution finds the owner and ends with its outcome.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from icpa_intake import SERVICE, __version__
from icpa_intake.adapters.metrics import NoMetrics
from icpa_intake.domain.delivery import delivery_for
from icpa_intake.domain.ports import (
    ClaimsTable,
    DecisionOwner,
    DuplicateClaimIdError,
    IntakeMetrics,
    QuarantineStore,
    SourceObjects,
)
from icpa_intake.domain.quarantine import classify_error, fallback_claim_id, reason_document, sniff_claim_id
from icpa_intake.domain.records import source_identity
from icpa_intake.usecases.intake import record_once
from icpa_shared.audit import AuditStore
from icpa_shared.contracts import (
    ClaimRecord,
    DecidedBy,
    Delivery,
    DeliveryRole,
    Outcome,
    QuarantineResult,
    SourceObject,
    StepInput,
    reasons,
)
from icpa_shared.errors import ClaimNotFoundError, TransientDependencyError
from icpa_shared.observability.logging import bind_claim, get_logger
from icpa_shared.observability.tracing import annotate


@dataclass(frozen=True)
class QuarantineDeps:
    sources: SourceObjects
    quarantine: QuarantineStore
    claims: ClaimsTable
    audit: AuditStore
    clock: Callable[[], datetime]
    max_file_bytes: int = 1024 * 1024
    metrics: IntakeMetrics = field(default_factory=NoMetrics)
    version: str = __version__


def _candidate_ids(step: StepInput, deps: QuarantineDeps) -> list[str]:
    state = step.state
    source = state.source
    first: str | None = state.intake.claim_id if state.intake is not None else None
    if first is None:
        first = _sniff(source, deps)
    candidates = [first] if first else []
    candidates.append(fallback_claim_id(source))
    if source.version_id:
        # Same key and bytes re-uploaded as a new version: the version tells them apart.
        seed = f"{source.bucket}/{source.key}/{source.etag or ''}/{source.version_id}"
        candidates.append(f"Q-{hashlib.sha256(seed.encode()).hexdigest()[:16]}")
    return list(dict.fromkeys(candidates))


def _sniff(source: SourceObject, deps: QuarantineDeps) -> str | None:
    """Best effort, so nothing but a retryable failure stops the quarantine (an object that is
    gone, replaced, unreadable for this role or not JSON just has no id to offer)."""
    try:
        blob = deps.sources.read(source, max_bytes=deps.max_file_bytes)
    except TransientDependencyError:
        raise
    except ClaimNotFoundError:
        return None
    except Exception as exc:
        get_logger().warning("quarantine.source_unreadable", error=type(exc).__name__)
        return None
    return None if blob.exceeds(deps.max_file_bytes) else sniff_claim_id(blob.data)


def quarantine_claim(step: StepInput, deps: QuarantineDeps) -> QuarantineResult:
    log = get_logger()
    state = step.state
    source = state.source
    classification = classify_error(state.error)
    source_id = source_identity(source)
    now = deps.clock()
    claim_uri = state.intake.claim_uri if state.intake is not None else None

    candidates = _candidate_ids(step, deps)
    for claim_id in candidates:
        try:  # one object, one decision: another delivery's execution may have filed it already
            owner = deps.claims.claim_decision(claim_id, source_id=source_id, execution_id=step.execution_id)
        except DuplicateClaimIdError:
            log.warning("quarantine.claim_id_taken", claim_id=claim_id)
            continue
        delivery = delivery_for(owner, step.execution_id)
        if delivery.role is DeliveryRole.DUPLICATE:
            return _decided_by_owner(claim_id, owner, delivery, classification.outcome, deps)
        record = ClaimRecord(
            claim_id=claim_id,
            outcome=classification.outcome,
            decided_by=DecidedBy.NONE,
            reason_codes=classification.reason_codes,
            source_uri=source.uri,
            claim_uri=claim_uri if claim_id == candidates[0] else None,
            quarantine_uri=deps.quarantine.prefix_uri(claim_id),
            execution_id=step.execution_id,
            service_version=deps.version,
            updated_at=now,
        )
        if deps.claims.file_quarantined(record, source_id=source_id):
            break
        log.warning("quarantine.claim_id_taken", claim_id=claim_id)
    else:  # unreachable: the last candidate is derived from this object's own identity
        raise RuntimeError("no claim id available to file the quarantined object under")
    bind_claim(record.claim_id)

    original = deps.quarantine.keep_original(source, record.claim_id)
    deps.quarantine.write_reason(
        record.claim_id,
        reason_document(
            claim_id=record.claim_id,
            classification=classification,
            source=source,
            execution_id=step.execution_id,
            original_uri=original.uri,
            original_status=original.status if original.detail is None else f"{original.status}:{original.detail}",
            quarantined_at=now,
        ),
    )
    result = QuarantineResult(
        claim_id=record.claim_id,
        outcome=classification.outcome,
        reason_codes=classification.reason_codes,
        quarantine_uri=deps.quarantine.prefix_uri(record.claim_id),
        delivery=delivery,
    )
    record_once(
        deps.audit,
        version=deps.version,
        claim_id=record.claim_id,
        step="quarantine",
        decision=classification.outcome.value,
        input_value={
            "source_id": source_id,
            "error": classification.error_name,
            "reason_codes": classification.reason_codes,
            "execution_id": step.execution_id,
        },
        output_value=result,
        occurred_at=now,
        execution_id=step.execution_id,
        reason_codes=classification.reason_codes,
    )
    annotate(SERVICE, claim_id=record.claim_id, outcome=classification.outcome.value)
    deps.metrics.claim_quarantined(classification.outcome)
    log.info(
        "claim.quarantined",
        claim_id=record.claim_id,
        outcome=classification.outcome.value,
        reason_codes=classification.reason_codes,
        original=original.status,
    )
    return result


def _decided_by_owner(
    claim_id: str, owner: DecisionOwner, delivery: Delivery, fallback: Outcome, deps: QuarantineDeps
) -> QuarantineResult:
    """A redelivery of an object another execution decides: its outcome, nothing written."""
    stored = owner.record
    get_logger().info(
        "claim.duplicate_delivery",
        claim_id=claim_id,
        reason=delivery.reason,
        owner_execution_id=delivery.owner_execution_id,
    )
    return QuarantineResult(
        claim_id=claim_id,
        outcome=stored.outcome if stored else fallback,
        reason_codes=(stored.reason_codes if stored else None) or [delivery.reason or reasons.DUPLICATE_DELIVERY],
        quarantine_uri=(stored.quarantine_uri if stored else None) or deps.quarantine.prefix_uri(claim_id),
        delivery=delivery,
    )
