"""Callbacks to a closed task (section 11 of icpa_local.moto_patches).

Step Functions takes SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat only while the
task waits on its token; afterwards each fails with TaskTimedOut ("the task token has either
expired or the task associated with the token has already been closed"). moto 5.2.5 hands the
token to the task's callback endpoint whatever the task's state:
- a stopped execution's status stays RUNNING until its waiting task thread wakes (its heartbeat
  deadline), so all three calls were answered 200, and a decision "resumed" a stopped claim;
- SendTaskFailure searches every execution, so an ended execution's token was answered 200;
- an answered or heartbeat-timed-out task's endpoint still takes a second answer.
Here the token's endpoint is found first: if its execution no longer runs, or its task stopped
waiting (the endpoint's notify event is set by the answer and by the end of the wait), the call
is TaskTimedOut; otherwise moto's own call runs. A token no execution issued stays moto's
InvalidToken.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from icpa_local.moto_patches.registry import Patch, moto_module

CLOSED_MESSAGE: Final = (
    "The task token has either expired or the task associated with the token has already been closed."
)


def _endpoint_of(backend: Any, task_token: str) -> tuple[Any, Any] | None:
    """The execution that issued `task_token` and the token's callback endpoint, if any."""
    for execution in backend._get_executions():
        worker = execution.exec_worker
        if worker is None:
            continue
        endpoint = worker.env.callback_pool_manager.get(task_token)
        if endpoint is not None:
            return execution, endpoint
    return None


def _task_closed(execution: Any, endpoint: Any) -> bool:
    running = moto_module("moto.stepfunctions.parser.api").ExecutionStatus.RUNNING
    return bool(
        execution.exec_status != running
        or not execution.exec_worker.env.is_running()
        or endpoint._notify_event.is_set()
    )


def _refuse_closed_tasks(original: Callable[..., Any]) -> Callable[..., Any]:
    def callback(self: Any, task_token: str, *args: Any, **kwargs: Any) -> Any:
        found = _endpoint_of(self, task_token)
        if found is not None and _task_closed(*found):
            # moto's TaskTimedOut has no TYPE: its error code is given here, as moto's own raise would not.
            raise moto_module("moto.stepfunctions.parser.api").TaskTimedOut(CLOSED_MESSAGE, "TaskTimedOut")
        return original(self, task_token, *args, **kwargs)

    return callback


def patches() -> list[Patch]:
    backend = moto_module("moto.stepfunctions.parser.models").StepFunctionsParserBackend
    return [
        Patch.around(backend, name, _refuse_closed_tasks)
        for name in ("send_task_success", "send_task_failure", "send_task_heartbeat")
    ]
