"""Where moto lacks a piece of the local cloud, it is patched here, and only here.

Pinned to moto 5.2.5 (`MOTO_VERSION`): `install()` refuses any other version, because every
patch below replaces a private method or module attribute of that exact release.

1. Lambda without Docker: `LambdaFunction._invoke_lambda` (the only method that touches
   Docker) calls the in-process Python handler registered for the function name instead.
   An exception becomes `{"errorType": <class name>, "errorMessage": ...}` with errored=True,
   so Step Functions' Retry/Catch match on the class name exactly as on AWS.
2. EventBridge -> Step Functions: `Rule.send_to_targets` has no `states` target in moto. A
   wrapper starts a named execution for such targets, applying the target's InputTransformer
   (moto skips transformers for S3 events) to the event normalized to AWS's S3 shape (moto
   says `eTag` where AWS says `etag`), and passes other targets on to moto.
3. Time scale: Retry intervals, Wait states and the waitForTaskToken callback/heartbeat
   deadlines sleep in real time in moto. They are scaled where the interpreter waits, not in
   the ASL, so the execution history still shows the declared values. Lambda task timeouts and
   the state machine's TimeoutSeconds are deliberately NOT scaled: they bound real compute,
   and a scaled 60 s task timeout (0.6 s) would fail cold first invocations on a slow machine.
4. Speed: one boto3 client per (service, region, endpoint) for the interpreter's own calls
   instead of a new client per task (RECIPES section 7: ~2x).
6. waitForTaskToken with HeartbeatSeconds: moto creates the heartbeat endpoint after the task's
   Lambda returned and then waits on heartbeats only, so an answer that arrived in between (a
   fast reviewer) was never seen and the task "timed out" on its heartbeat. A heartbeat
   endpoint created after the outcome is notified at once.
7. Speed: moto re-parses the ASL with ANTLR for every execution (the largest cost of a local
   claim). The parse tree is cached per definition; the preprocessor still builds fresh
   evaluation components for each execution, so no execution state is shared.
5. Execution status change: moto emits no "Step Functions Execution Status Change" event. The
   worker's `terminated()` is wrapped to call `on_execution_ended` hooks and to put the AWS-
   shaped event on the default bus, where rules with Lambda targets (also missing in moto's
   rule targets) invoke the in-process handler asynchronously, as EventBridge does.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from icpa_local import callrecorder

MOTO_VERSION: Final = "5.2.5"

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class PatchState:
    time_scale: float = 1.0
    handlers: dict[str, Handler] = field(default_factory=dict)
    # Called with (execution_arn, source_event) whenever a rule starts an execution.
    on_execution_started: list[Callable[[str, dict[str, Any]], None]] = field(default_factory=list)
    # Called with the moto Execution object when an execution reaches a terminal status.
    on_execution_ended: list[Callable[[Any], None]] = field(default_factory=list)
    emit_status_events: bool = True
    installed: bool = False


STATE = PatchState()
_install_lock = threading.Lock()
_local = threading.local()


def in_handler() -> bool:
    """True on a thread that is running a Lambda handler right now (log routing uses it)."""
    return bool(getattr(_local, "in_handler", False))


# One handler invocation at a time, as in a Lambda container: Powertools keeps metric state at
# class level, which concurrent in-process handlers would corrupt (a crash seen under load).
# Re-entrant, so a handler may call another in-process (e.g. a test's instant reviewer).
_handler_lock = threading.RLock()


@contextlib.contextmanager
def running_handler(function: str | None = None) -> Iterator[None]:
    """Run a handler: one at a time, with this thread marked so its logs go to the handler log
    (also for calls made outside moto's Lambda, such as the local review API adapter), and its
    AWS calls recorded as `function`'s (the template logical id; callrecorder)."""
    with _handler_lock, callrecorder.acting_as(function):
        previous = in_handler()
        _local.in_handler = True
        try:
            yield
        finally:
            _local.in_handler = previous


def set_time_scale(scale: float) -> None:
    if not 0 < scale <= 1:
        raise ValueError("time scale must be in (0, 1]")
    STATE.time_scale = scale


def scaled(seconds: float | None) -> float | None:
    return None if seconds is None else max(0.0, seconds * STATE.time_scale)


# --- 1. Lambda in-process -------------------------------------------------------------------


@dataclass(frozen=True)
class LambdaContext:
    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = ""
    function_version: str = "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def _invoke_in_process(self: Any, event: str | None = None) -> tuple[str, bool, str]:
    handler = STATE.handlers.get(self.function_name)
    if handler is None:
        body = {"errorType": "ResourceNotFoundException",
                "errorMessage": f"no in-process handler registered for {self.function_name}"}
        return json.dumps(body), True, ""
    # moto hands over the already-decoded payload on some paths
    payload = (json.loads(event) if event else {}) if isinstance(event, str | bytes | bytearray) else event or {}
    context = LambdaContext(
        function_name=self.function_name,
        aws_request_id=str(uuid.uuid4()),
        invoked_function_arn=self.function_arn,
        log_group_name=f"/aws/lambda/{self.function_name}",
    )
    if callrecorder.current_principal() is None:  # the interpreter's invoke, not a handler's
        callrecorder.record(callrecorder.STATE_MACHINE, "lambda", "Invoke", {"FunctionName": self.function_arn})
    try:
        with running_handler(self.function_name):
            result = handler(payload, context)
    except Exception as exc:  # the Lambda runtime's contract: report, don't raise
        error: dict[str, Any] = {"errorType": type(exc).__name__, "errorMessage": str(exc), "stackTrace": []}
        return json.dumps(error), True, ""
    return json.dumps(result), False, ""


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
    import boto3

    from icpa_orchestration import apply_input_transformer

    transformer = target.get("InputTransformer")
    if transformer:
        payload = apply_input_transformer(transformer, event)
    elif "Input" in target:
        payload = json.loads(target["Input"])
    else:
        payload = event
    client = boto3.client("stepfunctions", region_name=rule.region_name)
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


# --- 3. Time scale --------------------------------------------------------------------------------


class _ScaledTimeModule:
    """Stands in for the `time` module where the retrier sleeps."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(scaled(seconds) or 0.0)


class ScaledEvent(threading.Event):
    def wait(self, timeout: float | None = None) -> bool:
        return super().wait(scaled(timeout))


def _scaled_wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
    # A Wait state on a monotonic deadline (moto's own int() rounding loops on sub-second waits).
    deadline = time.monotonic() + (scaled(float(wait_seconds)) or 0.0)
    while env.is_running():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        env.program_state_event.wait(remaining)


# --- 4. Client cache -------------------------------------------------------------------------------

_client_cache: dict[tuple[str, str, str | None], Any] = {}
_client_lock = threading.Lock()


def _cached_boto_client_for(original: Callable[..., Any]) -> Callable[..., Any]:
    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        from moto.core.models import botocore_stubber
        from moto.settings import moto_server_port

        endpoint = None if botocore_stubber.enabled else moto_server_port()
        key = (service, region, endpoint)
        with _client_lock:
            if key not in _client_cache:
                _client_cache[key] = original(region, service, state_credentials)
            return _client_cache[key]

    return boto_client_for


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
        try:
            import boto3

            boto3.client("events", region_name=execution.region_name).put_events(Entries=[{
                "Source": "aws.states",
                "DetailType": "Step Functions Execution Status Change",
                "Resources": [execution.exec_arn],
                "Detail": json.dumps(status_change_event(execution), default=str),
            }])
        except Exception:  # noqa: S110 - as on AWS, delivery is best effort and async
            pass


# --- 6. Heartbeat endpoint created after the callback answered -----------------------------------


def _wrap_setup_heartbeat(original: Callable[..., Any]) -> Callable[..., Any]:
    def setup_heartbeat_endpoint(self: Any, heartbeat_seconds: int) -> Any:
        endpoint = original(self, heartbeat_seconds)
        if self.get_outcome() is not None:  # answered before the wait began
            endpoint.notify()
        return endpoint

    return setup_heartbeat_endpoint


# --- 7. Parse cache --------------------------------------------------------------------------------

_parse_trees: dict[str, Any] = {}
_parse_lock = threading.Lock()


def _cached_evaluation_entrypoint(self: Any) -> Any:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    definition: str = self._evaluation_details.state_machine_details.definition
    with _parse_lock:
        tree = _parse_trees.get(definition)
    if tree is None:
        tree = AmazonStateLanguageParser.parse(definition)[1]  # raises on syntax errors, as before
        with _parse_lock:
            if len(_parse_trees) > 64:  # a handful of definitions per process; stay bounded
                _parse_trees.clear()
            _parse_trees[definition] = tree
    return Preprocessor().visit(tree)


# --- install ---------------------------------------------------------------------------------------


def install(time_scale: float | None = None) -> None:
    """Apply every patch once per process (idempotent); optionally set the time scale."""
    if time_scale is not None:
        set_time_scale(time_scale)
    with _install_lock:
        if STATE.installed:
            return
        import moto

        if moto.__version__ != MOTO_VERSION:
            raise RuntimeError(
                f"icpa_local.moto_patches is pinned to moto {MOTO_VERSION}, found {moto.__version__}"
            )
        # Typed as Any: these are the private attributes the patches replace.
        lambda_models = moto_module("moto.awslambda.models")
        events_models = moto_module("moto.events.models")
        retrier_decl = moto_module("moto.stepfunctions.parser.asl.component.common.retry.retrier_decl")
        wait_function = moto_module("moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function")
        callback = moto_module("moto.stepfunctions.parser.asl.eval.callback.callback")
        boto_client = moto_module("moto.stepfunctions.parser.asl.utils.boto_client")
        execution_models = moto_module("moto.stepfunctions.parser.backend.execution")

        lambda_models.LambdaFunction._invoke_lambda = _invoke_in_process
        from moto.stepfunctions.parser.backend import execution_worker

        execution_worker.ExecutionWorker._get_evaluation_entrypoint = _cached_evaluation_entrypoint  # type: ignore[method-assign]
        comm = execution_models.BaseExecutionWorkerCommunication
        comm.terminated = _wrap_terminated(comm.terminated)
        events_models.Rule.send_to_targets = _wrap_send_to_targets(events_models.Rule.send_to_targets)
        retrier_decl.time = _ScaledTimeModule()
        wait_function.WaitFunction._wait_interval = _scaled_wait_interval
        callback.Event = ScaledEvent  # callback deadline and heartbeat of waitForTaskToken
        endpoint_cls = callback.CallbackEndpoint
        endpoint_cls.setup_heartbeat_endpoint = _wrap_setup_heartbeat(endpoint_cls.setup_heartbeat_endpoint)
        # Modules that imported boto_client_for by name must be loaded before the rebind.
        from moto.stepfunctions.parser.asl.component.state.exec.state_task import (  # noqa: F401
            lambda_eval_utils,
        )
        from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (  # noqa: F401
            state_task_service_aws_sdk,
            state_task_service_dynamodb,
            state_task_service_sns,
            state_task_service_sqs,
        )

        original_client_for = boto_client.boto_client_for
        cached = _cached_boto_client_for(original_client_for)
        boto_client.boto_client_for = cached
        _rebind_client_factory(cached, original_client_for)
        STATE.installed = True


def moto_module(name: str) -> Any:
    """A moto module, typed Any: the patches assign to its private attributes."""
    import importlib

    return importlib.import_module(name)


def _rebind_client_factory(cached: Callable[..., Any], original: Callable[..., Any]) -> None:
    """Modules that did `from ...boto_client import boto_client_for` keep their own reference."""
    import sys

    for name, module in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions.parser") and getattr(module, "boto_client_for", None) is original:
            vars(module)["boto_client_for"] = cached
