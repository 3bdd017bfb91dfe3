"""The interchange splitter (state `SplitInterchange`): one uploaded X12 837 interchange in,
one claims-workflow execution per CLM loop out.

    read the announced object -> validate (pyx12, the 999) and read the envelope (linear)
    -> invalid: write the 999 next to where QuarantineClaim keeps the original, raise
       InvalidClaimError with every segment/element reason (the ASL's Catch quarantines it)
    -> valid: keep the original, write one part per claim, start one execution per part

Idempotent on the interchange: claim ids, part keys and execution names derive from the
sender, receiver, ISA13 and the claim's position, so a retried or redelivered split writes the
same parts and StartExecution refuses the names it already started.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, Field

from icpa_intake import SERVICE, __version__
from icpa_intake.domain.ports import (
    Acknowledgements,
    ClaimExecutions,
    DuplicateInterchangeError,
    InterchangeStore,
    InterchangeValidator,
    SourceObjects,
)
from icpa_intake.domain.problems import Problem, invalid_claim
from icpa_intake.domain.quarantine import fallback_claim_id
from icpa_intake.domain.x12 import reasons as x12_reasons
from icpa_intake.domain.x12.interchange import MAX_CLAIMS_PER_INTERCHANGE, looks_like_x12, read_interchange
from icpa_intake.domain.x12.mapping import claim_parts, interchange_id_for
from icpa_intake.domain.x12.parts import part_document
from icpa_intake.usecases.intake import record_once
from icpa_shared.audit import AuditStore
from icpa_shared.contracts import StepInput, reasons
from icpa_shared.digest import sha256_hex
from icpa_shared.errors import InvalidClaimError
from icpa_shared.observability.logging import get_logger


class InterchangeSplit(BaseModel):
    """What the splitter did (the ASL discards it: ResultPath null; it is logged)."""

    interchange_id: str
    original_uri: str
    claims: int = Field(ge=1)
    started: int = Field(ge=0)
    """Claims whose execution runs after this call (0 when a re-sent interchange's claims had
    all been decided; see ClaimExecutions.start)."""
    version: str


@dataclass(frozen=True)
class SplitDeps:
    sources: SourceObjects
    validator: InterchangeValidator
    store: InterchangeStore
    acknowledgements: Acknowledgements
    executions: ClaimExecutions
    audit: AuditStore
    clock: Callable[[], datetime]
    max_file_bytes: int = 1024 * 1024
    max_claims: int = MAX_CLAIMS_PER_INTERCHANGE
    version: str = __version__


def split_interchange(step: StepInput, deps: SplitDeps) -> InterchangeSplit:
    source = step.state.source
    blob = deps.sources.read(source, max_bytes=deps.max_file_bytes)
    if blob.exceeds(deps.max_file_bytes):
        raise invalid_claim([Problem(reasons.FILE_TOO_LARGE)], what="interchange")
    if not looks_like_x12(blob.data):
        raise invalid_claim([Problem(x12_reasons.X12_NOT_AN_INTERCHANGE, "ISA")], what="interchange")
    try:
        interchange = read_interchange(blob.data, max_claims=deps.max_claims)
        envelope_error: InvalidClaimError | None = None
    except InvalidClaimError as exc:
        envelope_error = exc
    if envelope_error is not None and x12_reasons.X12_TOO_MANY_CLAIMS in envelope_error.reasons:
        raise envelope_error  # the limit holds before the (costlier) validator reads the file
    validation = deps.validator.validate(blob.data.decode("utf-8-sig", errors="replace"))
    if envelope_error is not None or validation.problems:
        if validation.acknowledgement:
            deps.acknowledgements.write_acknowledgement(fallback_claim_id(source), validation.acknowledgement)
        problems = list(validation.problems)
        if envelope_error is not None:
            problems += [Problem(code) for code in envelope_error.reasons if code not in {p.code for p in problems}]
        get_logger().info("interchange.rejected", reasons=sorted({p.code for p in problems}))
        raise invalid_claim(problems, what="interchange")

    received = (source.event_time or deps.clock()).date()
    interchange_id = interchange_id_for(interchange)
    digest = sha256_hex(blob.data)
    try:
        original_uri = deps.store.keep_original(interchange_id, blob.data, digest)
    except DuplicateInterchangeError:
        # TA1 025: the sender reused ISA13 for other content. Neither file's claims are touched.
        raise invalid_claim([Problem(x12_reasons.X12_DUPLICATE_INTERCHANGE, "ISA13")], what="interchange") from None
    started = 0
    claim_ids: list[str] = []
    for part in claim_parts(interchange, received=received):
        part_source = deps.store.put_part(interchange_id, part.position, part_document(part, original_uri=original_uri))
        state = {"schema_version": "1.0", "source": part_source.model_dump(mode="json", exclude_none=True)}
        started += deps.executions.start(part.fields["claim_id"], state)
        claim_ids.append(part.fields["claim_id"])
    result = InterchangeSplit(
        interchange_id=interchange_id,
        original_uri=original_uri,
        claims=len(claim_ids),
        started=started,
        version=deps.version,
    )
    # One event on the interchange's own chain: which claims it became (each claim's own chain
    # starts at its Intake). Once per input, so a retried split adds nothing.
    record_once(
        deps.audit,
        version=deps.version,
        claim_id=interchange_id,
        step="split",
        decision="SPLIT",
        input_value={"interchange_id": interchange_id, "claim_digest": digest},
        output_value={"claim_ids": claim_ids, "original_uri": original_uri},
        occurred_at=deps.clock(),
        execution_id=step.execution_id,
    )
    get_logger().info("interchange.split", service=SERVICE, **result.model_dump(exclude={"version"}))
    return result
