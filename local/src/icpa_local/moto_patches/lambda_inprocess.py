"""1. Lambda without Docker: `LambdaFunction._invoke_lambda` (the only method that touches
Docker) calls the in-process Python handler registered for the function name instead. An
exception becomes `{"errorType": <class name>, "errorMessage": ...}` with errored=True, so Step
Functions' Retry/Catch match on the class name exactly as on AWS."""

from __future__ import annotations

import json
import uuid
from typing import Any

from icpa_local import callrecorder
from icpa_local.lambda_context import LambdaContext, runtime_error
from icpa_local.moto_patches.registry import Patch, moto_module
from icpa_local.moto_patches.state import STATE, running_handler


def _invoke_in_process(self: Any, event: str | None = None) -> tuple[str, bool, str]:
    handler = STATE.handlers.get(self.function_name)
    if handler is None:
        body = {
            "errorType": "ResourceNotFoundException",
            "errorMessage": f"no in-process handler registered for {self.function_name}",
        }
        return json.dumps(body), True, ""
    # moto hands over the already-decoded payload on some paths
    payload = (json.loads(event) if event else {}) if isinstance(event, str | bytes | bytearray) else event or {}
    context = LambdaContext(
        function_name=self.function_name,
        aws_request_id=str(uuid.uuid4()),
        invoked_function_arn=self.function_arn,
        log_group_name=f"/aws/lambda/{self.function_name}",
    )
    if callrecorder.current_principal() is None:  # the interpreter's invoke, not a handler's
        callrecorder.record(callrecorder.STATE_MACHINE, "lambda", "Invoke", {"FunctionName": self.function_arn})
    try:
        with running_handler(self.function_name):
            result = handler(payload, context)
    except Exception as exc:  # the Lambda runtime's contract: report, don't raise
        # A handler run in a worker process (icpa_local.workers) raises with the type its
        # exception had there; an in-process one is its own class.
        error_type = getattr(exc, "error_type", None) or type(exc).__name__
        return json.dumps(runtime_error(error_type, str(exc))), True, ""
    return json.dumps(result), False, ""


def patches() -> list[Patch]:
    lambda_models = moto_module("moto.awslambda.models")
    return [Patch(lambda_models.LambdaFunction, "_invoke_lambda", _invoke_in_process)]
