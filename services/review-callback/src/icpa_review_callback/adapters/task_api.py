"""Step Functions' callback API for the waiting AwaitHumanReview task.

The token is unwrapped here and only here, straight into the API call. Error messages name
the operation and AWS's error code, never the token.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import SecretStr

from icpa_review_callback.adapters.errors import raise_dependency_error
from icpa_review_callback.domain.errors import TaskApiError, TaskTokenGoneError
from icpa_shared.adapters.aws import LazyClient, error_code

# The execution no longer waits on this token: timed out, already completed, or ended.
GONE_CODES: Final = frozenset({"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"})


class StepFunctionsTaskApi:
    _sfn = LazyClient("stepfunctions")

    def __init__(self, stepfunctions: Any = None) -> None:
        self._client = stepfunctions

    def send_success(self, task_token: SecretStr, output: str) -> None:
        self._call("send_task_success", taskToken=task_token.get_secret_value(), output=output)

    def send_heartbeat(self, task_token: SecretStr) -> None:
        self._call("send_task_heartbeat", taskToken=task_token.get_secret_value())

    def _call(self, operation: str, **kwargs: Any) -> None:
        try:
            getattr(self._sfn, operation)(**kwargs)
        except Exception as exc:
            code = error_code(exc)
            if code in GONE_CODES:
                raise TaskTokenGoneError(f"stepfunctions.{operation}: {code}") from None
            raise_dependency_error(exc, f"stepfunctions.{operation}")
            if code:
                # `from None`: AWS's message for a refused callback may quote its input.
                raise TaskApiError(f"stepfunctions.{operation}: {code}") from None
            raise
