"""1. Lambda without Docker: `LambdaFunction._invoke_lambda` (the only method that touches
Docker) calls the in-process Python handler registered for the function name instead. An
exception becomes `{"errorType": <class name>, "errorMessage": ...}` with errored=True, so Step
Functions' Retry/Catch match on the class name exactly as on AWS.

23. A Lambda task's Invoke without the round trip: moto's interpreter invokes a task's function
through a boto3 client, so each of a claim's ~6 invokes was serialized by botocore, dispatched
by moto's HTTP layer to `LambdaResponse.invoke` and parsed back (~0.45 ms each, ~5% of the
state process with two handler workers; py-spy, 2026-12-01). Step Functions on AWS does not
call Lambda through an SDK client either. The task now calls what that response handler calls
(the backend's function lookup, `LambdaFunction.invoke`, the 6 MB response check) and builds
the fields the task reads (StatusCode, FunctionError, Payload). Tested against the API path in
local/tests/test_local_moto_invoke.py."""

from __future__ import annotations

import io
import json
import os
import sys
import uuid
from collections.abc import Callable
from typing import Any, Final

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
    return [Patch(lambda_models.LambdaFunction, "_invoke_lambda", _invoke_in_process), *direct_invoke_patches()]


# --- 23. The interpreter's Lambda tasks reach the function without an HTTP round trip -----------

_EVAL_UTILS: Final = "moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils"
_PAYLOAD_LIMIT: Final = 6000000  # moto 5.2.5's LambdaResponse.invoke: the response size it refuses
_TOO_LARGE: Final = {
    "errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
    "errorType": "Function.ResponseSizeTooLarge",
}


def _interpreter_account() -> str:
    """The account moto's Lambda responses would serve the interpreter's request in: the
    environment's, else the one owning the request's access key (moto's `get_current_account`).
    The interpreter's client signs with "ak"; unsigned (section 12), moto reads "AKIAEXAMPLE"."""
    from moto.iam.models import get_account_id_from

    from icpa_local.moto_patches.transport import signature_unread

    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    return str(get_account_id_from("AKIAEXAMPLE" if signature_unread() else "ak"))


def _invoking_directly(original: Callable[..., Any]) -> Callable[..., Any]:
    """moto's `_invoke_lambda_function` (a Lambda task's Invoke, through the interpreter's boto3
    client, botocore and moto's HTTP dispatch), as moto's Lambda responses answer it, with the
    round trip left out: the same backend lookup, `LambdaFunction.invoke`, size check and
    response fields. Anything but a plain synchronous invoke of a function the backend has (an
    invocation type, a qualifier, a function it does not know) goes through `original`, whose
    errors are the API's. The task's credentials (the execution role, or the state's
    `Credentials`) change nothing: moto's `boto_client_for` ignores them and signs as "ak"."""
    lambda_eval_utils = moto_module(_EVAL_UTILS)

    def _invoke_lambda_function(parameters: dict[str, Any], region: str, state_credentials: Any) -> Any:
        payload = parameters.get("Payload")
        if set(parameters) != {"FunctionName", "Payload"} or not isinstance(payload, bytes):
            return original(parameters, region, state_credentials)
        from moto.awslambda.models import lambda_backends

        try:
            function = lambda_backends[_interpreter_account()][region].get_function(parameters["FunctionName"], None)
        except Exception:
            return original(parameters, region, state_credentials)  # the API's refusal
        response_headers: dict[str, str] = {}
        answer = function.invoke(payload.decode("utf-8"), {}, response_headers)
        if sys.getsizeof(answer) > _PAYLOAD_LIMIT:  # measured on what the backend returned, as moto does
            response_headers["x-amz-function-error"] = "Unhandled"
            answer = json.dumps(_TOO_LARGE)
        if isinstance(answer, str):
            answer = answer.encode("utf-8")
        response: dict[str, Any] = {"StatusCode": 200}
        if "x-amz-function-error" in response_headers:
            response["FunctionError"] = response_headers["x-amz-function-error"]
        response["Payload"] = lambda_eval_utils._from_payload(io.BytesIO(answer))
        return response

    _invoke_lambda_function.__wrapped__ = original  # type: ignore[attr-defined]
    return _invoke_lambda_function


def direct_invoke_attributes() -> list[tuple[Any, str]]:
    """What section 23 replaces: (owner, attribute), for `REGISTRY.undone` in tests and benchmarks."""
    return [(moto_module(_EVAL_UTILS), "_invoke_lambda_function")]


def direct_invoke_patches() -> list[Patch]:
    return [Patch.around(owner, name, _invoking_directly) for owner, name in direct_invoke_attributes()]
