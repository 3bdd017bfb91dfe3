"""Intake's use case: an uploaded file in, an accepted claim (or InvalidClaimError) out.

    read the announced object -> decode/map/validate (all problems) -> policy on file?
    -> register the claim id (conditional) -> who decides the object? -> store the normalized
    claim with the policy it was validated against -> audit -> IntakeResult

Idempotent on the uploaded object (DECISIONS: idempotency) by the claims table alone: the
registration is conditional, so an object is registered once, and it names the execution that
decides the object (`IntakeResult.delivery`). A redelivered event's execution learns it is a
duplicate before it writes anything: the owner's document and events stay as they are. The
owner's own retry (a Lambda retry after a failure) writes the same document and finds its
event on the chain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from icpa_intake import SERVICE, __version__
from icpa_intake.adapters.metrics import NoMetrics
from icpa_intake.domain import reasons as intake_reasons
from icpa_intake.domain.delivery import delivery_for
from icpa_intake.domain.normalize import accept_draft, read_claim
from icpa_intake.domain.ports import (
    ClaimDocuments,
    ClaimRegistration,
    ClaimsTable,
    DuplicateClaimIdError,
    IntakeMetrics,
    Policies,
    Registered,
    SourceObjects,
)
from icpa_intake.domain.problems import Problem, invalid_claim
from icpa_intake.domain.records import (
    in_progress_record,
    index_entry,
    intake_result,
    source_identity,
)
from icpa_intake.domain.validation import Limits
from icpa_intake.domain.x12.parts import is_part_key
from icpa_shared.audit import AuditRecorder, AuditStore, digest_in_form_of, head_of
from icpa_shared.codesets import CodeLookup
from icpa_shared.codesets.files import bundled_code_sets
from icpa_shared.contracts import (
    AuditEvent,
    ClaimDocument,
    Delivery,
    DeliveryRole,
    IntakeResult,
    Policy,
    PolicySnapshot,
    StepInput,
    reasons,
)
from icpa_shared.digest import sha256_hex
from icpa_shared.errors import InvalidClaimError
from icpa_shared.observability.logging import bind_claim, get_logger
from icpa_shared.observability.tracing import annotate


@dataclass(frozen=True)
class IntakeDeps:
    sources: SourceObjects
    policies: Policies
    documents: ClaimDocuments
    claims: ClaimsTable
    audit: AuditStore
    clock: Callable[[], datetime]
    max_file_bytes: int = 1024 * 1024
    limits: Limits = field(default_factory=Limits)
    metrics: IntakeMetrics = field(default_factory=NoMetrics)
    codes: CodeLookup = field(default_factory=bundled_code_sets)  # wiring: ICPA_CODE_SETS_DIR
    version: str = __version__


def accept_upload(step: StepInput, deps: IntakeDeps) -> IntakeResult:
    try:
        return _accept(step, deps)
    except InvalidClaimError:
        deps.metrics.claim_invalid()
        raise


def _delivery(step: StepInput, deps: IntakeDeps, claim_id: str, source_id: str) -> Delivery:
    """This execution owns the object's decision, or another delivery of the same event does
    (then the workflow ends with that one's). A registration just written answers for itself."""
    try:
        owner = deps.claims.claim_decision(claim_id, source_id=source_id, execution_id=step.execution_id)
    except DuplicateClaimIdError:  # the id went to another object after this one was accepted
        raise invalid_claim([Problem(intake_reasons.DUPLICATE_CLAIM_ID, "claim_id")]) from None
    delivery = delivery_for(owner, step.execution_id)
    if delivery.role is DeliveryRole.DUPLICATE:
        get_logger().info(
            "claim.duplicate_delivery",
            claim_id=claim_id,
            reason=delivery.reason,
            owner_execution_id=delivery.owner_execution_id,
            outcome=delivery.outcome.value if delivery.outcome else None,
        )
    return delivery


def _accept(step: StepInput, deps: IntakeDeps) -> IntakeResult:
    log = get_logger()
    source = step.state.source
    blob = deps.sources.read(source, max_bytes=deps.max_file_bytes)
    if blob.exceeds(deps.max_file_bytes):
        raise invalid_claim([Problem(reasons.FILE_TOO_LARGE)], what="file")
    now = deps.clock()
    looked_up: dict[str, Policy | None] = {}

    def policy_of(policy_id: str) -> Policy | None:  # once per claim, X12 or not
        if policy_id not in looked_up:
            looked_up[policy_id] = deps.policies.get(policy_id)
        return looked_up[policy_id]

    def subscriber_of(policy_id: str) -> str | None:
        policy = policy_of(policy_id)
        return policy.subscriber_id if policy is not None else None

    draft = read_claim(
        blob.data,
        max_bytes=deps.max_file_bytes,
        today=now.date(),
        limits=deps.limits,
        codes=deps.codes,
        x12_part=is_part_key(source.key),
        subscriber_of=subscriber_of,
    )
    if draft.claim_id:
        bind_claim(draft.claim_id)
    policy = policy_of(draft.policy_id) if draft.policy_id else None
    claim = accept_draft(draft, policy)

    digest = sha256_hex(blob.data)
    claim_uri = deps.documents.uri_for(claim.claim_id)
    record = in_progress_record(
        claim, source=source, claim_uri=claim_uri, execution_id=step.execution_id, version=deps.version, now=now
    )
    source_id = source_identity(source)
    registration = ClaimRegistration(
        index=index_entry(claim, received_at=source.event_time),
        record=record,
        source_id=source_id,
        claim_digest=digest,
    )
    try:
        registered = deps.claims.register(registration)
    except DuplicateClaimIdError:
        raise invalid_claim([Problem(intake_reasons.DUPLICATE_CLAIM_ID, "claim_id")]) from None
    result = intake_result(
        claim, claim_uri=claim_uri, digest=digest, source_format=draft.source_format, version=deps.version
    )
    delivery = _delivery(step, deps, claim.claim_id, source_id)
    if delivery.role is DeliveryRole.DUPLICATE:
        # Another execution decides this object: its document (read by its later steps) and
        # its chain are left alone, and this execution ends with its decision.
        return result.model_copy(update={"delivery": delivery})
    # The policy it was validated against goes with it: Fraud and Adjudication decide on it
    # (DECISIONS: point-in-time policy) without reading the table again.
    snapshot = PolicySnapshot.of(policy, read_at=now) if policy is not None else None
    deps.documents.put(ClaimDocument.of(claim, snapshot))
    event = record_once(
        deps.audit,
        version=deps.version,
        claim_id=claim.claim_id,
        step="intake",
        decision="ACCEPTED",
        input_value={"source_id": source_id, "claim_digest": digest},
        output_value=result,
        occurred_at=now,
        execution_id=step.execution_id,
        new_claim=registered is Registered.NEW,
    )
    # Fraud appends its event on this one's head
    result = result.model_copy(update={"audit_head": head_of(event), "delivery": delivery})
    annotate(SERVICE, claim_id=claim.claim_id, source_format=draft.source_format)
    deps.metrics.claim_accepted(draft.source_format)
    log.info(
        "claim.accepted",
        claim_id=claim.claim_id,
        source_format=draft.source_format,
        line_count=len(claim.lines),
        registration=registered.value,
    )
    return result


def record_once(
    store: AuditStore,
    *,
    version: str,
    claim_id: str,
    step: str,
    input_value: Any,
    new_claim: bool = False,
    **fields: Any,
) -> AuditEvent:
    """Audit events are recorded once per fact, so a retried or redelivered step (intake or
    quarantine) does not add a second event for the same input (each event's digest in its own
    canonical form, so an event written before RFC 8785 still matches its redelivery).

    `new_claim`: the claim id was registered just now, so its chain is most likely empty and
    the event is put as its first with no read; a chain that has events (a resubmission after
    a rejection) refuses that put, and the chain is read as without the guess."""
    recorder = AuditRecorder(store=store, service=SERVICE, service_version=version)
    if new_claim:
        first = recorder.append_first(claim_id=claim_id, step=step, input_value=input_value, **fields)
        if first is not None:
            return first
    for event in store.events(claim_id):
        if event.step == step and event.input_digest == digest_in_form_of(event, input_value):
            return event
    return recorder.record(claim_id=claim_id, step=step, input_value=input_value, **fields)
