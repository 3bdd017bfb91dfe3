"""What the patches read at run time: the in-process handlers, the hooks, the time scale."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from icpa_local import callrecorder

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class PatchState:
    time_scale: float = 1.0
    handlers: dict[str, Handler] = field(default_factory=dict)
    # Functions whose handler runs in a worker process (icpa_local.workers): each worker is its
    # own container, one invocation at a time, so the in-process handler lock is not theirs.
    out_of_process: frozenset[str] = frozenset()
    # Called with (execution_arn, source_event) whenever a rule starts an execution.
    on_execution_started: list[Callable[[str, dict[str, Any]], None]] = field(default_factory=list)
    # Called with the moto Execution object when an execution reaches a terminal status.
    on_execution_ended: list[Callable[[Any], None]] = field(default_factory=list)
    emit_status_events: bool = True
    installed: bool = False


STATE = PatchState()
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
    lock = contextlib.nullcontext() if function in STATE.out_of_process else _handler_lock
    with lock, callrecorder.acting_as(function):
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
