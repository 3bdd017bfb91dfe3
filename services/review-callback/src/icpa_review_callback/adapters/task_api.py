"""Step Functions' callback API for the waiting AwaitHumanReview task.

The token is unwrapped here and only here, straight into the API call. Error messages name
the operation and AWS's error code, never the token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from pydantic import SecretStr

from icpa_review_callback.adapters.errors import raise_dependency_error
from icpa_review_callback.domain.errors import TaskApiError, TaskClosedError, TaskTokenGoneError
from icpa_shared.adapters.aws import LazyClient, error_code

if TYPE_CHECKING:
    from types_boto3_stepfunctions.client import SFNClient

# The execution no longer waits on this token: timed out, already completed, or ended.
GONE_CODES: Final = frozenset({"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"})


class StepFunctionsTaskApi:
    _sfn: LazyClient[SFNClient] = LazyClient("stepfunctions")

    def __init__(self, stepfunctions: SFNClient | None = None) -> None:
        self._client = stepfunctions

    def send_success(self, task_token: SecretStr, output: str) -> None:
        token = task_token.get_secret_value()
        self._call("send_task_success", lambda: self._sfn.send_task_success(taskToken=token, output=output))

    def send_heartbeat(self, task_token: SecretStr) -> None:
        token = task_token.get_secret_value()
        self._call("send_task_heartbeat", lambda: self._sfn.send_task_heartbeat(taskToken=token))

    def _call(self, operation: str, call: Callable[[], object]) -> None:
        try:
            call()
        except Exception as exc:
            code = error_code(exc)
            if code == "TaskTimedOut":
                raise TaskClosedError(f"stepfunctions.{operation}: {code}") from None
            if code in GONE_CODES:
                raise TaskTokenGoneError(f"stepfunctions.{operation}: {code}") from None
            raise_dependency_error(exc, f"stepfunctions.{operation}")
            if code:
                # `from None`: AWS's message for a refused callback may quote its input.
                raise TaskApiError(f"stepfunctions.{operation}: {code}") from None
            raise
