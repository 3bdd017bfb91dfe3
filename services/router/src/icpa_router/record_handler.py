"""RecordDecision (ResultPath $.record, the end of every non-error path): the final decision
in state -> the claim's ClaimRecord in the claims table, plus its audit event."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Protocol

from icpa_router import __version__
from icpa_router.deps import SERVICE, StepDeps, step_deps
from icpa_router.domain.record import record_decision
from icpa_router.settings import RouterSettings, get_settings
from icpa_shared.adapters.claims import DynamoClaimRecords
from icpa_shared.contracts import ClaimRecord, StepInput
from icpa_shared.handler import step_handler
from icpa_shared.observability.logging import get_logger


class ClaimRecordWriter(Protocol):
    def put_record(self, record: ClaimRecord) -> None: ...


@dataclass(frozen=True)
class Deps(StepDeps):
    records: ClaimRecordWriter


def build_deps(settings: RouterSettings) -> Deps:
    return Deps(records=DynamoClaimRecords(settings.claims_table), **step_deps(settings))


@functools.cache
def default_deps() -> Deps:
    return build_deps(get_settings())


def handle(step: StepInput, deps: Deps) -> ClaimRecord:
    state = step.state
    decided = record_decision(
        state, execution_id=step.execution_id, service_version=__version__, updated_at=deps.clock()
    )
    record = decided.record
    # The record first: a retry after a failed audit write rewrites the same record (an update);
    # the decision event is once per execution, so a retry after a successful audit write (or
    # a resumed execution) does not append a second decision for one outcome.
    deps.records.put_record(record)
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
    )
    deps.annotate(claim_id=record.claim_id, outcome=record.outcome.value, route=decided.route.value)
    deps.metrics.claim_decided(record.outcome, decided.route)
    get_logger().info(
        "claim.decided",
        outcome=record.outcome.value,
        decided_by=record.decided_by.value,
        route=decided.route.value,
        reason_codes=record.reason_codes,
    )
    return record


@step_handler(service=SERVICE, version=__version__, log_level=get_settings().log_level)
def handler(step: StepInput, context: Any) -> ClaimRecord:
    return handle(step, default_deps())
