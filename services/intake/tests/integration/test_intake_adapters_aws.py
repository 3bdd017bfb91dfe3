"""Intake's AWS adapters against moto: the exact calls, conditions and error mapping."""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import MagicMock

import pytest
from botocore.exceptions import ClientError
from intake_testkit import EXECUTION_ID, NOW

from icpa_intake.adapters.claims_table import DynamoClaimsTable
from icpa_intake.adapters.quarantine_store import S3QuarantineStore
from icpa_intake.adapters.source_objects import S3SourceObjects
from icpa_intake.domain.ports import ClaimRegistration, DuplicateClaimIdError, Registered
from icpa_intake.domain.records import in_progress_record, index_entry
from icpa_shared.adapters.policies import DynamoPolicies
from icpa_shared.contracts import ClaimRecord, DecidedBy, Outcome, SourceObject
from icpa_shared.errors import ClaimNotFoundError, ContractViolationError, TransientDependencyError
from icpa_shared.testing.aws import count_calls
from icpa_shared.testing.builders import a_claim


def put(aws: dict[str, Any], key: str, body: bytes, bucket: str = "icpa-inbox") -> SourceObject:
    response = aws["s3"].put_object(Bucket=bucket, Key=key, Body=body)
    return SourceObject(bucket=bucket, key=key, etag=response["ETag"].strip('"'), version_id=response.get("VersionId"))


def registration(source_id: str, claim_id: str = "CLM-0001") -> ClaimRegistration:
    claim = a_claim(claim_id=claim_id)
    source = SourceObject(bucket="icpa-inbox", key="claims/x.json")
    uri = "s3://icpa-documents/claims/x.json"
    record = in_progress_record(
        claim, source=source, claim_uri=uri, execution_id=EXECUTION_ID, version="1.0.0", now=NOW
    )
    return ClaimRegistration(index=index_entry(claim), record=record, source_id=source_id, claim_digest="d" * 64)


def throttled(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, operation)


# --- source objects ----------------------------------------------------------------------------


def test_the_announced_object_is_read_with_its_size(aws: dict[str, Any]) -> None:
    source = put(aws, "claims/a.json", b'{"claim_id": "CLM-1"}')

    blob = S3SourceObjects(aws["s3"]).read(source, max_bytes=1024)

    assert (blob.data, blob.size) == (b'{"claim_id": "CLM-1"}', 21)


def test_only_max_bytes_plus_one_are_read_from_a_large_object(aws: dict[str, Any]) -> None:
    source = put(aws, "claims/big.json", b"x" * 10_000)

    blob = S3SourceObjects(aws["s3"]).read(source, max_bytes=1024)

    assert (len(blob.data), blob.size, blob.exceeds(1024)) == (1025, 10_000, True)


def test_a_specific_version_is_read_when_the_event_names_one(aws: dict[str, Any]) -> None:
    aws["s3"].put_bucket_versioning(Bucket="icpa-inbox", VersioningConfiguration={"Status": "Enabled"})
    first = put(aws, "claims/v.json", b"first")
    put(aws, "claims/v.json", b"second")

    assert S3SourceObjects(aws["s3"]).read(first, max_bytes=1024).data == b"first"


def test_an_object_replaced_since_the_event_is_source_changed(aws: dict[str, Any]) -> None:
    announced = put(aws, "claims/r.json", b"first")
    put(aws, "claims/r.json", b"second")

    with pytest.raises(ClaimNotFoundError) as caught:
        S3SourceObjects(aws["s3"]).read(announced, max_bytes=1024)

    assert caught.value.reasons == ("SOURCE_CHANGED",)


def test_a_missing_object_is_source_not_found(aws: dict[str, Any]) -> None:
    with pytest.raises(ClaimNotFoundError) as caught:
        S3SourceObjects(aws["s3"]).read(SourceObject(bucket="icpa-inbox", key="claims/none.json"), max_bytes=1024)

    assert caught.value.reasons == ("SOURCE_NOT_FOUND",)


def test_s3_throttling_is_a_transient_dependency_error() -> None:
    s3 = MagicMock()
    s3.get_object.side_effect = throttled("GetObject")

    with pytest.raises(TransientDependencyError):
        S3SourceObjects(s3).read(SourceObject(bucket="icpa-inbox", key="claims/a.json"), max_bytes=1024)


# --- policies ----------------------------------------------------------------------------------


def test_a_policy_on_file_is_returned_and_an_unknown_one_is_none(aws: dict[str, Any]) -> None:
    policies = DynamoPolicies("icpa-policies", aws["dynamodb"])

    policy = policies.get("POL-GOLD001")

    assert policy is not None and policy.members == ["MBR000001", "MBR000002"]
    assert policies.get("POL-NOPE999") is None


def test_a_stored_policy_that_breaks_the_contract_is_a_contract_violation(aws: dict[str, Any]) -> None:
    aws["dynamodb"].put_item(
        TableName="icpa-policies", Item={"policy_id": {"S": "POL-BROKEN1"}, "policy": {"S": '{"policy_id": 1}'}}
    )

    with pytest.raises(ContractViolationError):
        DynamoPolicies("icpa-policies", aws["dynamodb"]).get("POL-BROKEN1")


# --- claims table ------------------------------------------------------------------------------


def test_registration_writes_the_documented_item(aws: dict[str, Any]) -> None:
    table = DynamoClaimsTable("icpa-claims", aws["dynamodb"])

    assert table.register(registration("s3://icpa-inbox/claims/x.json#etag=1")) is Registered.NEW

    item = aws["dynamodb"].get_item(TableName="icpa-claims", Key={"claim_id": {"S": "CLM-0001"}})["Item"]
    assert set(item) == {
        "claim_id", "member_id", "provider_npi", "service_date", "index", "record", "outcome",
        "updated_at", "source_uri", "source_id", "claim_uri", "claim_digest", "decision_owner",
    }  # fmt: skip
    assert (item["member_id"]["S"], item["provider_npi"]["S"], item["service_date"]["S"]) == (
        "MBR000001", "1234567893", "2026-03-01",
    )  # fmt: skip
    assert json.loads(item["index"]["S"])["lines"][0]["procedure_code"] == "99213"
    assert ClaimRecord.model_validate_json(item["record"]["S"]).outcome is Outcome.IN_PROGRESS
    assert item["outcome"]["S"] == "IN_PROGRESS"


def test_the_gsis_find_the_registered_claim_by_member_and_provider(aws: dict[str, Any]) -> None:
    DynamoClaimsTable("icpa-claims", aws["dynamodb"]).register(registration("src-1"))

    by_member = aws["dynamodb"].query(
        TableName="icpa-claims",
        IndexName="member-date-index",
        KeyConditionExpression="member_id = :m AND service_date = :d",
        ExpressionAttributeValues={":m": {"S": "MBR000001"}, ":d": {"S": "2026-03-01"}},
    )
    by_provider = aws["dynamodb"].query(
        TableName="icpa-claims",
        IndexName="provider-date-index",
        KeyConditionExpression="provider_npi = :p AND service_date = :d",
        ExpressionAttributeValues={":p": {"S": "1234567893"}, ":d": {"S": "2026-03-01"}},
    )
    assert [i["claim_id"]["S"] for i in by_member["Items"]] == ["CLM-0001"]
    assert [i["claim_id"]["S"] for i in by_provider["Items"]] == ["CLM-0001"]


def test_the_same_source_again_is_already_registered_and_another_is_a_duplicate(aws: dict[str, Any]) -> None:
    table = DynamoClaimsTable("icpa-claims", aws["dynamodb"])
    table.register(registration("src-1"))

    assert table.register(registration("src-1")) is Registered.ALREADY
    with pytest.raises(DuplicateClaimIdError):
        table.register(registration("src-2"))


def test_a_quarantined_claim_id_can_be_taken_over(aws: dict[str, Any]) -> None:
    table = DynamoClaimsTable("icpa-claims", aws["dynamodb"])
    record = ClaimRecord(
        claim_id="CLM-0001", outcome=Outcome.REJECTED, decided_by=DecidedBy.NONE, reason_codes=["TOTAL_MISMATCH"],
        source_uri="s3://icpa-inbox/claims/old.json", service_version="1.0.0", updated_at=NOW,
    )  # fmt: skip
    assert table.file_quarantined(record, source_id="src-old") is True

    assert table.register(registration("src-new")) is Registered.NEW


def test_quarantine_never_writes_over_an_id_held_by_another_source(aws: dict[str, Any]) -> None:
    table = DynamoClaimsTable("icpa-claims", aws["dynamodb"])
    table.register(registration("src-1"))
    record = ClaimRecord(
        claim_id="CLM-0001", outcome=Outcome.REJECTED, decided_by=DecidedBy.NONE, reason_codes=["DUPLICATE_CLAIM_ID"],
        source_uri="s3://icpa-inbox/claims/dup.json", service_version="1.0.0", updated_at=NOW,
    )  # fmt: skip

    assert table.file_quarantined(record, source_id="src-2") is False
    assert table.file_quarantined(record.model_copy(update={"outcome": Outcome.ERROR}), source_id="src-1") is True
    item = aws["dynamodb"].get_item(TableName="icpa-claims", Key={"claim_id": {"S": "CLM-0001"}})["Item"]
    assert item["outcome"]["S"] == "ERROR"
    assert "index" in item  # the accepted claim's history entry stays


def test_dynamodb_throttling_is_a_transient_dependency_error() -> None:
    ddb = MagicMock()
    ddb.put_item.side_effect = throttled("PutItem")

    with pytest.raises(TransientDependencyError):
        DynamoClaimsTable("icpa-claims", ddb).register(registration("src-1"))


# --- quarantine bucket -------------------------------------------------------------------------


def test_the_original_is_copied_byte_for_byte(aws: dict[str, Any]) -> None:
    source = put(aws, "claims/a.json", b"\x00original bytes\xff")
    store = S3QuarantineStore("icpa-quarantine", aws["s3"])

    copy = store.keep_original(source, "CLM-0001")

    assert (copy.status, copy.uri) == ("COPIED", "s3://icpa-quarantine/CLM-0001/original")
    body = aws["s3"].get_object(Bucket="icpa-quarantine", Key="CLM-0001/original")["Body"].read()
    assert body == b"\x00original bytes\xff"


def test_a_missing_original_is_reported_not_raised(aws: dict[str, Any]) -> None:
    copy = S3QuarantineStore("icpa-quarantine", aws["s3"]).keep_original(
        SourceObject(bucket="icpa-inbox", key="claims/none.json"), "CLM-0001"
    )

    assert (copy.status, copy.uri) == ("MISSING", None)


def test_the_copy_is_conditional_on_the_announced_etag_and_a_replaced_original_is_reported() -> None:
    # moto ignores CopySourceIfMatch; S3 answers 412 PreconditionFailed when the ETag moved on.
    s3 = MagicMock()
    s3.copy_object.side_effect = ClientError({"Error": {"Code": "PreconditionFailed", "Message": ""}}, "CopyObject")
    announced = SourceObject(bucket="icpa-inbox", key="claims/r.json", etag="abc123")

    copy = S3QuarantineStore("icpa-quarantine", s3).keep_original(announced, "CLM-0001")

    assert copy.status == "REPLACED"
    assert s3.copy_object.call_args.kwargs["CopySourceIfMatch"] == "abc123"
    assert s3.copy_object.call_args.kwargs["CopySource"] == {"Bucket": "icpa-inbox", "Key": "claims/r.json"}


def test_a_permanent_copy_refusal_is_reported_and_a_transient_one_raises() -> None:
    s3 = MagicMock()
    s3.copy_object.side_effect = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "CopyObject")
    source = SourceObject(bucket="icpa-inbox", key="claims/a.json")

    refused = S3QuarantineStore("icpa-quarantine", s3).keep_original(source, "CLM-0001")

    assert (refused.status, refused.detail) == ("NOT_COPIED", "AccessDenied")
    s3.copy_object.side_effect = throttled("CopyObject")
    with pytest.raises(TransientDependencyError):
        S3QuarantineStore("icpa-quarantine", s3).keep_original(source, "CLM-0001")


def test_reason_json_is_written_next_to_the_original(aws: dict[str, Any]) -> None:
    uri = S3QuarantineStore("icpa-quarantine", aws["s3"]).write_reason("CLM-0001", {"reason_codes": ["X_Y_Z"]})

    assert uri == "s3://icpa-quarantine/CLM-0001/reason.json"
    body = aws["s3"].get_object(Bucket="icpa-quarantine", Key="CLM-0001/reason.json")["Body"].read()
    assert json.loads(body) == {"reason_codes": ["X_Y_Z"]}


# --- the decision owner ------------------------------------------------------------------------

OTHER_EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:claims:redelivered"


def test_the_registering_execution_owns_the_decision_without_a_second_write(aws: dict[str, Any]) -> None:
    table = DynamoClaimsTable("icpa-claims", aws["dynamodb"])
    source_id = "s3://icpa-inbox/claims/x.json#etag=1"
    assert table.register(registration(source_id)) is Registered.NEW
    calls = count_calls(aws["dynamodb"])

    owner = table.claim_decision("CLM-0001", source_id=source_id, execution_id=EXECUTION_ID)

    assert owner.execution_id == EXECUTION_ID and calls == {}
    item = aws["dynamodb"].get_item(TableName="icpa-claims", Key={"claim_id": {"S": "CLM-0001"}})["Item"]
    assert item["decision_owner"] == {"S": EXECUTION_ID}


def test_a_redelivered_execution_finds_the_registering_one_as_owner(aws: dict[str, Any]) -> None:
    # Given the object registered (and so owned) by one execution, in another container
    source_id = "s3://icpa-inbox/claims/x.json#etag=1"
    DynamoClaimsTable("icpa-claims", aws["dynamodb"]).register(registration(source_id))
    table = DynamoClaimsTable("icpa-claims", aws["dynamodb"])

    # When a redelivery's execution claims it, and the owner asks again in a later invocation
    other = table.claim_decision("CLM-0001", source_id=source_id, execution_id=OTHER_EXECUTION)
    again = table.claim_decision("CLM-0001", source_id=source_id, execution_id=EXECUTION_ID)

    # Then the registering execution is the owner both times
    assert other.execution_id == EXECUTION_ID and other.outcome is Outcome.IN_PROGRESS
    assert again.execution_id == EXECUTION_ID


def test_a_taken_over_id_is_owned_by_the_execution_that_took_it(aws: dict[str, Any]) -> None:
    table = DynamoClaimsTable("icpa-claims", aws["dynamodb"])
    first = registration("s3://icpa-inbox/claims/a.json#etag=1")
    table.register(first)
    rejected = first.record.model_copy(update={"outcome": Outcome.REJECTED, "execution_id": OTHER_EXECUTION})
    assert table.file_quarantined(rejected, source_id=first.source_id)

    # another object takes the id over: its registration replaces the item, owner included
    second = registration("s3://icpa-inbox/claims/b.json#etag=2")
    assert table.register(second) is Registered.NEW
    owner = DynamoClaimsTable("icpa-claims", aws["dynamodb"]).claim_decision(
        "CLM-0001", source_id=second.source_id, execution_id=OTHER_EXECUTION
    )
    assert owner.execution_id == EXECUTION_ID  # the taking execution, not the quarantined one's
    with pytest.raises(DuplicateClaimIdError):
        table.claim_decision("CLM-0001", source_id=first.source_id, execution_id=OTHER_EXECUTION)
