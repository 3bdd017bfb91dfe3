"""The interpreter's waits (sections 3 and 6 of icpa_local.moto_patches).

3. Time scale: Retry intervals, Wait states and the waitForTaskToken callback/heartbeat
   deadlines sleep in real time in moto. They are scaled where the interpreter waits, not in the
   ASL, so the execution history still shows the declared values. Lambda task timeouts and the
   state machine's TimeoutSeconds are deliberately NOT scaled: they bound real compute, and a
   scaled 60 s task timeout (0.6 s) would fail cold first invocations on a slow machine.
6. waitForTaskToken with HeartbeatSeconds: moto creates the heartbeat endpoint after the task's
   Lambda returned and then waits on heartbeats only, so an answer that arrived in between (a
   fast reviewer) was never seen and the task "timed out" on its heartbeat. A heartbeat endpoint
   created after the outcome is notified at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from icpa_local.moto_patches.registry import Patch, moto_module
from icpa_local.moto_patches.state import scaled

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


# --- 6. Heartbeat endpoint created after the callback answered -----------------------------------


def _wrap_setup_heartbeat(original: Callable[..., Any]) -> Callable[..., Any]:
    def setup_heartbeat_endpoint(self: Any, heartbeat_seconds: int) -> Any:
        endpoint = original(self, heartbeat_seconds)
        if self.get_outcome() is not None:  # answered before the wait began
            endpoint.notify()
        return endpoint

    return setup_heartbeat_endpoint


def patches() -> list[Patch]:
    retrier_decl = moto_module("moto.stepfunctions.parser.asl.component.common.retry.retrier_decl")
    wait_function = moto_module("moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function")
    callback = moto_module("moto.stepfunctions.parser.asl.eval.callback.callback")
    return [
        Patch(retrier_decl, "time", _ScaledTimeModule()),
        Patch(wait_function.WaitFunction, "_wait_interval", _scaled_wait_interval),
        Patch(callback, "Event", ScaledEvent),  # callback deadline and heartbeat of waitForTaskToken
        Patch.around(callback.CallbackEndpoint, "setup_heartbeat_endpoint", _wrap_setup_heartbeat),
    ]
