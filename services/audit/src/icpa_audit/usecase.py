"""Archiving one finished execution (the ArchiverFunction's use case): page the history, read
and verify the claim's chain through the ports, write one document, log what was archived.
Pure of AWS: the ports come in, so it runs on fakes as well as on the real adapters."""

from __future__ import annotations

from datetime import datetime

from icpa_audit.domain.archiving import ArchiveReceipt, StatusChange, build_archive_document
from icpa_audit.domain.models import archive_key
from icpa_audit.domain.ports import ArchiverPorts
from icpa_shared.errors import ContractViolationError
from icpa_shared.observability.logging import bind_claim, get_logger


def archive_execution(
    change: StatusChange, ports: ArchiverPorts, *, now: datetime, archiver_version: str
) -> ArchiveReceipt:
    """Page the whole history, read and verify the claim's chain, write one document.
    A broken chain is archived as found (with its verdict): the archive is the evidence."""
    if not change.finished:
        raise ContractViolationError(f"execution {change.name} has not finished (status {change.status})")
    raw_history = ports.history.events(change.execution_arn)
    document = build_archive_document(change, raw_history, ports.audit, now=now, archiver_version=archiver_version)
    key = archive_key(document.claim_id, document.execution.name)
    ports.archive.put(key, document)
    return ArchiveReceipt(
        key=key,
        claim_id=document.claim_id,
        execution_name=document.execution.name,
        status=document.execution.status,
        history_events=len(document.history),
        state_transitions=sum(1 for e in document.history if str(e.get("type", "")).endswith("StateEntered")),
        chain_events=len(document.audit_chain),
        chain_ok=document.chain_verification.ok,
        history_sha256=document.history_sha256,
    )


def archive_and_log(
    change: StatusChange, ports: ArchiverPorts, *, now: datetime, archiver_version: str
) -> ArchiveReceipt:
    """archive_execution, then the archiver's log lines: what was archived, an execution no
    claim could be found for, and a broken chain (archived all the same: it is the evidence)."""
    log = get_logger()
    receipt = archive_execution(change, ports, now=now, archiver_version=archiver_version)
    if receipt.claim_id:
        bind_claim(receipt.claim_id)
    log.info(
        "execution.archived",
        execution=receipt.execution_name,
        status=receipt.status,
        key=receipt.key,
        history_events=receipt.history_events,
        chain_events=receipt.chain_events,
        chain_ok=receipt.chain_ok,
    )
    if receipt.claim_id is None:
        log.warning("execution.unattributed", execution=receipt.execution_name, key=receipt.key)
    if not receipt.chain_ok:
        log.error("audit.chain_broken", execution=receipt.execution_name, key=receipt.key)
    return receipt
