"""The interpreter's Lambda tasks reach the function without an HTTP round trip (section 23 of
icpa_local.moto_patches): every answer and refusal is what moto's Lambda API gives the same
Invoke, and a plain invoke makes no request at all."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from local_fakes import spy_on
from moto import mock_aws

from icpa_local import callrecorder, moto_patches
from icpa_local.moto_patches import lambda_inprocess


def _eval_utils() -> Any:
    return moto_patches.moto_module(lambda_inprocess._EVAL_UTILS)


def _credentials(role_arn: str | None = None) -> Any:
    module = moto_patches.moto_module("moto.stepfunctions.parser.asl.component.state.exec.state_task.credentials")
    return module.StateCredentials(role_arn=role_arn)


@pytest.fixture
def function() -> Iterator[str]:
    moto_patches.install()
    with mock_aws():
        role = boto3.client("iam", region_name="us-east-1").create_role(
            RoleName="fn-role", AssumeRolePolicyDocument="{}"
        )["Role"]["Arn"]
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("fn.py", "def handler(event, context):\n    return event\n")
        arn = boto3.client("lambda", region_name="us-east-1").create_function(
            FunctionName="fn", Runtime="python3.11", Role=role, Handler="fn.handler", Code={"ZipFile": code.getvalue()}
        )["FunctionArn"]
        try:
            yield str(arn)
        finally:
            moto_patches.STATE.handlers.pop("fn", None)


def _invoke(parameters: dict[str, Any], credentials: Any = None) -> tuple[str, Any]:
    """What the Lambda task takes from the invoke: the response's InvocationResponse fields."""
    collections = moto_patches.moto_module("moto.utilities.collections")
    api = moto_patches.moto_module("moto.stepfunctions.parser.api")
    try:
        response = _eval_utils()._invoke_lambda_function(dict(parameters), "us-east-1", credentials or _credentials())
    except Exception as exc:
        return "raised", (type(exc).__name__, str(exc))
    return "answered", collections.select_from_typed_dict(typed_dict=api.InvocationResponse, obj=response)


def _as_moto_api(parameters: dict[str, Any], credentials: Any = None) -> tuple[str, Any]:
    patched = _invoke(parameters, credentials)
    with moto_patches.REGISTRY.undone(*lambda_inprocess.direct_invoke_attributes()):
        theirs = _invoke(parameters, credentials)
    assert patched == theirs
    return patched


def lambda_requests(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[str]]:
    """From here on, the URL of every request moto's stubber is handed for Lambda."""
    stubber = moto_patches.moto_module("moto.core.botocore_stubber").BotocoreStubber
    calls = spy_on(monkeypatch, stubber, "process_request")  # (self, request)
    return lambda: [url for call in calls if "lambda." in (url := str(call.args[1].url))]


def _raises(exc: Exception) -> Callable[[Any, Any], Any]:
    def handler(_event: Any, _context: Any) -> Any:
        raise exc

    return handler


@pytest.mark.parametrize(
    ("handler", "answer"),
    [
        (lambda event, _c: {"echo": event}, {"StatusCode": 200, "Payload": {"echo": {"claim": 1}}}),
        (lambda _e, _c: "text, not JSON", {"StatusCode": 200, "Payload": "text, not JSON"}),
        (lambda _e, _c: None, {"StatusCode": 200, "Payload": None}),
        (_raises(ValueError("bad claim")), None),  # Handled: the task's Retry/Catch see errorType
        (lambda _e, _c: "x" * 6_100_000, None),  # over moto's response limit: Function.ResponseSizeTooLarge
    ],
)
def test_an_invoke_answers_as_moto_s_lambda_api(function: str, handler: Any, answer: Any) -> None:
    moto_patches.STATE.handlers["fn"] = handler
    outcome = _as_moto_api({"FunctionName": function, "Payload": b'{"claim": 1}'})
    assert outcome[0] == "answered"
    if answer is not None:
        assert outcome[1] == answer
    else:
        assert "FunctionError" in outcome[1]


@pytest.mark.parametrize(
    "parameters",
    [
        {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:missing", "Payload": b"{}"},
        {"FunctionName": "fn:$LATEST", "Payload": b"{}"},
        {"FunctionName": "fn", "Payload": b"{}", "InvocationType": "Event"},
        {"FunctionName": "fn", "Payload": b"{}", "Qualifier": "$LATEST"},
    ],
)
def test_other_invokes_answer_or_refuse_as_moto_s_lambda_api(function: str, parameters: dict[str, Any]) -> None:
    moto_patches.STATE.handlers["fn"] = lambda event, _c: event
    _as_moto_api(parameters)


def test_a_plain_invoke_makes_no_request_and_the_state_machine_is_still_its_caller(
    monkeypatch: pytest.MonkeyPatch, function: str
) -> None:
    moto_patches.STATE.handlers["fn"] = lambda event, _c: event
    seen = lambda_requests(monkeypatch)
    with callrecorder.CallRecorder() as recorder:
        assert _invoke({"FunctionName": function, "Payload": b"{}"}) == ("answered", {"StatusCode": 200, "Payload": {}})
    assert seen() == []
    # the IAM fidelity check still sees the workflow's role invoke the function
    assert [(c.principal, c.service, c.operation) for c in recorder.calls] == [
        (callrecorder.STATE_MACHINE, "lambda", "Invoke")
    ]


def test_task_credentials_change_nothing_as_in_moto(monkeypatch: pytest.MonkeyPatch, function: str) -> None:
    # moto fills every task's credentials with the execution role and its client ignores them
    moto_patches.STATE.handlers["fn"] = lambda event, _c: event
    role = _credentials("arn:aws:iam::123456789012:role/icpa-local-states")
    seen = lambda_requests(monkeypatch)
    assert _as_moto_api({"FunctionName": function, "Payload": b"{}"}, role)[0] == "answered"
    assert len(seen()) == 1  # only the comparison's own call through the API


def test_an_unknown_function_takes_the_api(monkeypatch: pytest.MonkeyPatch, function: str) -> None:
    seen = lambda_requests(monkeypatch)
    assert _invoke({"FunctionName": function + "-missing", "Payload": b"{}"})[0] == "raised"
    assert len(seen()) == 1


def test_a_real_claims_invokes_make_no_lambda_request(monkeypatch: pytest.MonkeyPatch) -> None:
    # The local cloud's tasks (execution role in their credentials) take the direct path
    from importlib import resources

    from icpa_local.cloud import LocalCloud

    sample = resources.files("icpa_local").joinpath("samples/approve-office-visit.json").read_bytes()
    with LocalCloud(time_scale=0.001) as cloud:
        seen = lambda_requests(monkeypatch)  # after the cloud created its functions
        result = cloud.process(sample, "claims/approve-office-visit.json")
        cloud.wait_idle()
    assert str(result.outcome) == "APPROVED"
    assert seen() == []


def test_the_account_is_the_one_moto_would_serve(monkeypatch: pytest.MonkeyPatch, function: str) -> None:
    assert lambda_inprocess._interpreter_account() == "123456789012"
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "111122223333")
    assert lambda_inprocess._interpreter_account() == "111122223333"
