"""The call recorder: each principal's boto3 calls, with their parameters, and nobody else's."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from icpa_local.callrecorder import CallRecorder, acting_as, current_principal, record, unrecorded


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="icpa-test")
        yield client


def test_calls_are_recorded_for_the_acting_principal_only(s3: Any) -> None:
    with CallRecorder() as recorder:
        s3.put_object(Bucket="icpa-test", Key="outside", Body=b"x")  # the test driver's: nobody's
        with acting_as("IntakeFunction"):
            s3.put_object(Bucket="icpa-test", Key="claims/1.json", Body=b"{}")
            with acting_as("ReviewApiFunction"):  # a handler calling another in-process
                s3.get_object(Bucket="icpa-test", Key="claims/1.json")
            with unrecorded():
                s3.head_object(Bucket="icpa-test", Key="claims/1.json")
            s3.list_objects_v2(Bucket="icpa-test", Prefix="claims/")
    got = [(c.principal, c.service, c.operation, c.params.get("Key") or c.params.get("Prefix")) for c in recorder.calls]
    assert got == [
        ("IntakeFunction", "s3", "PutObject", "claims/1.json"),
        ("ReviewApiFunction", "s3", "GetObject", "claims/1.json"),
        ("IntakeFunction", "s3", "ListObjectsV2", "claims/"),
    ]
    assert current_principal() is None


def test_a_client_built_before_recording_is_still_seen(s3: Any) -> None:
    # s3 was built before the recorder existed (as cached adapters' clients are)
    with CallRecorder() as recorder, acting_as("ArchiverFunction"):
        s3.list_buckets()
    assert [(c.principal, c.operation) for c in recorder.calls] == [("ArchiverFunction", "ListBuckets")]


def test_principal_is_per_thread_and_nothing_is_kept_after_exit(s3: Any) -> None:
    seen: list[str | None] = []
    with CallRecorder() as recorder, acting_as("RouterFunction"):

        def other_thread() -> None:
            seen.append(current_principal())
            s3.list_buckets()

        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        record("ClaimsStateMachine", "lambda", "Invoke", {"FunctionName": "RouterFunction"})
    with acting_as("RouterFunction"):
        s3.list_buckets()  # no recorder open: not kept anywhere
    assert seen == [None]
    assert [(c.principal, c.operation) for c in recorder.calls] == [("ClaimsStateMachine", "Invoke")]


def test_each_call_keeps_its_own_parsed_response(s3: Any) -> None:
    # icpa cost sizes DynamoDB reads from the responses; a nobody's call in between takes none
    s3.put_object(Bucket="icpa-test", Key="a.json", Body=b"{}")
    with CallRecorder() as recorder:
        with acting_as("FraudFunction"):
            s3.list_objects_v2(Bucket="icpa-test")
        s3.head_object(Bucket="icpa-test", Key="a.json")  # the driver's: not recorded, not paired
        with acting_as("FraudFunction"):
            s3.head_object(Bucket="icpa-test", Key="a.json")
        record("ClaimsStateMachine", "lambda", "Invoke")  # no client call: no response
    listed, head, invoke = recorder.calls
    assert [o["Key"] for o in listed.response["Contents"]] == ["a.json"]
    assert head.response["ContentLength"] == 2 and "Contents" not in head.response
    assert invoke.response == {}
