"""Archiving one finished execution: its full history and the claim's audit chain, as one
document, under a key derived from the claim and the execution (so redelivery is harmless)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from icpa_audit.domain.history import (
    execution_error,
    execution_input,
    execution_output,
    find_claim_id,
    json_safe,
    parse_json_text,
)
from icpa_audit.domain.models import (
    ARCHIVE_FORM,
    FINISHED_STATUSES,
    ArchivedExecution,
    ArchiveDocument,
    ChainCheck,
    ExecutionArn,
    ExecutionName,
    StateMachineArn,
)
from icpa_audit.domain.ports import AuditReader
from icpa_shared.audit import verify_chain
from icpa_shared.digest import CanonicalForm, sha256_hex
from icpa_shared.errors import ContractViolationError

STATUS_CHANGE_SOURCE: Final = "aws.states"
STATUS_CHANGE_DETAIL_TYPE: Final = "Step Functions Execution Status Change"


def _epoch_millis(value: Any) -> Any:
    # EventBridge sends startDate/stopDate as epoch milliseconds.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if isinstance(value, str) and value.isdigit():
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    return value


class StatusChange(BaseModel):
    """The `detail` of AWS's "Step Functions Execution Status Change" event."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    execution_arn: ExecutionArn = Field(alias="executionArn")
    state_machine_arn: StateMachineArn = Field(alias="stateMachineArn")
    name: ExecutionName
    status: str = Field(pattern=r"^[A-Z_]{3,30}$")
    start_date: AwareDatetime = Field(alias="startDate")
    stop_date: AwareDatetime | None = Field(default=None, alias="stopDate")
    input: str | None = None
    output: str | None = None
    error: str | None = Field(default=None, max_length=256)
    cause: str | None = Field(default=None, max_length=32768)

    _dates = field_validator("start_date", "stop_date", mode="before")(_epoch_millis)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES


def parse_status_change(event: Mapping[str, Any]) -> StatusChange:
    """The EventBridge event, checked at the edge; anything else is a wiring bug."""
    if event.get("source") != STATUS_CHANGE_SOURCE or event.get("detail-type") != STATUS_CHANGE_DETAIL_TYPE:
        raise ContractViolationError("the archiver only handles Step Functions Execution Status Change events")
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        raise ContractViolationError("the status change event has no detail")
    try:
        return StatusChange.model_validate(detail)
    except ValidationError as exc:
        raise ContractViolationError(
            f"the status change event does not match AWS's shape: {exc.error_count()} error(s)"
        ) from exc


class ArchiveReceipt(BaseModel):
    """What the archiver did (the Lambda's return value, and its log line)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    claim_id: str | None
    execution_name: str
    status: str
    history_events: int
    state_transitions: int  # states entered: what Step Functions bills, per execution
    chain_events: int
    chain_ok: bool
    history_sha256: str


def build_archive_document(
    change: StatusChange,
    raw_history: list[dict[str, Any]],
    chain_of: AuditReader,
    *,
    now: datetime,
    archiver_version: str,
) -> ArchiveDocument:
    history = [json_safe(event) for event in raw_history]
    history_dicts: list[dict[str, Any]] = [event for event in history if isinstance(event, dict)]
    # The event may leave input/output out (over EventBridge's size limit): the history has them.
    input_document = parse_json_text(change.input) if change.input is not None else execution_input(history_dicts)
    output_document = parse_json_text(change.output) if change.output is not None else execution_output(history_dicts)
    error, cause = change.error, change.cause
    if error is None and cause is None:
        error, cause = execution_error(history_dicts)

    claim_id = find_claim_id(output_document, history_dicts, input_document)
    chain = chain_of.events(claim_id) if claim_id else []
    return ArchiveDocument(
        canonical=ARCHIVE_FORM,
        archived_at=now,
        archiver_version=archiver_version,
        claim_id=claim_id,
        execution=ArchivedExecution(
            arn=change.execution_arn,
            name=change.name,
            state_machine_arn=change.state_machine_arn,
            status=change.status,  # a finished status: archive_execution checks it first
            start_date=change.start_date,
            stop_date=change.stop_date,
            input=input_document,
            output=output_document,
            error=error,
            cause=cause,
        ),
        history=history_dicts,
        audit_chain=chain,
        chain_verification=ChainCheck.of(verify_chain(chain)),
        history_sha256=history_digest(history_dicts, ARCHIVE_FORM),
    )


def history_digest(history: list[dict[str, Any]], form: CanonicalForm) -> str:
    """sha256 of the JSON-safe history's canonical JSON in `form` (the archive's own)."""
    return sha256_hex(history, form)
