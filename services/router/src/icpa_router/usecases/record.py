"""Record one claim's final decision: the decided state in, its ClaimRecord written to the
claims table, the payer's answers (FHIR ClaimResponse; X12 835 for 837 claims) written next to
the claim document, and its decision audited (once per execution)."""

from __future__ import annotations

from dataclasses import dataclass, field

from icpa_router import __version__
from icpa_router.domain.ports import AnswerWriter, ClaimReader, ClaimRecordWriter
from icpa_router.domain.record import record_decision
from icpa_router.usecases import StepDeps
from icpa_shared.audit import newest_head
from icpa_shared.contracts import ClaimRecord, Route, StepInput
from icpa_shared.observability.logging import get_logger
from icpa_shared.payer import PayerIdentity
from icpa_shared.payer.answers import ANSWERED, answers_for


@dataclass(frozen=True)
class RecordDeps(StepDeps):
    records: ClaimRecordWriter
    documents: ClaimReader
    answers: AnswerWriter
    payer: PayerIdentity = field(default_factory=PayerIdentity)


def record_final_decision(step: StepInput, deps: RecordDeps) -> ClaimRecord:
    state = step.state
    decided = record_decision(
        state, execution_id=step.execution_id, service_version=__version__, updated_at=deps.clock()
    )
    record = decided.record
    # The record first: a retry after a failed audit write rewrites the same record (an update);
    # the decision event is once per execution, so a retry after a successful audit write (or
    # a resumed execution) does not append a second decision for one outcome.
    deps.records.put_record(record)
    answered = _answer(step, deps, record)
    deps.audit.record(
        claim_id=record.claim_id,
        step="decision",
        decision=record.outcome.value,
        input_value=state.model_dump(mode="json", include={"final", "routing", "review", "escalation"}),
        output_value=record,
        occurred_at=record.updated_at,
        reason_codes=record.reason_codes,
        execution_id=step.execution_id,
        reviewer_id=decided.reviewer_id,
        rationale=decided.rationale,
        once_per_execution=True,
        # On the head the steps before it returned; not after a review, whose events (request,
        # answer, escalation) came after the Router's and are not in this state: a put on the
        # Router's head would only be refused before the chain read.
        head=None
        if decided.route is Route.HUMAN_REVIEW
        else newest_head(state.intake, state.fraud, state.adjudication, state.routing),
    )
    deps.annotate(claim_id=record.claim_id, outcome=record.outcome.value, route=decided.route.value)
    deps.metrics.claim_decided(record.outcome, decided.route)
    get_logger().info(
        "claim.decided",
        outcome=record.outcome.value,
        decided_by=record.decided_by.value,
        route=decided.route.value,
        reason_codes=record.reason_codes,
        answers=answered,
    )
    return record


def _answer(step: StepInput, deps: RecordDeps, record: ClaimRecord) -> list[str]:
    """The payer's answers for a decided claim (rewritten, the same, on a retry)."""
    state = step.state
    if record.outcome not in ANSWERED or state.intake is None or state.adjudication is None:
        return []
    claim = deps.documents.get(state.intake.claim_uri)
    answers = answers_for(claim, state.adjudication, record, deps.payer)
    return deps.answers.put(answers) if answers is not None else []
