"""The archiver: EventBridge "Step Functions Execution Status Change" (SUCCEEDED, FAILED,
TIMED_OUT, ABORTED) -> one gzip JSON document in the archive bucket per execution.

A plain Lambda handler (not step_handler): EventBridge invokes it asynchronously, so a raised
TransientDependencyError is retried by Lambda and, after the last retry, dead-lettered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from icpa_audit import SERVICE, __version__
from icpa_audit.domain.archiving import parse_status_change
from icpa_audit.settings import get_settings
from icpa_audit.usecase import archive_and_log
from icpa_audit.wiring import ArchiverDeps, default_deps
from icpa_shared.observability.logging import bind_invocation, clear_invocation, configure_logging, get_logger
from icpa_shared.observability.tracing import add_metric, metrics_flushed

configure_logging(service=SERVICE, version=__version__, level=get_settings().log_level)


def handle(event: Mapping[str, Any], deps: ArchiverDeps | None = None) -> dict[str, Any]:
    change = parse_status_change(event)
    if not change.finished:
        get_logger().info("execution.not_finished", execution=change.name, status=change.status)
        return {"archived": False, "execution_name": change.name, "status": change.status}
    deps = deps or default_deps()
    receipt = archive_and_log(change, deps.ports, now=deps.clock(), archiver_version=__version__)
    with metrics_flushed(SERVICE):
        add_metric(SERVICE, "ExecutionArchived")
        # The dashboard's "state transitions per execution" panel (billed per transition).
        add_metric(SERVICE, "StateTransitions", receipt.state_transitions)
        if not receipt.chain_ok:
            add_metric(SERVICE, "AuditChainBroken")  # alarmed on
    return {"archived": True, **receipt.model_dump(mode="json")}


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    bind_invocation(context)
    try:
        return handle(event)
    except Exception as exc:
        get_logger().error("archive.failed", error=type(exc).__name__, detail=str(exc))
        raise
    finally:
        clear_invocation()
