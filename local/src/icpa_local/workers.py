"""Handler worker processes: the local cloud on more than one core.

One process holds the state: moto's backends, the Step Functions interpreter, the rules and the
Lambda plumbing, so fraud's history lookups, `icpa status` and the journal see one cloud. With
`LocalCloud(workers=N)` the handlers run in N worker processes instead of on the interpreter's
threads. A worker is one Lambda container: it runs one invocation at a time with its own module
state (Powertools keeps metrics at class level), imports the handlers once and keeps their
clients warm, and its stdout is the function's log.

What crosses a worker's pipe (a socket pair; `multiprocessing.connection` framing and pickle):
- the invocation: function, event JSON, context fields; back: the result JSON or the error
  (`errorType` is the exception's class name in the worker, which the ASL's Retry/Catch match),
  the log lines it printed, its CPU time, and the calls it made if a call recorder is open;
- each AWS call the handler makes, as the very request botocore would hand moto in-process
  (method, URL, headers, body: validated, serialized and signed in the worker), answered by the
  invoking thread in this process with moto's own stubber. Handler code and the client side of
  its calls leave the state process; moto's side of them stays.

A worker that dies mid-invocation fails that invocation as Lambda reports a crashed runtime
(`Runtime.ExitError`) and is replaced; a result that is not JSON fails as `Runtime.MarshalError`.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import importlib
import io
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection
from typing import Any, Final

from icpa_local import callrecorder
from icpa_local.lambda_context import LambdaContext, runtime_error

BUSY_SECONDS: Final = 120.0  # the longest an invocation waits for a free worker before failing


class WorkerExited(RuntimeError):
    """A worker process ended mid-invocation (killed, crashed): Lambda's crashed runtime."""

    error_type = "Runtime.ExitError"


class WorkersBusy(RuntimeError):
    """No worker became free in time (a handler waiting on another handler, or a hang)."""

    error_type = "Lambda.TooManyRequestsException"


class HandlerFailed(Exception):
    """The handler raised in its worker: `error_type` is its exception's class name there."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(str(error.get("errorMessage", "")))
        self.error_type = str(error.get("errorType") or "Exception")
        self.error = error


# --- the state process's side -------------------------------------------------------------------


class _Worker:
    def __init__(self, index: int) -> None:
        mine, theirs = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        # This interpreter, this module, a descriptor we made: no outside input in the command.
        self.process = subprocess.Popen(
            [  # noqa: S603
                sys.executable,
                "-c",
                "import sys; from icpa_local.workers import main; main(sys.argv[1:])",
                str(theirs.fileno()),
            ],
            env=env,
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self.index = index
        self.conn = Connection(mine.detach())

    def stop(self, timeout: float) -> None:
        with contextlib.suppress(OSError, EOFError):
            self.conn.send(("stop",))
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.conn.close()


def _headers(pairs: list[tuple[str, Any]]) -> Any:
    """botocore's case-insensitive headers, as in-process, without MutableMapping.update's
    per-item overhead (measured ~1.6% of the state process)."""
    from botocore.awsrequest import HeadersDict, _HeaderKey

    headers = HeadersDict()
    headers._dict = {_HeaderKey(key): value for key, value in pairs}  # type: ignore[attr-defined]
    return headers


def _serve_call(message: tuple[Any, ...]) -> tuple[Any, ...]:
    """Answer one forwarded AWS request with moto's stubber, exactly as in-process."""
    from botocore.awsrequest import AWSPreparedRequest
    from moto.core.models import botocore_stubber

    _, method, url, headers, body = message
    request = AWSPreparedRequest(method, url, _headers(headers), body, stream_output=False)
    try:
        answer = botocore_stubber.process_request(request)
    except Exception as exc:  # what botocore would have raised from its before-send hook
        return ("raise", type(exc).__name__, str(exc))
    if answer is None:
        return ("answer", None)
    status, response_headers, response_body = answer
    if isinstance(response_body, str):
        response_body = response_body.encode("utf-8")
    pairs = list(response_headers.items()) if hasattr(response_headers, "items") else list(response_headers)
    return ("answer", status, pairs, response_body)


class WorkerPool:
    """`count` worker processes; `invoke` runs a handler in a free one. `handlers`: function
    (logical id) -> the `module:attr` its worker imports (icpa_local.functions.FUNCTIONS)."""

    def __init__(self, count: int, handlers: Mapping[str, str]) -> None:
        if count < 1:
            raise ValueError("a worker pool needs at least one worker")
        self._handlers = dict(handlers)
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self.cpu: dict[str, float] = defaultdict(float)  # worker CPU seconds per function
        self.invocations: dict[str, int] = defaultdict(int)
        for index in range(count):
            self._idle.put(self._spawn(index))

    def _spawn(self, index: int) -> _Worker:
        from icpa_local.moto_patches.transport import signature_unread

        worker = _Worker(index)
        # Imported while the state process provisions; unsigned where moto reads no signature
        # (what the state process's own in-process requests do: moto_patches.transport).
        worker.conn.send(("load", self._handlers, signature_unread()))
        with self._lock:
            self._workers.append(worker)
        return worker

    def __len__(self) -> int:
        return len(self._workers)

    def pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in self._workers]

    def invoke(self, function: str, event: Any, context: LambdaContext) -> Any:
        try:
            worker = self._idle.get(timeout=BUSY_SECONDS)
        except queue.Empty:
            raise WorkersBusy(f"no handler worker free for {function} in {BUSY_SECONDS:.0f}s") from None
        if worker.process.poll() is not None:  # died while idle: Lambda would use another container
            worker = self._replace(worker)
        recording = callrecorder.recording()
        try:
            worker.conn.send(("invoke", function, json.dumps(event), context, recording))
            while True:
                message = worker.conn.recv()
                if message[0] == "call":
                    worker.conn.send(_serve_call(message))
                    continue
                _, ok, payload, output, cpu, calls = message
                break
        except (EOFError, OSError) as exc:
            replacement = self._replace(worker)
            self._idle.put(replacement)
            raise WorkerExited(f"worker {worker.index} exited during {function}: {exc or 'pipe closed'}") from None
        self._idle.put(worker)
        self.cpu[function] += cpu
        self.invocations[function] += 1
        if output:
            from icpa_local.logrouting import write_handler_output

            write_handler_output("".join(output))
        for service, operation, params, response in calls:
            callrecorder.record(function, service, operation, params, response)
        result = json.loads(payload)
        if not ok:
            raise HandlerFailed(result)
        return result

    def _replace(self, worker: _Worker) -> _Worker:
        with self._lock:
            if worker in self._workers:
                self._workers.remove(worker)
        with contextlib.suppress(Exception):
            worker.process.kill()
            worker.process.wait(5)
            worker.conn.close()
        return self._spawn(worker.index)

    def close(self, timeout: float = 5.0) -> None:
        with self._lock:
            workers, self._workers = self._workers, []
        for worker in workers:
            worker.stop(timeout)


class RemoteHandler:
    """What the local cloud registers for a function whose handler runs in a worker (and lists
    in moto_patches.STATE.out_of_process: no in-process handler lock)."""

    def __init__(self, pool: WorkerPool, function: str) -> None:
        self.pool = pool
        self.function = function

    def __call__(self, event: Any, context: LambdaContext) -> Any:
        return self.pool.invoke(self.function, event, context)


# --- the worker's side --------------------------------------------------------------------------


class _RawBody(io.BytesIO):
    """The body botocore reads an answer from: moto's `MockRawResponse`, which a worker does not
    import (moto's stubber module costs ~0.9 s of imports per worker)."""

    def stream(self, **_kwargs: Any) -> Any:
        contents = self.read()
        while contents:
            yield contents
            contents = self.read()


class _Output(io.TextIOBase):
    """The worker's stdout: what a handler prints is its function's log, sent with the result."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.lines.append(text)
        return len(text)

    def take(self) -> list[str]:
        lines, self.lines = self.lines, []
        return lines


_PLAIN: Final = (str, int, float, bool, bytes, type(None), datetime.datetime, datetime.date, decimal.Decimal)


def _picklable(value: Any) -> Any:
    """A recorded call's params/response without what cannot cross the pipe (streams)."""
    if isinstance(value, dict):
        return {k: _picklable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_picklable(v) for v in value]
    return value if isinstance(value, _PLAIN) else f"<{type(value).__name__}>"


def _run(handler: Any, function: str, event: str, context: LambdaContext) -> tuple[bool, str]:
    """The Lambda runtime's contract: the result's JSON, or the error it reports (never raises)."""
    try:
        if handler is None:
            raise LookupError(f"no handler for {function} in this worker")
        result = handler(json.loads(event), context)
    except Exception as exc:
        return False, json.dumps(runtime_error(type(exc).__name__, str(exc)))
    try:
        return True, json.dumps(result)
    except (TypeError, ValueError) as exc:
        return False, json.dumps(runtime_error("Runtime.MarshalError", str(exc)))


def _forwarding(conn: Connection) -> Callable[..., Any]:
    def before_send(request: Any, **_kwargs: Any) -> Any:
        from botocore.awsrequest import AWSResponse

        body = request.body
        if hasattr(body, "read"):
            with contextlib.suppress(AttributeError, OSError):
                body.seek(0)
            body = body.read()
        if isinstance(body, str):
            body = body.encode("utf-8")
        conn.send(("call", request.method, request.url, list(request.headers.items()), body))
        answer = conn.recv()
        if answer[0] == "raise":
            raise RuntimeError(f"local cloud: {answer[1]}: {answer[2]}")
        if answer[1] is None:
            return None  # no local service has this URL: botocore sends it, as in-process
        _, status, headers, content = answer
        return AWSResponse(request.url, status, headers, _RawBody(content))

    return before_send


def _imported(target: str) -> Any:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def _sign_as_in_process() -> None:
    from botocore.signers import RequestSigner

    from icpa_local.moto_patches.transport import _unsigned_in_process

    RequestSigner.get_auth_instance = _unsigned_in_process(  # type: ignore[method-assign]
        RequestSigner.get_auth_instance, unread=lambda: True
    )


def main(argv: list[str]) -> None:
    """A worker: `python -c 'from icpa_local.workers import main; ...' <socket fd>`."""
    conn = Connection(int(argv[0]))
    output = _Output()
    sys.stdout = output  # before any handler module configures its logger on sys.stdout
    import botocore.handlers

    botocore.handlers.BUILTIN_HANDLERS.append(("before-send", _forwarding(conn)))
    handlers: dict[str, Any] = {}
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] == "stop":
            return
        if message[0] == "load":
            _, targets, unsigned = message
            if unsigned:
                _sign_as_in_process()
            for function, target in targets.items():
                handlers[function] = _imported(target)
            continue
        _, function, event, context, recording = message
        started = time.thread_time()
        # What callrecorder records in-process, recorded here and sent with the result.
        recorder = callrecorder.CallRecorder() if recording else contextlib.nullcontext()
        with recorder, callrecorder.acting_as(function):
            ok, payload = _run(handlers.get(function), function, event, context)
        cpu = time.thread_time() - started
        made = [
            (c.service, c.operation, _picklable(c.params), _picklable(c.response))
            for c in (recorder.calls if isinstance(recorder, callrecorder.CallRecorder) else [])
        ]
        conn.send(("done", ok, payload, output.take(), cpu, made))
