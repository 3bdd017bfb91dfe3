"""load_trail + verify_trail through the real adapters (S3ArchiveReader, AuditChainReader) on
moto, after the real handler archived the execution; then the table and the bucket are tampered
with the way someone with write access could."""

from __future__ import annotations

import json

import pytest
from audit_aws import BUCKET, CLAIM_ID, TABLE, Cloud, approved_output, finished_event
from botocore.stub import Stubber

from icpa_audit.adapters.archive_bucket import S3ArchiveReader
from icpa_audit.domain import load_trail, render_timeline, verify_trail
from icpa_audit.domain.ports import UnreadableArchiveError
from icpa_audit.handler import handler
from icpa_audit.settings import AuditSettings
from icpa_audit.wiring import trail_sources

pytestmark = pytest.mark.integration

NAME = "upload-0042-a1"


def archived_claim(cloud: Cloud) -> str:
    arn = cloud.start(NAME)
    cloud.record_chain(arn)
    return str(handler(finished_event(arn, NAME, output=approved_output()), None)["key"])


def test_an_archived_claim_loads_and_verifies_from_aws(cloud: Cloud) -> None:
    key = archived_claim(cloud)
    sources = trail_sources(AuditSettings())

    trail = load_trail(CLAIM_ID, sources.audit, sources.archive)
    verification = verify_trail(trail)

    assert verification.ok, [str(b) for b in verification.broken]
    assert [run.key for run in trail.archives] == [key]
    assert [e.step for e in trail.events] == ["intake", "fraud", "adjudication", "router", "decision"]
    assert trail.archives[0].outcome == "APPROVED"
    assert "Verification: OK: 5 audit event(s)" in render_timeline(trail, verification)


def test_an_event_edited_in_the_audit_table_is_named(cloud: Cloud) -> None:
    archived_claim(cloud)
    item = cloud.ddb.get_item(TableName=TABLE, Key={"claim_id": {"S": CLAIM_ID}, "sequence": {"N": "2"}})["Item"]
    event = json.loads(item["event"]["S"])
    event["reason_codes"] = []
    cloud.ddb.put_item(TableName=TABLE, Item={**item, "event": {"S": json.dumps(event)}})

    sources = trail_sources(AuditSettings())
    verification = verify_trail(load_trail(CLAIM_ID, sources.audit, sources.archive))

    assert [str(b) for b in verification.broken] == [
        "sequence 2 (fraud): content does not match its hash",
        f"sequence 2 (fraud): differs from the copy archived with {NAME} (reason_codes)",
    ]


def test_a_corrupted_archive_object_is_reported_unreadable(cloud: Cloud) -> None:
    key = archived_claim(cloud)
    cloud.s3.put_object(Bucket=BUCKET, Key=key, Body=b"overwritten", ContentType="application/json")

    sources = trail_sources(AuditSettings())
    trail = load_trail(CLAIM_ID, sources.audit, sources.archive)
    verification = verify_trail(trail)

    assert [u.key for u in trail.unreadable] == [key]
    assert str(verification.broken[0]).startswith(f"archive {key}: not a readable archive document")


def test_the_reader_lists_only_this_claims_archives_and_says_why_one_cannot_be_read(cloud: Cloud) -> None:
    key = archived_claim(cloud)
    cloud.s3.put_object(Bucket=BUCKET, Key=f"claims/{CLAIM_ID}-2/other.json.gz", Body=b"x")
    cloud.s3.put_object(Bucket=BUCKET, Key=f"claims/{CLAIM_ID}/notes.txt", Body=b"x")
    cloud.s3.put_object(Bucket=BUCKET, Key=f"claims/{CLAIM_ID}/frozen.json.gz", Body=b"x", StorageClass="GLACIER")
    reader = S3ArchiveReader(BUCKET, cloud.s3)

    assert reader.keys(CLAIM_ID) == [f"claims/{CLAIM_ID}/frozen.json.gz", key]
    with pytest.raises(UnreadableArchiveError, match="Glacier"):
        reader.read(f"claims/{CLAIM_ID}/frozen.json.gz")
    with pytest.raises(UnreadableArchiveError, match="gone"):
        reader.read(f"claims/{CLAIM_ID}/missing.json.gz")
    assert reader.read(key).claim_id == CLAIM_ID


def test_the_reader_pages_through_many_archives() -> None:
    import boto3

    s3 = boto3.client("s3", region_name="us-east-1")
    prefix = f"claims/{CLAIM_ID}/"
    with Stubber(s3) as stubber:
        stubber.add_response(
            "list_objects_v2",
            {
                "Contents": [{"Key": f"{prefix}run-{n:04d}.json.gz"} for n in range(1000)],
                "IsTruncated": True,
                "NextContinuationToken": "page-2",
            },
            {"Bucket": BUCKET, "Prefix": prefix},
        )
        stubber.add_response(
            "list_objects_v2",
            {"Contents": [{"Key": f"{prefix}run-{n:04d}.json.gz"} for n in range(1000, 1005)], "IsTruncated": False},
            {"Bucket": BUCKET, "Prefix": prefix, "ContinuationToken": "page-2"},
        )

        keys = S3ArchiveReader(BUCKET, s3).keys(CLAIM_ID)

        stubber.assert_no_pending_responses()
    assert len(keys) == 1005 and keys[0].endswith("run-0000.json.gz") and keys[-1].endswith("run-1004.json.gz")
