"""X12 837 through the real workflow: one interchange upload -> SplitInterchange -> one claims
execution per CLM (named after the claim), each with its own outcome; a broken interchange ->
REJECTED with segment/element reasons and a 999 next to the quarantined original."""

from __future__ import annotations

import json
from typing import Any

import pytest

from icpa_local.cloud import LocalCloud
from icpa_local.interchanges import execution_arn, split_execution_names, split_result

from .conftest import sample

PROFESSIONAL = "x12-837p-approve-deny-review.837"
INSTITUTIONAL = "x12-837i-approve-institutional.837"
BROKEN = "x12-rejected-missing-claim-charge.837"


@pytest.fixture(scope="module")
def cloud() -> Any:
    with LocalCloud(time_scale=0.001) as running:
        yield running


def split(cloud: LocalCloud, name: str, key: str | None = None) -> tuple[str, list[str]]:
    arn = cloud.upload(sample(name), key or name)
    assert cloud.wait(arn) == "SUCCEEDED"
    names = split_execution_names(cloud.history(arn))
    return arn, [execution_arn(cloud.names.state_machine_arn(), n) for n in names]


def document(cloud: LocalCloud, bucket: str, key: str) -> bytes:
    body: bytes = cloud.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return body


def test_an_837p_with_four_claims_starts_four_executions_each_with_its_own_outcome(cloud: LocalCloud) -> None:
    parent, children = split(cloud, PROFESSIONAL)

    assert cloud.result(parent).outcome == "SPLIT"
    assert len(children) == 4
    outcomes = []
    for arn in children:
        status = cloud.wait(arn)
        if status == "WAITING_FOR_REVIEW":
            review_id = cloud.pending_review_for(arn)
            assert review_id is not None
            assert cloud.answer_review(review_id, "APPROVE", reviewer="alice", rationale="Operative report.")[0] == 200
            status = cloud.wait(arn, stop_at_review=False)
        assert status == "SUCCEEDED"
        result = cloud.result(arn)
        outcomes.append((result.outcome, result.route))
    assert outcomes == [("APPROVED", "AUTO"), ("DENIED", "AUTO"), ("APPROVED", "HUMAN"), ("APPROVED", "AUTO")]

    # each normalized claim carries its provenance: the envelope and its place in it
    claim_id = cloud.result(children[3]).claim_id
    assert claim_id is not None
    stored = json.loads(document(cloud, cloud.names.documents_bucket, f"claims/{claim_id}.json"))
    assert stored["member_id"] == "MBR000002" and stored["subscriber_id"] == "SUB000001"  # the dependent
    assert {k: stored["source"][k] for k in ("format", "interchange_control_number", "claim_position")} == {
        "format": "x12-837p",
        "interchange_control_number": "000000907",
        "claim_position": 4,
    }
    # the original interchange is kept, byte for byte
    interchange_id = claim_id.rsplit("-", 1)[0]
    original = document(cloud, cloud.names.documents_bucket, f"interchanges/{interchange_id}/original.x12")
    assert original == sample(PROFESSIONAL)


def test_an_837i_claim_is_decided_as_institutional(cloud: LocalCloud) -> None:
    _, (child,) = split(cloud, INSTITUTIONAL)

    assert cloud.wait(child) == "SUCCEEDED"
    result = cloud.result(child)
    assert result.outcome == "APPROVED"
    stored = json.loads(document(cloud, cloud.names.documents_bucket, f"claims/{result.claim_id}.json"))
    assert stored["claim_type"] == "institutional" and stored["source"]["format"] == "x12-837i"


def test_the_same_interchange_uploaded_again_starts_no_second_execution(cloud: LocalCloud) -> None:
    _, first = split(cloud, INSTITUTIONAL, "again-1.x12")
    for arn in first:
        cloud.wait(arn)
    parent, again = split(cloud, INSTITUTIONAL, "again-2.txt")

    assert again == first  # the same names: StartExecution refused them, nothing ran twice
    result = split_result(cloud.history(parent))
    assert result is not None and result["started"] == 0


def test_a_broken_interchange_is_rejected_with_segment_reasons_and_a_999(cloud: LocalCloud) -> None:
    arn = cloud.upload(sample(BROKEN), BROKEN)
    assert cloud.wait(arn) == "SUCCEEDED"

    result = cloud.result(arn)
    assert result.outcome == "REJECTED"
    assert "X12_REQUIRED_ELEMENT_MISSING" in result.reasons
    claim_id = result.claim_id
    assert claim_id is not None
    quarantine = cloud.names.quarantine_bucket
    reason = json.loads(document(cloud, quarantine, f"{claim_id}/reason.json"))
    assert "CLM.CLM02" in json.dumps(reason)
    assert document(cloud, quarantine, f"{claim_id}/original") == sample(BROKEN)
    ack = document(cloud, quarantine, f"{claim_id}/ack.999").decode()
    segments = [s.strip() for s in ack.split("~") if s.strip()]
    assert "ST*999*0001*005010X231" in segments
    assert "IK3*CLM*36**8" in segments and "IK5*R*5" in segments and any(s.startswith("AK9*R") for s in segments)
    assert split_execution_names(cloud.history(arn)) == []
