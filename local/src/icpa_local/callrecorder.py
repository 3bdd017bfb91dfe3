"""Every AWS API call a principal of the template makes while the local cloud runs.

The IAM fidelity check (tests/iam) replays these calls against the template's roles: moto models
neither IAM nor KMS, so without it a role missing a grant stays green locally and fails on AWS.

Who made a call is a thread-local "principal", the template logical id of what is acting:
- a Lambda function while its handler runs (`moto_patches.running_handler(logical_id)`);
- the state machine (`STATE_MACHINE`) for the Lambda invokes its interpreter makes;
- an EventBridge rule (`rule_principal(name)`) for the executions its target starts.
Calls made with no principal (the test driver, moto's own plumbing) are nobody's and are not
recorded.

The hook is botocore's global history recorder (the one behind `aws history`): every client of
every session reports each call to it with its user-level parameters, including clients built
before recording started (the adapters' cached clients).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from botocore.history import BaseHistoryHandler

STATE_MACHINE: Final = "ClaimsStateMachine"  # the template's logical id of the workflow


def rule_principal(rule_name: str) -> str:
    """The principal of an EventBridge rule's target (its role), by the rule's local name."""
    return f"rule:{rule_name}"


@dataclass(frozen=True)
class RecordedCall:
    principal: str
    service: str  # botocore's service name: dynamodb, s3, stepfunctions, bedrock-agent-runtime
    operation: str  # botocore's operation name: PutItem, GetObject, SendTaskSuccess
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    response: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    """The parsed response, filled in when it arrives (empty for calls made through `record`)."""


_local = threading.local()
_lock = threading.Lock()
_recorders: list[CallRecorder] = []
_hooked = False


_NOBODY: Final = ""


def current_principal() -> str | None:
    principal: str | None = getattr(_local, "principal", None)
    return principal or None


@contextlib.contextmanager
def acting_as(principal: str | None) -> Iterator[None]:
    """Calls made on this thread inside the block are `principal`'s (None: keep the caller's)."""
    if principal is None:
        yield
        return
    previous = current_principal()
    _local.principal = principal
    try:
        yield
    finally:
        _local.principal = previous


def unrecorded() -> contextlib.AbstractContextManager[None]:
    """Calls inside the block are nobody's (a test's own reads from inside a handler override)."""
    return acting_as(_NOBODY)


def recording() -> bool:
    """True while a recorder is open (a worker process then reports its handler's calls)."""
    return bool(_recorders)


def record(
    principal: str,
    service: str,
    operation: str,
    params: dict[str, Any] | None = None,
    response: dict[str, Any] | None = None,
) -> RecordedCall:
    """Record a call made on a principal's behalf that no boto3 client of this process makes:
    the interpreter's Lambda invokes, and the calls a handler made in a worker process
    (icpa_local.workers), with their parsed responses."""
    call = RecordedCall(principal, service, operation, dict(params or {}), dict(response or {}))
    with _lock:
        for recorder in _recorders:
            recorder.calls.append(call)
    return call


class _HistoryHandler(BaseHistoryHandler):
    """botocore.history handler: an API_CALL event carries service, operation and params; the
    PARSED_RESPONSE that follows it on the same thread is that call's response."""

    def emit(self, event_type: str, payload: Any, source: str) -> None:
        if not _recorders:
            return
        if event_type == "API_CALL":
            principal = current_principal()
            _local.pending = None
            if principal is not None:
                params = dict(payload.get("params") or {})
                _local.pending = record(principal, str(payload["service"]), str(payload["operation"]), params)
        elif event_type == "PARSED_RESPONSE":
            pending: RecordedCall | None = getattr(_local, "pending", None)
            if pending is not None:
                _local.pending = None
                pending.response.update(payload or {})


def _hook() -> None:
    global _hooked
    if _hooked:
        return
    from botocore.history import get_global_history_recorder

    history = get_global_history_recorder()
    history.add_handler(_HistoryHandler())
    history.enable()
    _hooked = True


class CallRecorder:
    """`with CallRecorder() as rec: ...`; then `rec.calls` holds every principal's calls, each
    with its parsed response (what `icpa cost` sizes DynamoDB units from)."""

    def __init__(self) -> None:
        self.calls: list[RecordedCall] = []

    def __enter__(self) -> CallRecorder:
        with _lock:
            _hook()
            _recorders.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        with _lock:
            if self in _recorders:
                _recorders.remove(self)

    def by_principal(self) -> dict[str, list[RecordedCall]]:
        out: dict[str, list[RecordedCall]] = {}
        for call in list(self.calls):
            out.setdefault(call.principal, []).append(call)
        return out
