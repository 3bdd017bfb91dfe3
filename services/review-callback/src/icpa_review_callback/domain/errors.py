"""Errors the review desk raises. Names matter: Step Functions matches Catch on them."""

from __future__ import annotations

from icpa_shared.errors import IcpaError


class TaskTokenGoneError(IcpaError):
    """Step Functions no longer waits on the token (TaskTimedOut, InvalidToken,
    TaskDoesNotExist): the wait timed out or the execution ended. Not retryable."""

    default_reason = "TASK_TOKEN_GONE"


class TaskClosedError(TaskTokenGoneError):
    """TaskTimedOut: the token was real, but its task is closed (answered already, timed out,
    or its execution ended). A callback to it has nothing left to do."""


class TaskApiError(IcpaError):
    """Step Functions refused a callback for a reason that is neither transient nor a gone
    token (e.g. AccessDenied): a configuration problem, surfaced as a 500."""

    default_reason = "TASK_API_ERROR"


class InvalidCursorError(IcpaError):
    """A `next` page token that the reviews table did not issue."""

    default_reason = "INVALID_CURSOR"
