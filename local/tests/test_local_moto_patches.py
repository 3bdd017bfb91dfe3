"""The moto patches: in-process Lambda with typed errors, the EventBridge -> Step Functions
target with the rule's input transformer, the time scale. Fake handlers keep this about the
machinery; the real handlers are exercised by tests/workflow."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from local_fakes import FakeSteps

from icpa_local import moto_patches
from icpa_local.cloud import LocalCloud
from icpa_shared.errors import InvalidClaimError, ModelThrottledError


def test_upload_starts_execution_through_rule_with_transformed_input(cloud: LocalCloud, steps: FakeSteps) -> None:
    # Given a file uploaded under claims/ -- When the rule fires -- Then the workflow input is
    # the transformer's small document, in AWS's shape (etag, not moto's eTag).
    arn = cloud.upload(b'{"any": "thing"}', "claims/one.json")
    assert cloud.wait(arn) == "SUCCEEDED"
    start_input = json.loads(cloud.history(arn)[0]["executionStartedEventDetails"]["input"])
    assert start_input["schema_version"] == "1.0"
    source = start_input["source"]
    assert source["bucket"] == "icpa-inbox" and source["key"] == "claims/one.json"
    assert len(source["etag"]) == 32 and source["size"] == 16 and source["version_id"]
    intake_event = steps.calls["intake"][0]
    assert intake_event["execution_id"] == arn and intake_event["state"]["source"] == source


def test_uploads_outside_the_prefix_start_nothing(cloud: LocalCloud) -> None:
    cloud.client("s3").put_object(Bucket="icpa-inbox", Key="other/x.json", Body=b"{}")
    machine = cloud.names.state_machine_arn()
    assert cloud.client("stepfunctions").list_executions(stateMachineArn=machine)["executions"] == []


def test_handler_errors_reach_retry_by_class_name(cloud: LocalCloud, steps: FakeSteps) -> None:
    steps.fraud_failures = [ModelThrottledError("slow down"), ModelThrottledError("slow down")]
    arn = cloud.upload(b"{}", "claims/throttled.json")
    assert cloud.wait(arn) == "SUCCEEDED"
    failed = [e for e in cloud.history(arn) if e["type"] == "LambdaFunctionFailed"]
    assert [e["lambdaFunctionFailedEventDetails"]["error"] for e in failed] == ["ModelThrottledError"] * 2
    cause = json.loads(failed[0]["lambdaFunctionFailedEventDetails"]["cause"])
    assert cause["errorType"] == "ModelThrottledError" and "MODEL_THROTTLED" in cause["errorMessage"]
    assert len(steps.calls["fraud"]) == 3
    assert cloud.result(arn).outcome == "APPROVED"


def test_permanent_error_is_not_retried_and_is_caught(cloud: LocalCloud, steps: FakeSteps) -> None:
    steps.intake_error = InvalidClaimError("bad claim", reasons=["MALFORMED_JSON"])
    arn = cloud.upload(b"not json", "claims/bad.json")
    assert cloud.wait(arn) == "SUCCEEDED"
    assert len(steps.calls["intake"]) == 1
    quarantine_event = steps.calls["quarantine"][0]["state"]["error"]
    assert quarantine_event["Error"] == "InvalidClaimError"
    result = cloud.result(arn)
    assert result.outcome == "REJECTED" and result.states[-1] == "ClaimRejected"


def test_unexpected_crash_fails_the_execution_after_quarantine(cloud: LocalCloud, steps: FakeSteps) -> None:
    steps.intake_error = KeyError("boom")
    arn = cloud.upload(b"{}", "claims/crash.json")
    assert cloud.wait(arn) == "FAILED"
    result = cloud.result(arn)
    assert result.states[-2:] == ["ChooseQuarantineOutcome", "ClaimErrored"]
    assert result.outcome == "ERROR"


def test_time_scale_shrinks_retry_backoff(cloud: LocalCloud, steps: FakeSteps) -> None:
    # ModelThrottledError retries at 2 s, 4 s, 8 s, 16 s, 32 s (full jitter, capped at 60 s):
    # up to 62 s of declared waiting, which a 0.001 scale turns into well under a second.
    steps.fraud_failures = [ModelThrottledError("slow")] * 5
    started = time.monotonic()
    arn = cloud.upload(b"{}", "claims/backoff.json")
    assert cloud.wait(arn, timeout=30) == "SUCCEEDED"
    assert time.monotonic() - started < 10
    assert len(steps.calls["fraud"]) == 6


def test_scaled_helpers() -> None:
    moto_patches.set_time_scale(0.5)
    assert moto_patches.scaled(10) == 5 and moto_patches.scaled(None) is None
    with pytest.raises(ValueError):
        moto_patches.set_time_scale(0)
    moto_patches.set_time_scale(0.001)


def test_aws_shaped_renames_moto_etag() -> None:
    event = {"detail": {"object": {"key": "claims/a.json", "eTag": "abc"}}}
    assert moto_patches.aws_shaped(event)["detail"]["object"] == {"key": "claims/a.json", "etag": "abc"}
    assert event["detail"]["object"]["eTag"] == "abc"  # the original is not mutated


def test_execution_names_are_valid_and_unique() -> None:
    event = {"detail": {"object": {"key": "claims/My Claim (1).json"}}}
    a, b = moto_patches.execution_name_for(event), moto_patches.execution_name_for(event)
    assert a != b and a.startswith("My-Claim-1-") and len(a) <= 80


def test_execution_end_emits_aws_status_change_event_to_lambda_targets(cloud: LocalCloud) -> None:
    # Given a rule on Step Functions status changes with a Lambda target (as the archiver has)
    seen: list[dict[str, Any]] = []
    moto_patches.STATE.handlers["StatusSpy"] = lambda event, ctx: seen.append(event)
    events = cloud.client("events")
    events.put_rule(
        Name="status",
        EventPattern=json.dumps(
            {
                "source": ["aws.states"],
                "detail-type": ["Step Functions Execution Status Change"],
                "detail": {"status": ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]},
            }
        ),
    )
    events.put_targets(Rule="status", Targets=[{"Id": "spy", "Arn": cloud.names.function_arn("StatusSpy")}])
    ended: list[str] = []
    moto_patches.STATE.on_execution_ended.append(lambda execution: ended.append(execution.exec_arn))
    try:
        # When an execution ends
        arn = cloud.upload(b"{}", "claims/status.json")
        assert cloud.wait(arn) == "SUCCEEDED"
        # The status is SUCCEEDED a moment before the event is put on the bus (same thread).
        deadline = time.monotonic() + 10
        while not seen and time.monotonic() < deadline:
            moto_patches.wait_for_async_invocations()
            time.sleep(0.01)
    finally:
        moto_patches.STATE.on_execution_ended.clear()
        del moto_patches.STATE.handlers["StatusSpy"]
    # Then the hook ran and the Lambda target got the AWS-shaped event
    assert ended == [arn]
    (event,) = seen
    assert event["source"] == "aws.states" and event["detail-type"] == "Step Functions Execution Status Change"
    detail = event["detail"]
    assert detail["executionArn"] == arn and detail["status"] == "SUCCEEDED"
    assert detail["stopDate"] >= detail["startDate"] and json.loads(detail["output"])["record"]["outcome"] == "APPROVED"


def test_async_lambda_targets_are_retried_like_lambda_async_invocations(cloud: LocalCloud) -> None:
    # Given a rule target that fails once (e.g. the archiver meeting a throttled dependency)
    calls: list[str] = []

    def flaky(event: dict[str, Any], ctx: Any) -> None:
        calls.append(event["detail"]["status"])
        if len(calls) == 1:
            raise RuntimeError("throttled")

    moto_patches.STATE.handlers["FlakySpy"] = flaky
    events = cloud.client("events")
    events.put_rule(Name="flaky", EventPattern=json.dumps({"source": ["aws.states"]}))
    events.put_targets(Rule="flaky", Targets=[{"Id": "flaky", "Arn": cloud.names.function_arn("FlakySpy")}])
    try:
        arn = cloud.upload(b"{}", "claims/flaky.json")
        assert cloud.wait(arn) == "SUCCEEDED"
        moto_patches.wait_for_async_invocations()
    finally:
        del moto_patches.STATE.handlers["FlakySpy"]
    # Then it is invoked again, as Lambda retries an asynchronous invocation
    assert calls == ["SUCCEEDED", "SUCCEEDED"]
