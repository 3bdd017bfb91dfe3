"""The archiver: EventBridge "Step Functions Execution Status Change" (SUCCEEDED, FAILED,
TIMED_OUT, ABORTED) -> one gzip JSON document in the archive bucket per execution.

A plain Lambda handler (not step_handler): EventBridge invokes it asynchronously, so a raised
TransientDependencyError is retried by Lambda and, after the last retry, dead-lettered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from icpa_audit import __version__
from icpa_audit.domain.archiving import archive_execution, parse_status_change
from icpa_audit.settings import load_settings
from icpa_audit.wiring import SERVICE, ArchiverDeps, default_archiver_deps
from icpa_shared.observability.logging import (
    bind_claim,
    bind_invocation,
    clear_invocation,
    configure_logging,
    get_logger,
)
from icpa_shared.observability.tracing import add_metric, metrics_flushed

configure_logging(service=SERVICE, version=__version__, level=load_settings().log_level)


def handler(event: Mapping[str, Any], context: Any = None, deps: ArchiverDeps | None = None) -> dict[str, Any]:
    log = get_logger()
    bind_invocation(context)
    try:
        change = parse_status_change(event)
        if not change.finished:
            log.info("execution.not_finished", execution=change.name, status=change.status)
            return {"archived": False, "execution_name": change.name, "status": change.status}
        deps = deps or default_archiver_deps()
        receipt = archive_execution(change, deps.ports, now=deps.clock(), archiver_version=__version__)
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
        with metrics_flushed(SERVICE):
            add_metric(SERVICE, "ExecutionArchived")
            # The dashboard's "state transitions per execution" panel (billed per transition).
            add_metric(SERVICE, "StateTransitions", receipt.state_transitions)
            if not receipt.chain_ok:
                # Archived all the same (the archive is the evidence), and alarmed on.
                log.error("audit.chain_broken", execution=receipt.execution_name, key=receipt.key)
                add_metric(SERVICE, "AuditChainBroken")
        return {"archived": True, **receipt.model_dump(mode="json")}
    except Exception as exc:
        log.error("archive.failed", error=type(exc).__name__, detail=str(exc))
        raise
    finally:
        clear_invocation()
