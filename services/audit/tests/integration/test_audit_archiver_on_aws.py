"""The real archiver handler and adapters on moto: a Step Functions execution, the audit
table, the archive bucket. History paging and transient errors use botocore's Stubber."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from audit_aws import BUCKET, CLAIM_ID, TABLE, Cloud, approved_output, finished_event
from audit_testkit import T0
from botocore.stub import Stubber

from icpa_audit.adapters.archive_bucket import S3ArchiveWriter
from icpa_audit.adapters.audit_chain import AuditChainReader
from icpa_audit.adapters.step_functions import StepFunctionsHistory
from icpa_audit.domain.ports import ArchiverPorts
from icpa_audit.handler import handle, handler
from icpa_audit.wiring import ArchiverDeps
from icpa_shared.digest import sha256_hex
from icpa_shared.errors import ContractViolationError, TransientDependencyError

pytestmark = pytest.mark.integration


def test_the_handler_archives_history_and_chain_as_gzip_json(cloud: Cloud, logs: io.StringIO) -> None:
    # Given a finished execution and its claim's audit chain
    arn = cloud.start("upload-0042-a1")
    chain = cloud.record_chain(arn)

    # When EventBridge delivers its status change to the archiver
    result = handler(finished_event(arn, "upload-0042-a1", output=approved_output()), None)

    # Then one gzip JSON object holds the execution, every history event and the chain
    key = f"claims/{CLAIM_ID}/upload-0042-a1.json.gz"
    assert result["archived"] is True and result["key"] == key and result["claim_id"] == CLAIM_ID
    assert cloud.keys() == [key]
    obj, document = cloud.archived(key)
    assert obj["ContentType"] == "application/json" and obj["ContentEncoding"] == "gzip"
    history = cloud.sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    assert [e["type"] for e in document["history"]] == [e["type"] for e in history]
    assert [e["id"] for e in document["history"]] == [e["id"] for e in history]
    assert document["history"][0]["timestamp"] == history[0]["timestamp"].isoformat()
    assert document["history_sha256"] == sha256_hex(document["history"])
    assert document["audit_chain"] == [e.model_dump(mode="json") for e in chain]
    assert document["chain_verification"] == {"ok": True, "checked": 5, "broken_sequence": None, "problem": None}
    assert document["execution"]["arn"] == arn and document["execution"]["status"] == "SUCCEEDED"
    assert document["execution"]["output"]["record"]["outcome"] == "APPROVED"
    assert document["schema_version"] == "1.0" and document["archiver_version"] == "1.0.0"
    # and says so in its log
    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    archived = [line for line in lines if line["event"] == "execution.archived"]
    assert archived and archived[0]["key"] == key and archived[0]["chain_ok"] is True


def test_archiving_the_same_execution_again_is_idempotent(cloud: Cloud) -> None:
    arn = cloud.start("upload-0042-a1")
    cloud.record_chain(arn)
    event = finished_event(arn, "upload-0042-a1", output=approved_output())

    first = handler(event, None)
    _, before = cloud.archived(first["key"])
    second = handler(event, None)
    _, after = cloud.archived(second["key"])

    assert first["key"] == second["key"] and cloud.keys() == [first["key"]]
    before.pop("archived_at")
    after.pop("archived_at")
    assert before == after


def test_a_claim_found_nowhere_is_archived_unattributed(cloud: Cloud) -> None:
    arn = cloud.start("upload-0043-b2")

    result = handler(finished_event(arn, "upload-0043-b2", output=None), None)

    assert result["key"] == "unattributed/upload-0043-b2.json.gz" and result["claim_id"] is None
    _, document = cloud.archived(result["key"])
    assert document["audit_chain"] == [] and len(document["history"]) == 4


def test_the_whole_history_is_archived_across_pages(cloud: Cloud) -> None:
    # Given an execution whose history takes three pages (2,500 events)
    arn = cloud.start("upload-0044-c3")
    cloud.record_chain(arn)
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    stubber = Stubber(sfn)
    pages = history_pages(2500)
    for index, page in enumerate(pages):
        expected = {"executionArn": arn, "maxResults": 1000, "reverseOrder": False, "includeExecutionData": True}
        if index:
            expected["nextToken"] = f"token-{index}"
        stubber.add_response("get_execution_history", page, expected)
    deps = ArchiverDeps(
        ports=ArchiverPorts(
            history=StepFunctionsHistory(sfn),
            audit=AuditChainReader(TABLE, cloud.ddb),
            archive=S3ArchiveWriter(BUCKET, cloud.s3),
        ),
        clock=lambda: datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
    )

    # When archived
    with stubber:
        result = handle(finished_event(arn, "upload-0044-c3", output=approved_output()), deps)

    # Then every event of every page is in the archive, in order
    stubber.assert_no_pending_responses()
    _, document = cloud.archived(result["key"])
    assert result["history_events"] == 2500
    assert [e["id"] for e in document["history"]] == list(range(1, 2501))
    assert document["archived_at"] == "2026-03-02T10:00:00Z"


def test_the_history_pager_follows_next_token_to_the_end() -> None:
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    arn = "arn:aws:states:us-east-1:123456789012:execution:icpa-claims-workflow:paged"
    with Stubber(sfn) as stubber:
        for index, page in enumerate(history_pages(2001)):
            params = {"executionArn": arn, "maxResults": 1000, "reverseOrder": False, "includeExecutionData": True}
            if index:
                params["nextToken"] = f"token-{index}"
            stubber.add_response("get_execution_history", page, params)

        events = StepFunctionsHistory(sfn).events(arn)

        stubber.assert_no_pending_responses()
    assert [e["id"] for e in events] == list(range(1, 2002))
    assert events[0]["type"] == "ExecutionStarted" and events[-1]["type"] == "ExecutionSucceeded"


@pytest.mark.parametrize("code", ["ThrottlingException", "ServiceUnavailable"])
def test_a_throttled_history_read_is_a_transient_error(cloud: Cloud, code: str) -> None:
    arn = cloud.start("upload-0045-d4")
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    deps = ArchiverDeps(
        ports=ArchiverPorts(
            history=StepFunctionsHistory(sfn),
            audit=AuditChainReader(TABLE, cloud.ddb),
            archive=S3ArchiveWriter(BUCKET, cloud.s3),
        )
    )
    with Stubber(sfn) as stubber:
        stubber.add_client_error("get_execution_history", service_error_code=code, http_status_code=400)
        with pytest.raises(TransientDependencyError, match=code):
            handle(finished_event(arn, "upload-0045-d4", output=approved_output()), deps)
    assert cloud.keys() == []


def test_a_slow_down_from_the_archive_bucket_is_a_transient_error(cloud: Cloud) -> None:
    arn = cloud.start("upload-0046-e5")
    s3 = boto3.client("s3", region_name="us-east-1")
    deps = ArchiverDeps(
        ports=ArchiverPorts(
            history=StepFunctionsHistory(cloud.sfn),
            audit=AuditChainReader(TABLE, cloud.ddb),
            archive=S3ArchiveWriter(BUCKET, s3),
        )
    )
    with Stubber(s3) as stubber:
        stubber.add_client_error("put_object", service_error_code="SlowDown", http_status_code=503)
        with pytest.raises(TransientDependencyError, match="archive.put: SlowDown"):
            handle(finished_event(arn, "upload-0046-e5", output=approved_output()), deps)


def test_a_throttled_audit_read_is_a_transient_error(cloud: Cloud) -> None:
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    reader = AuditChainReader(TABLE, ddb)
    with Stubber(ddb) as stubber:
        stubber.add_client_error("query", service_error_code="ProvisionedThroughputExceededException")
        with pytest.raises(TransientDependencyError, match="audit.events"):
            reader.events(CLAIM_ID)


def test_an_event_that_is_not_a_status_change_is_refused(cloud: Cloud) -> None:
    with pytest.raises(ContractViolationError):
        handler({"source": "aws.s3", "detail-type": "Object Created", "detail": {}}, None)
    assert cloud.keys() == []


def test_a_running_execution_is_left_alone(cloud: Cloud) -> None:
    arn = cloud.start("upload-0047-f6")
    event = finished_event(arn, "upload-0047-f6", output=None)
    event["detail"].update(status="RUNNING", stopDate=None)

    result = handler(event, None)

    assert result == {"archived": False, "execution_name": "upload-0047-f6", "status": "RUNNING"}
    assert cloud.keys() == []


def history_pages(total: int) -> list[dict[str, Any]]:
    """GetExecutionHistory responses of up to 1000 events, linked by nextToken."""
    events: list[dict[str, Any]] = []
    for n in range(1, total + 1):
        kind = "ExecutionStarted" if n == 1 else "ExecutionSucceeded" if n == total else "PassStateEntered"
        event: dict[str, Any] = {
            "timestamp": T0 + timedelta(milliseconds=n),
            "type": kind,
            "id": n,
            "previousEventId": n - 1,
        }
        if kind == "PassStateEntered":
            event["stateEnteredEventDetails"] = {"name": f"Wait{n}", "input": "{}"}
        events.append(event)
    pages = [events[i : i + 1000] for i in range(0, total, 1000)]
    return [
        {"events": page, **({"nextToken": f"token-{i + 1}"} if i + 1 < len(pages) else {})}
        for i, page in enumerate(pages)
    ]
