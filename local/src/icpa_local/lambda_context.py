"""The Lambda context object a handler receives locally (in-process or in a worker process)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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

    def fields(self) -> dict[str, Any]:
        """What rebuilds it in a worker process (dataclasses.asdict deep-copies: slower)."""
        return {
            "function_name": self.function_name,
            "aws_request_id": self.aws_request_id,
            "memory_limit_in_mb": self.memory_limit_in_mb,
            "invoked_function_arn": self.invoked_function_arn,
            "log_group_name": self.log_group_name,
            "log_stream_name": self.log_stream_name,
            "function_version": self.function_version,
        }
