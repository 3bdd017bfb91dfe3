"""The worker pool alone (icpa_local.workers): a handler run in its own process answers as the
Lambda runtime would, whatever the handler does. The workflow through workers is held to the
in-process one in tests/workflow/test_workflow_workers.py."""

from __future__ import annotations

from collections.abc import Iterator

import local_fakes
import pytest

from icpa_local import logrouting
from icpa_local.lambda_context import LambdaContext
from icpa_local.workers import HandlerFailed, WorkerExited, WorkerPool

FAKES = local_fakes.__name__
HANDLERS = {
    "EchoFunction": f"{FAKES}:worker_echo",
    "RaisesFunction": f"{FAKES}:worker_raises",
    "NotJsonFunction": f"{FAKES}:worker_not_json",
    "ExitsFunction": f"{FAKES}:worker_exits",
    "BusyFunction": f"{FAKES}:worker_busy",
}


@pytest.fixture
def pool() -> Iterator[WorkerPool]:
    workers = WorkerPool(1, HANDLERS)
    try:
        yield workers
    finally:
        workers.close()


def context(function: str) -> LambdaContext:
    return LambdaContext(function_name=function, aws_request_id="req-1")


def test_a_result_comes_back_as_json_with_the_context_and_the_log_lines(pool: WorkerPool) -> None:
    router = logrouting.router()
    router.open(None)
    try:
        result = pool.invoke("EchoFunction", {"claim_id": "CLM-1", "n": [1, 2.5, None]}, context("EchoFunction"))
        logged = list(router.captured)
    finally:
        router.close()
    assert result == {
        "echo": {"claim_id": "CLM-1", "n": [1, 2.5, None]},
        "function": "EchoFunction",
        "request_id": "req-1",
    }
    assert logged == ['{"event": "worker.echo", "function": "EchoFunction"}\n']


def test_an_exception_keeps_its_class_name_for_retry_and_catch(pool: WorkerPool) -> None:
    with pytest.raises(HandlerFailed) as raised:
        pool.invoke("RaisesFunction", {"claim_id": "CLM-2"}, context("RaisesFunction"))
    assert raised.value.error_type == "ClaimDeniedForTest"
    assert str(raised.value) == "denied CLM-2"


def test_a_result_that_is_not_json_fails_as_a_marshal_error(pool: WorkerPool) -> None:
    with pytest.raises(HandlerFailed) as raised:
        pool.invoke("NotJsonFunction", {}, context("NotJsonFunction"))
    assert raised.value.error_type == "Runtime.MarshalError"


def test_an_unknown_function_is_an_error_not_a_hang(pool: WorkerPool) -> None:
    with pytest.raises(HandlerFailed) as raised:
        pool.invoke("NobodyFunction", {}, context("NobodyFunction"))
    assert raised.value.error_type == "LookupError"


def test_a_runtime_that_exits_mid_invocation_is_an_exit_error_and_is_replaced(pool: WorkerPool) -> None:
    (before,) = pool.pids()
    with pytest.raises(WorkerExited) as raised:
        pool.invoke("ExitsFunction", {}, context("ExitsFunction"))
    assert raised.value.error_type == "Runtime.ExitError"
    # and the next invocation runs in a new worker
    assert pool.invoke("EchoFunction", {}, context("EchoFunction"))["function"] == "EchoFunction"
    assert len(pool) == 1 and pool.pids() != [before]


def test_each_invocations_worker_cpu_is_counted_by_function(pool: WorkerPool) -> None:
    pool.invoke("BusyFunction", {"n": 300_000}, context("BusyFunction"))
    pool.invoke("BusyFunction", {"n": 300_000}, context("BusyFunction"))
    assert pool.invocations["BusyFunction"] == 2
    assert pool.cpu["BusyFunction"] > 0.005  # the handler's own thread CPU, in the worker


def test_a_pool_needs_a_worker() -> None:
    with pytest.raises(ValueError, match="at least one worker"):
        WorkerPool(0, HANDLERS)


def test_a_worker_ends_when_the_state_process_is_gone() -> None:
    # Given a worker whose state process went away (its end of the socket closed, as a SIGKILL
    # of the state process closes it)
    workers = WorkerPool(1, HANDLERS)
    (worker,) = workers._workers
    worker.conn.close()
    # Then the worker ends by itself: nothing is left running
    assert worker.process.wait(timeout=30) == 0
