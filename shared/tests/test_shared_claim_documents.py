"""The claim documents adapter against moto: the document Intake writes (the claim and the
policy snapshot it was validated against) reads back whole, one written before snapshots reads
without one, and a document that breaks the contract is a typed error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from icpa_shared.adapters.claims import S3ClaimDocuments
from icpa_shared.contracts import ClaimDocument, PolicySnapshot
from icpa_shared.errors import ContractViolationError
from icpa_shared.testing.aws import patched_aws_env
from icpa_shared.testing.builders import FIXED_NOW, a_claim, a_policy

BUCKET = "icpa-documents"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with patched_aws_env(monkeypatch), mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        yield client


def test_the_document_reads_back_with_its_policy_snapshot(s3: Any) -> None:
    documents = S3ClaimDocuments(BUCKET, s3)
    document = ClaimDocument.of(a_claim(), PolicySnapshot.of(a_policy(), read_at=FIXED_NOW))

    assert documents.get(documents.put(document)) == document


def test_a_document_written_before_snapshots_reads_without_one(s3: Any) -> None:
    documents = S3ClaimDocuments(BUCKET, s3)
    uri = documents.put(a_claim())  # a plain Claim: what Intake wrote before 1.2.0

    read = documents.get(uri)

    assert read.policy_snapshot is None and read.claim_id == a_claim().claim_id


def test_an_altered_snapshot_is_a_contract_violation_that_quotes_nothing(s3: Any) -> None:
    # Given a document whose snapshot was edited after Intake wrote it (the digest kept)
    documents = S3ClaimDocuments(BUCKET, s3)
    uri = documents.put(ClaimDocument.of(a_claim(), PolicySnapshot.of(a_policy(), read_at=FIXED_NOW)))
    stored = json.loads(s3.get_object(Bucket=BUCKET, Key="claims/CLM-0001.json")["Body"].read())
    stored["policy_snapshot"]["policy"]["members"] = ["MBR999999"]
    s3.put_object(Bucket=BUCKET, Key="claims/CLM-0001.json", Body=json.dumps(stored).encode())

    # Then reading it is a typed error (not retried by the ASL) that names no member id
    with pytest.raises(ContractViolationError, match="1 error") as raised:
        documents.get(uri)
    assert "MBR" not in str(raised.value) and raised.value.__cause__ is None
