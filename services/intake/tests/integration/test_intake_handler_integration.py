"""The real Lambda handlers on moto, wired from settings like in AWS: S3 -> table -> audit,
idempotent on the uploaded object through the claims table, and the quarantine path."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from intake_testkit import EXECUTION_ID, LAMBDA_CONTEXT, NOW, fixture_bytes, fixture_json

from icpa_intake.adapters.claims_table import DynamoClaimsTable
from icpa_intake.adapters.quarantine_store import S3QuarantineStore
from icpa_intake.adapters.source_objects import S3SourceObjects
from icpa_intake.domain.records import source_identity
from icpa_intake.handlers.intake import handler as intake_handler
from icpa_intake.handlers.quarantine import handle as quarantine
from icpa_intake.handlers.quarantine import handler as quarantine_handler
from icpa_intake.usecases.intake import IntakeDeps, accept_upload
from icpa_intake.usecases.quarantine import QuarantineDeps
from icpa_shared.adapters.audit_store import DynamoAuditStore
from icpa_shared.adapters.claims import S3ClaimDocuments
from icpa_shared.adapters.policies import DynamoPolicies
from icpa_shared.audit import verify_chain
from icpa_shared.contracts import ClaimDocument, ClaimRecord, StepInput
from icpa_shared.digest import sha256_hex
from icpa_shared.errors import InvalidClaimError

INBOX = "icpa-inbox"


def upload(aws: dict[str, Any], key: str, body: bytes) -> dict[str, Any]:
    """The workflow input the EventBridge rule builds for an upload."""
    response = aws["s3"].put_object(Bucket=INBOX, Key=key, Body=body)
    source = {"bucket": INBOX, "key": key, "etag": response["ETag"].strip('"'), "size": len(body)}
    return {"state": {"schema_version": "1.0", "source": source}, "execution_id": EXECUTION_ID}


def recent_claim(claim_id: str = "CLM-RECENT1") -> bytes:
    """The ICPA fixture moved to last week, so the real clock sees no future dates."""
    body = fixture_json("icpa_claim.json")
    served = (datetime.now(UTC) - timedelta(days=7)).date()
    body.update(claim_id=claim_id, service_date_from=str(served), service_date_to=str(served))
    body["received_date"] = str(served + timedelta(days=2))
    for line in body["lines"]:
        line["service_date"] = str(served)
    return json.dumps(body).encode()


def audit_events(aws: dict[str, Any], claim_id: str) -> list[Any]:
    return DynamoAuditStore("icpa-audit", aws["dynamodb"]).events(claim_id)


def claims_item(aws: dict[str, Any], claim_id: str) -> dict[str, Any]:
    item: dict[str, Any] = aws["dynamodb"].get_item(TableName="icpa-claims", Key={"claim_id": {"S": claim_id}})["Item"]
    return item


def test_the_intake_lambda_accepts_a_claim_end_to_end(aws: dict[str, Any]) -> None:
    # Given a claim uploaded to the inbox
    data = recent_claim()
    event = upload(aws, "claims/recent.json", data)

    # When the Intake Lambda runs on the workflow's input
    result = intake_handler(event, LAMBDA_CONTEXT)

    # Then it returns the IntakeResult as JSON
    assert result["claim_id"] == "CLM-RECENT1"
    assert result["claim_uri"] == "s3://icpa-documents/claims/CLM-RECENT1.json"
    assert result["claim_digest"] == sha256_hex(data)
    assert (result["source_format"], result["line_count"], result["total_charge"]) == (
        "icpa", 2, {"amount": "178.00", "currency": "USD"},
    )  # fmt: skip
    # the normalized claim is in the documents bucket, with the policy it was validated against
    stored = aws["s3"].get_object(Bucket="icpa-documents", Key="claims/CLM-RECENT1.json")["Body"].read()
    document = ClaimDocument.model_validate_json(stored)
    assert document.member_id == "MBR000001"
    assert document.policy_snapshot is not None
    assert document.policy_snapshot.policy == DynamoPolicies("icpa-policies", aws["dynamodb"]).get(document.policy_id)
    assert document.policy_snapshot.digest == sha256_hex(document.policy_snapshot.policy)
    # the claims table has the index entry and the IN_PROGRESS record
    item = claims_item(aws, "CLM-RECENT1")
    assert item["outcome"]["S"] == "IN_PROGRESS"
    assert ClaimRecord.model_validate_json(item["record"]["S"]).source_uri == "s3://icpa-inbox/claims/recent.json"
    # and the audit chain has one valid ACCEPTED event
    events = audit_events(aws, "CLM-RECENT1")
    assert [(e.step, e.decision) for e in events] == [("intake", "ACCEPTED")]
    assert verify_chain(events).ok


def test_a_redelivered_event_is_a_duplicate_that_writes_nothing(aws: dict[str, Any]) -> None:
    # Given an upload Intake has accepted once
    event = upload(aws, "claims/recent.json", recent_claim())
    first = intake_handler(event, LAMBDA_CONTEXT)
    document = aws["s3"].get_object(Bucket="icpa-documents", Key="claims/CLM-RECENT1.json")

    # When the same event is delivered again, to another execution
    second = intake_handler({**event, "execution_id": EXECUTION_ID.replace("test-1", "test-2")}, LAMBDA_CONTEXT)

    # Then it learns the first owns the decision, and the first's document and chain are untouched
    assert second["claim_id"] == first["claim_id"] and second["claim_uri"] == first["claim_uri"]
    assert (second["delivery"]["role"], second["delivery"]["owner_execution_id"]) == ("DUPLICATE", EXECUTION_ID)
    assert second["audit_head"] is None
    assert len(audit_events(aws, "CLM-RECENT1")) == 1
    again = aws["s3"].get_object(Bucket="icpa-documents", Key="claims/CLM-RECENT1.json")
    assert again["ETag"] == document["ETag"] and again["LastModified"] == document["LastModified"]


def test_another_object_with_the_same_claim_id_is_rejected_as_duplicate(aws: dict[str, Any]) -> None:
    intake_handler(upload(aws, "claims/one.json", recent_claim("CLM-DUP0001")), LAMBDA_CONTEXT)
    resubmitted = recent_claim("CLM-DUP0001").replace(b'"line_number": 2', b'"line_number": 3')

    with pytest.raises(InvalidClaimError) as caught:
        intake_handler(upload(aws, "claims/two.json", resubmitted), LAMBDA_CONTEXT)

    assert caught.value.reasons == ("DUPLICATE_CLAIM_ID",)
    assert claims_item(aws, "CLM-DUP0001")["source_uri"]["S"] == "s3://icpa-inbox/claims/one.json"


def test_an_invalid_claim_raises_with_its_reasons(aws: dict[str, Any]) -> None:
    body = json.loads(recent_claim())
    body["member_id"] = "MBR000003"
    body["lines"][0]["procedure_code"] = "9921"

    with pytest.raises(InvalidClaimError) as caught:
        intake_handler(upload(aws, "claims/bad.json", json.dumps(body).encode()), LAMBDA_CONTEXT)

    assert caught.value.reasons == ("INVALID_PROCEDURE_CODE", "UNKNOWN_MEMBER")


def test_a_fhir_file_is_accepted_with_adapters_on_moto_and_a_fixed_clock(aws: dict[str, Any]) -> None:
    # Given the FHIR fixture in the inbox and Intake wired to moto with a fixed clock
    event = upload(aws, "claims/fhir.json", fixture_bytes("fhir_claim_contained.json"))
    deps = IntakeDeps(
        sources=S3SourceObjects(aws["s3"]),
        policies=DynamoPolicies("icpa-policies", aws["dynamodb"]),
        documents=S3ClaimDocuments("icpa-documents", aws["s3"]),
        claims=DynamoClaimsTable("icpa-claims", aws["dynamodb"]),
        audit=DynamoAuditStore("icpa-audit", aws["dynamodb"]),
        clock=lambda: NOW,
    )

    # When it runs
    result = accept_upload(StepInput.model_validate(event), deps)

    # Then the FHIR claim is registered with its GSI keys
    assert (result.claim_id, result.source_format) == ("CLM-F0001", "fhir")
    item = claims_item(aws, "CLM-F0001")
    assert (item["member_id"]["S"], item["service_date"]["S"]) == ("MBR000002", "2026-03-02")
    assert result.received_date == date(2026, 3, 5)


def test_the_quarantine_lambda_files_an_invalid_claim(aws: dict[str, Any]) -> None:
    # Given an upload Intake rejected, and the Catch's error in state
    data = b'{"claim_id": "CLM-BAD0001", "lines": []}'
    event = upload(aws, "claims/bad.json", data)
    exc = InvalidClaimError("claim rejected", reasons=["SCHEMA_VIOLATION"])
    event["state"]["error"] = {
        "Error": "InvalidClaimError",
        "Cause": json.dumps({"errorMessage": str(exc), "errorType": "InvalidClaimError", "stackTrace": []}),
    }

    # When the quarantine Lambda runs
    result = quarantine_handler(event, LAMBDA_CONTEXT)

    # Then the original and its reason are in the quarantine bucket, and the outcome is recorded
    assert result == {
        "claim_id": "CLM-BAD0001",
        "outcome": "REJECTED",
        "reason_codes": ["SCHEMA_VIOLATION"],
        "quarantine_uri": "s3://icpa-quarantine/CLM-BAD0001/",
        "delivery": {"role": "OWNER", "owner_execution_id": event["execution_id"], "reason": None, "outcome": None},
    }
    original = aws["s3"].get_object(Bucket="icpa-quarantine", Key="CLM-BAD0001/original")["Body"].read()
    assert original == data
    reason = json.loads(aws["s3"].get_object(Bucket="icpa-quarantine", Key="CLM-BAD0001/reason.json")["Body"].read())
    assert (reason["error"], reason["reason_codes"], reason["execution_id"]) == (
        "InvalidClaimError", ["SCHEMA_VIOLATION"], EXECUTION_ID,
    )  # fmt: skip
    record = ClaimRecord.model_validate_json(claims_item(aws, "CLM-BAD0001")["record"]["S"])
    assert (record.outcome.value, record.decided_by.value) == ("REJECTED", "NONE")
    assert record.reason_codes == ["SCHEMA_VIOLATION"]
    assert [(e.step, e.decision) for e in audit_events(aws, "CLM-BAD0001")] == [("quarantine", "REJECTED")]


def test_the_quarantine_lambda_copes_with_a_vanished_object_and_a_timeout(aws: dict[str, Any]) -> None:
    event = upload(aws, "claims/gone.json", b"{}")
    aws["s3"].delete_object(Bucket=INBOX, Key="claims/gone.json")
    event["state"]["error"] = {"Error": "States.Timeout", "Cause": ""}

    result = quarantine_handler(event, LAMBDA_CONTEXT)

    assert result["outcome"] == "ERROR" and result["reason_codes"] == ["STATES_TIMEOUT"]
    claim_id = result["claim_id"]
    assert claim_id.startswith("Q-")
    reason = json.loads(aws["s3"].get_object(Bucket="icpa-quarantine", Key=f"{claim_id}/reason.json")["Body"].read())
    assert reason["original_status"] == "MISSING"
    assert claims_item(aws, claim_id)["outcome"]["S"] == "ERROR"


def test_quarantine_after_a_later_failure_keeps_the_claims_history_entry(aws: dict[str, Any]) -> None:
    # Given an accepted claim whose Fraud step later failed for good
    event = upload(aws, "claims/recent.json", recent_claim())
    intake = intake_handler(event, LAMBDA_CONTEXT)
    event["state"]["intake"] = intake
    cause = "claims.get: ThrottlingException [DEPENDENCY_UNAVAILABLE]"
    event["state"]["error"] = {"Error": "TransientDependencyError", "Cause": cause}
    deps = QuarantineDeps(
        sources=S3SourceObjects(aws["s3"]),
        quarantine=S3QuarantineStore("icpa-quarantine", aws["s3"]),
        claims=DynamoClaimsTable("icpa-claims", aws["dynamodb"]),
        audit=DynamoAuditStore("icpa-audit", aws["dynamodb"]),
        clock=lambda: NOW,
    )

    # When it is quarantined
    result = quarantine(StepInput.model_validate(event), deps)

    # Then it is filed under its own id, ERROR, and the history entry Fraud relies on stays
    assert (result.claim_id, result.outcome.value) == ("CLM-RECENT1", "ERROR")
    assert result.reason_codes == ["DEPENDENCY_UNAVAILABLE"]
    item = claims_item(aws, "CLM-RECENT1")
    assert item["outcome"]["S"] == "ERROR" and "index" in item
    assert item["source_id"]["S"] == source_identity(StepInput.model_validate(event).state.source)
    assert [e.step for e in audit_events(aws, "CLM-RECENT1")] == ["intake", "quarantine"]
    assert verify_chain(audit_events(aws, "CLM-RECENT1")).ok
