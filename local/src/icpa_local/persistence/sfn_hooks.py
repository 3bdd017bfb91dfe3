"""Step Functions into the journal: a RUNNING row at `StepFunctionsParserBackend.start_execution`
(insert only: a fast execution may have ended first), the result of every Task state as it
succeeds (the Lambda and service task classes' `_eval_execution`), and the final status, output,
error and history when the worker terminates (`on_execution_ended`; the task results go then:
the history holds them).

While a restarted execution replays, each Task whose result the journal holds (`TASK_REPLAY`) is
answered from the journal, in order, instead of invoking its handler again."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any, Final

from icpa_local.moto_patches.registry import Patch, moto_module
from icpa_local.persistence.active import active_journal
from icpa_local.persistence.codec import dumps, iso, source_of
from icpa_local.persistence.schema import ExecutionRow


def _wrap_start_execution(original: Callable[..., Any]) -> Callable[..., Any]:
    def start_execution(self: Any, *args: Any, **kwargs: Any) -> Any:
        execution = original(self, *args, **kwargs)
        journal = active_journal()
        if journal is not None:
            journal.execution_started(
                execution.exec_arn,
                execution.name,
                execution.state_machine_arn,
                execution.execution_input,
                execution.start_date,
            )
        return execution

    return start_execution


class TaskReplay:
    """The task results a restarted execution had before the crash, by state, in order; and how
    many times each Task state has succeeded in the current run (its next occurrence number)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._plans: dict[str, dict[str, list[Any]]] = {}
        self._counts: dict[tuple[str, str], int] = {}

    def plan(self, arn: str, results: dict[str, list[Any]]) -> None:
        with self._lock:
            self.forget_locked(arn)
            if results:
                self._plans[arn] = {state: list(outputs) for state, outputs in results.items()}

    def take(self, arn: str, state: str) -> tuple[bool, Any]:
        """(True, result) when the journal answers this Task; else (False, None)."""
        with self._lock:
            outputs = self._plans.get(arn, {}).get(state)
            if not outputs:
                return False, None
            self._counts[(arn, state)] = self._counts.get((arn, state), 0) + 1
            value = outputs.pop(0)
            if not any(self._plans[arn].values()):
                del self._plans[arn]
            return True, value

    def count(self, arn: str, state: str) -> int:
        """The occurrence number of a live success (and count it)."""
        with self._lock:
            occurrence = self._counts.get((arn, state), 0)
            self._counts[(arn, state)] = occurrence + 1
            return occurrence

    def forget(self, arn: str) -> None:
        with self._lock:
            self.forget_locked(arn)

    def forget_locked(self, arn: str) -> None:
        self._plans.pop(arn, None)
        for key in [k for k in self._counts if k[0] == arn]:
            del self._counts[key]

    def clear(self) -> None:
        """Forget every plan and count: what a process exit does (a stopped cloud's unfinished
        executions are planned again from the journal when a cloud resumes them)."""
        with self._lock:
            self._plans.clear()
            self._counts.clear()

    def size(self) -> int:
        with self._lock:
            return len(self._plans) + len({arn for arn, _ in self._counts})


TASK_REPLAY: Final = TaskReplay()


def _task_identity(env: Any) -> tuple[str | None, str | None]:
    """(execution arn, state name) of the Task the interpreter is evaluating."""
    try:
        data = env.states.context_object.context_object_data
        return str(data["Execution"]["Id"]), str(data["State"]["Name"])
    except (AttributeError, KeyError, TypeError):
        return None, None


def _event_details() -> Any:
    """moto's EventDetails (a total TypedDict, typed Any: each event sets only its own key)."""
    return moto_module("moto.stepfunctions.parser.asl.eval.event.event_detail").EventDetails


def _replayed_lambda(task: Any, env: Any, output: Any) -> None:
    """The history events a Lambda task that succeeds adds (its result from the journal)."""
    from moto.stepfunctions.parser.api import HistoryEventType

    EventDetails = _event_details()
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    payload = task._eval_parameters(env=env)["Payload"]
    env.event_manager.add_event(
        context=env.event_history_context,
        event_type=HistoryEventType.LambdaFunctionScheduled,
        event_details=EventDetails(
            lambdaFunctionScheduledEventDetails={
                "resource": task.resource.resource_arn,
                "input": to_json_str(payload),
                "inputDetails": {"truncated": False},
            }
        ),
    )
    env.event_manager.add_event(context=env.event_history_context, event_type=HistoryEventType.LambdaFunctionStarted)
    env.event_manager.add_event(
        context=env.event_history_context,
        event_type=HistoryEventType.LambdaFunctionSucceeded,
        event_details=EventDetails(
            lambdaFunctionSucceededEventDetails={"output": to_json_str(output), "outputDetails": {"truncated": False}}
        ),
    )


def _replayed_service(task: Any, env: Any, output: Any) -> None:
    """The event a service task (e.g. a waitForTaskToken that had been answered) adds on success."""
    from moto.stepfunctions.parser.api import HistoryEventType

    EventDetails = _event_details()
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    env.event_manager.add_event(
        context=env.event_history_context,
        event_type=HistoryEventType.TaskSucceeded,
        event_details=EventDetails(
            taskSucceededEventDetails={
                "resource": task._get_sfn_resource(),
                "resourceType": task._get_sfn_resource_type(),
                "output": to_json_str(output),
                "outputDetails": {"truncated": False},
            }
        ),
    )


def _wrap_task_execution(original: Callable[..., Any], replayed: Callable[[Any, Any, Any], None]) -> Callable[..., Any]:
    def _eval_execution(self: Any, env: Any) -> None:
        arn, state = _task_identity(env)
        if arn is not None and state is not None:
            found, output = TASK_REPLAY.take(arn, state)
            if found:
                # The run had this result before the crash: the same result, no second call.
                replayed(self, env, output)
                env.stack.append(output)
                return
        original(self, env)
        journal = active_journal()
        if journal is not None and arn is not None and state is not None:
            journal.task_succeeded(arn, state, TASK_REPLAY.count(arn, state), env.stack[-1])

    return _eval_execution


def execution_row(execution: Any) -> ExecutionRow:
    """The final row of a moto Execution, history included."""
    output = execution.output
    if output is not None and not isinstance(output, str):
        output = json.dumps(output)
    status = str(getattr(execution.exec_status, "value", execution.exec_status))
    try:
        history = json.loads(dumps(execution.to_history_output()["events"]))
    except Exception:  # a missing history must not lose the outcome
        history = []
    bucket, key, version = source_of(execution.execution_input)
    return ExecutionRow(
        arn=execution.exec_arn,
        name=execution.name,
        state_machine_arn=execution.state_machine_arn,
        status=status,
        input=execution.execution_input,
        output=output,
        error=execution.error,
        cause=execution.cause,
        start_date=iso(execution.start_date) or "",
        stop_date=iso(execution.stop_date),
        history=history,
        source_bucket=bucket,
        source_key=key,
        source_version=version,
    )


def on_execution_ended(execution: Any) -> None:
    """Registered in moto_patches.STATE.on_execution_ended by a local cloud with a journal.
    Once journaled, the finished execution leaves memory: its worker (the interpreter's whole
    evaluation environment and history, ~0.9 MB a claim) gives way to an inert one that reads
    the history from the journal when asked, as AWS keeps history outside the caller."""
    TASK_REPLAY.forget(execution.exec_arn)
    journal = active_journal()
    if journal is None:
        return
    row = execution_row(execution)
    journal.execution_ended(row)
    arn = row.arn
    execution.exec_worker = InertWorker(lambda: journal.history(arn) or [])
    _prune_finished_threads()


def _prune_finished_threads() -> None:
    """moto keeps every interpreter thread it starts in TMP_THREADS (7 a claim), for ever."""
    from moto.stepfunctions.parser.utils import TMP_THREADS

    TMP_THREADS[:] = [thread for thread in list(TMP_THREADS) if thread.is_alive()]


class InertWorker:
    """Stands in for a finished execution's worker: nothing to notify, the stored history (a
    list, or a function that reads it from the journal)."""

    def __init__(self, history: list[dict[str, Any]] | Callable[[], list[dict[str, Any]]]) -> None:
        self._history = history
        self.env = self
        self.callback_pool_manager = self
        self.map_run_record_pool_manager = self
        self.event_manager = self

    def notify(self, *args: Any, **kwargs: Any) -> bool:
        return False

    def heartbeat(self, *args: Any, **kwargs: Any) -> bool:
        return False

    def get(self, *args: Any, **kwargs: Any) -> None:
        return None

    def get_all(self) -> list[Any]:
        return []

    def get_event_history(self) -> list[dict[str, Any]]:
        history = self._history() if callable(self._history) else self._history
        return [dict(event) for event in history]

    def stop(self, *args: Any, **kwargs: Any) -> None:
        return None


def patches() -> list[Patch]:
    backend = moto_module("moto.stepfunctions.parser.models").StepFunctionsParserBackend
    task_dir = "moto.stepfunctions.parser.asl.component.state.exec.state_task"
    lambda_task = moto_module(f"{task_dir}.state_task_lambda").StateTaskLambda
    service_task = moto_module(f"{task_dir}.service.state_task_service").StateTaskService
    return [
        Patch.around(backend, "start_execution", _wrap_start_execution),
        Patch.around(lambda_task, "_eval_execution", lambda orig: _wrap_task_execution(orig, _replayed_lambda)),
        Patch.around(service_task, "_eval_execution", lambda orig: _wrap_task_execution(orig, _replayed_service)),
    ]
