"""EventBridge, both ways (sections 2 and 5 of icpa_local.moto_patches).

2. EventBridge -> Step Functions: `Rule.send_to_targets` has no `states` target in moto. A
   wrapper starts a named execution for such targets, applying the target's InputTransformer
   (moto skips transformers for S3 events) to the event normalized to AWS's S3 shape (moto says
   `eTag` where AWS says `etag`), and passes other targets on to moto.
5. Execution status change: moto emits no "Step Functions Execution Status Change" event. The
   worker's `terminated()` is wrapped to call `on_execution_ended` hooks and to put the AWS-
   shaped event on the default bus, where rules with Lambda targets (also missing in moto's rule
   targets) invoke the in-process handler asynchronously, as EventBridge does.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, Final

from icpa_local import callrecorder
from icpa_local.moto_patches.lambda_inprocess import LambdaContext
from icpa_local.moto_patches.registry import Patch, moto_module
from icpa_local.moto_patches.speed import plumbing_client
from icpa_local.moto_patches.state import STATE, running_handler, scaled

# --- 2. EventBridge -> Step Functions -----------------------------------------------------------

_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")


def execution_name_prefix(key: str) -> str:
    """The deterministic part of the execution name a rule gives an upload of `key` (a remote
    session finds the execution an upload started by this prefix, then by key and ETag)."""
    stem = _NAME_CHARS.sub("-", key.rsplit("/", 1)[-1].rsplit(".", 1)[0]).strip("-")[:40] or "claim"
    return f"{stem}-"


def execution_name_for(event: dict[str, Any]) -> str:
    key = str(event.get("detail", {}).get("object", {}).get("key", "event"))
    return f"{execution_name_prefix(key)}{uuid.uuid4().hex[:12]}"


def aws_shaped(event: dict[str, Any]) -> dict[str, Any]:
    """moto's S3 EventBridge event differs from AWS's in the object's etag key."""
    obj = event.get("detail", {}).get("object")
    if isinstance(obj, dict) and "eTag" in obj and "etag" not in obj:
        event = json.loads(json.dumps(event))
        event["detail"]["object"]["etag"] = event["detail"]["object"].pop("eTag")
    return event


def _start_states_target(rule: Any, target: dict[str, Any], event: dict[str, Any]) -> None:
    from icpa_orchestration import apply_input_transformer

    transformer = target.get("InputTransformer")
    if transformer:
        payload = apply_input_transformer(transformer, event)
    elif "Input" in target:
        payload = json.loads(target["Input"])
    else:
        payload = event
    client = plumbing_client("stepfunctions", rule.region_name)
    with callrecorder.acting_as(callrecorder.rule_principal(rule.name)):  # the target's role
        arn = client.start_execution(
            stateMachineArn=target["Arn"], name=execution_name_for(event), input=json.dumps(payload)
        )["executionArn"]
    for callback in list(STATE.on_execution_started):
        callback(arn, event)


def _wrap_send_to_targets(original: Callable[..., None]) -> Callable[..., None]:
    from moto.utilities.arns import parse_arn

    def send_to_targets(self: Any, original_event: dict[str, Any], transform_input: bool = True) -> None:
        if not self.event_pattern.matches_event(original_event):
            return
        handled = [t for t in self.targets if parse_arn(t["Arn"]).service in ("states", "lambda")]
        for target in handled:
            if parse_arn(target["Arn"]).service == "states":
                _start_states_target(self, target, aws_shaped(original_event))
            else:
                _invoke_lambda_target(target, aws_shaped(original_event))
        if len(handled) < len(self.targets):
            others = [t for t in self.targets if t not in handled]
            shadow = _RuleView(self, others)
            original(shadow, original_event, transform_input)

    return send_to_targets


ASYNC_ATTEMPTS: Final = 3  # Lambda's asynchronous invocation: the call and two retries
ASYNC_RETRY_SECONDS: Final = 60.0  # first retry after ~1 minute, then ~2 (scaled locally)


def _invoke_lambda_target(target: dict[str, Any], event: dict[str, Any]) -> None:
    """EventBridge invokes Lambda targets asynchronously: a thread, with Lambda's async retries."""
    function_name = target["Arn"].rsplit(":", 1)[-1]

    def run() -> None:
        handler = STATE.handlers.get(function_name)
        if handler is None:
            return
        for attempt in range(ASYNC_ATTEMPTS):
            context = LambdaContext(function_name=function_name, aws_request_id=str(uuid.uuid4()))
            try:
                with running_handler(function_name):
                    handler(event, context)
                return
            except Exception:  # - async invoke: the error stays with the function (its logs)
                if attempt + 1 < ASYNC_ATTEMPTS:
                    time.sleep(scaled(ASYNC_RETRY_SECONDS * 2**attempt) or 0.0)

    thread = threading.Thread(target=run, name=f"eventbridge-{function_name}", daemon=True)
    thread.start()  # started before it is listed: a concurrent wait never joins an unstarted thread
    with _async_lock:
        _async_invocations.append(thread)


_async_invocations: list[threading.Thread] = []
_async_lock = threading.Lock()


# Executions between "status set" and "status-change event dispatched": a caller that saw an
# execution end must still wait for the async invocations that end is about to start.
_terminations_in_flight = 0
_terminations = threading.Condition()


def wait_for_async_invocations(timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    with _terminations:
        _terminations.wait_for(lambda: _terminations_in_flight == 0, timeout=max(0.0, deadline - time.monotonic()))
    while True:
        with _async_lock:
            if not _async_invocations:
                return
            thread = _async_invocations.pop()
        thread.join(max(0.0, deadline - time.monotonic()))


class _RuleView:
    """The rule as moto sees it, minus the targets handled here (no shared-state mutation)."""

    def __init__(self, rule: Any, targets: list[dict[str, Any]]) -> None:
        self._rule = rule
        self.targets = targets

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rule, name)


# --- 5. Execution status change -------------------------------------------------------------------


def _epoch_ms(value: Any) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def status_change_event(execution: Any) -> dict[str, Any]:
    """The event AWS Step Functions puts on the default bus when an execution ends."""
    output = execution.output
    return {
        "executionArn": execution.exec_arn,
        "stateMachineArn": execution.state_machine_arn,
        "name": execution.name,
        "status": str(getattr(execution.exec_status, "value", execution.exec_status)),
        "startDate": _epoch_ms(execution.start_date),
        "stopDate": _epoch_ms(execution.stop_date),
        "input": execution.execution_input,
        "output": None if output is None else (output if isinstance(output, str) else json.dumps(output)),
        "error": execution.error,
        "cause": execution.cause,
    }


def _wrap_terminated(original: Callable[[Any], None]) -> Callable[[Any], None]:
    def terminated(self: Any) -> None:
        global _terminations_in_flight
        with _terminations:
            _terminations_in_flight += 1
        try:
            original(self)
            _after_termination(self.execution)
        finally:
            with _terminations:
                _terminations_in_flight -= 1
                _terminations.notify_all()

    return terminated


def _after_termination(execution: Any) -> None:
    for callback in list(STATE.on_execution_ended):
        with contextlib.suppress(Exception):  # a hook must never break the execution itself
            callback(execution)
    if STATE.emit_status_events:
        # as on AWS, delivery is best effort and async
        with contextlib.suppress(Exception):
            plumbing_client("events", execution.region_name).put_events(
                Entries=[
                    {
                        "Source": "aws.states",
                        "DetailType": "Step Functions Execution Status Change",
                        "Resources": [execution.exec_arn],
                        "Detail": json.dumps(status_change_event(execution), default=str),
                    }
                ]
            )


def patches() -> list[Patch]:
    events_models = moto_module("moto.events.models")
    comm = moto_module("moto.stepfunctions.parser.backend.execution").BaseExecutionWorkerCommunication
    return [
        Patch.around(events_models.Rule, "send_to_targets", _wrap_send_to_targets),
        Patch.around(comm, "terminated", _wrap_terminated),
    ]
