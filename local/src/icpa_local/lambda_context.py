"""The Lambda context object a handler receives locally (in-process or in a worker process)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def runtime_error(error_type: str, message: str) -> dict[str, Any]:
    """What the Lambda runtime reports for a failed invocation (the ASL matches `errorType`)."""
    return {"errorType": error_type, "errorMessage": message, "stackTrace": []}


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
