"""The audit trail on every path: a full hash chain per claim, the archived execution history
of every finished execution, and verification that names the event an attacker touched."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from icpa_audit.adapters.archive_bucket import S3ArchiveReader
from icpa_audit.adapters.audit_chain import AuditChainReader
from icpa_audit.domain import load_trail, render_timeline, verify_trail
from icpa_local import moto_patches
from icpa_local.cloud import ClaimResult, LocalCloud

from .conftest import sample

DECIDING = {"intake", "fraud", "adjudication", "router", "decision"}


def trail_of(cloud: LocalCloud, claim_id: str) -> Any:
    return load_trail(
        claim_id,
        AuditChainReader(cloud.names.audit_table, dynamodb=cloud.client("dynamodb")),
        S3ArchiveReader(cloud.names.archive_bucket, s3=cloud.client("s3")),
    )


def steps(trail: Any) -> list[str]:
    return [e.step for e in trail.events]


@pytest.fixture
def decided() -> Iterator[tuple[LocalCloud, dict[str, ClaimResult]]]:
    with LocalCloud(time_scale=0.001) as cloud:
        results = {
            "auto": cloud.process(sample("approve-office-visit.json"), "approve-office-visit.json"),
            "human": cloud.process(
                sample("review-high-amount-surgery.json"),
                "review-high-amount-surgery.json",
                review="approve",
                reviewer="alice",
                rationale="Operative report supports it.",
            ),
            "rejected": cloud.process(sample("rejected-invalid-codes.json"), "rejected-invalid-codes.json"),
        }
        moto_patches.wait_for_async_invocations()
        yield cloud, results


def test_every_path_leaves_a_full_verified_chain(decided: tuple[LocalCloud, dict[str, ClaimResult]]) -> None:
    cloud, results = decided
    auto = trail_of(cloud, results["auto"].claim_id or "")
    assert set(steps(auto)) >= DECIDING and steps(auto)[-1] == "decision"
    human = trail_of(cloud, results["human"].claim_id or "")
    assert {"review_requested", "review_decision"} <= set(steps(human)) and steps(human)[-1] == "decision"
    decision = next(e for e in human.events if e.step == "review_decision")
    assert decision.reviewer_id == "alice" and decision.rationale == "Operative report supports it."
    rejected = trail_of(cloud, results["rejected"].claim_id or "")
    assert steps(rejected)[-1] == "quarantine" and rejected.events[-1].decision == "REJECTED"
    for trail in (auto, human, rejected):
        verification = verify_trail(trail)
        assert verification.ok, verification.summary()
        assert all(e.service_version for e in trail.events)
        assert trail.events[0].previous_hash is None
        assert all(b.previous_hash == a.hash for a, b in zip(trail.events, trail.events[1:], strict=False))


def test_archive_holds_the_complete_history_of_every_finished_execution(
    decided: tuple[LocalCloud, dict[str, ClaimResult]],
) -> None:
    cloud, results = decided
    s3 = cloud.client("s3")
    for result in results.values():
        trail = trail_of(cloud, result.claim_id or "")
        archived = trail.archive_for(result.execution_arn)
        assert archived is not None, result.file
        full = cloud.history(result.execution_arn)
        assert len(archived.document.history) == len(full)
        assert [e["type"] for e in archived.document.history] == [e["type"] for e in full]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=cloud.names.archive_bucket)["Contents"]]
    assert len(keys) == len(results) and all(k.endswith(".json.gz") for k in keys)


def test_error_path_chain() -> None:
    def crash(event: dict[str, Any], context: Any) -> Any:
        raise KeyError("fee_schedule")

    with LocalCloud(time_scale=0.001, handler_overrides={"AdjudicationFunction": crash}) as cloud:
        result = cloud.process(sample("approve-lab-panel.json"), "approve-lab-panel.json")
        moto_patches.wait_for_async_invocations()
        trail = trail_of(cloud, result.claim_id or "")
        verification = verify_trail(trail)
    assert result.outcome == "ERROR"
    assert steps(trail)[:2] == ["intake", "fraud"] and steps(trail)[-1] == "quarantine"
    assert trail.events[-1].decision == "ERROR"
    assert verification.ok, verification.summary()


def _tamper(cloud: LocalCloud, claim_id: str, how: str) -> None:
    ddb = cloud.client("dynamodb")
    table = cloud.names.audit_table
    items = ddb.query(
        TableName=table, KeyConditionExpression="claim_id = :c", ExpressionAttributeValues={":c": {"S": claim_id}}
    )["Items"]
    by_seq = {int(i["sequence"]["N"]): i for i in items}
    if how == "alter":
        event = json.loads(by_seq[3]["event"]["S"])
        event["decision"] = "APPROVED_BY_ATTACKER"
        ddb.put_item(TableName=table, Item={**by_seq[3], "event": {"S": json.dumps(event)}})
    elif how == "remove":
        ddb.delete_item(TableName=table, Key={"claim_id": {"S": claim_id}, "sequence": {"N": "2"}})
    elif how == "reorder":
        two, three = by_seq[2], by_seq[3]
        ddb.put_item(TableName=table, Item={**two, "event": three["event"], "step": three["step"]})
        ddb.put_item(TableName=table, Item={**three, "event": two["event"], "step": two["step"]})


@pytest.mark.parametrize("how", ["alter", "remove", "reorder"])
def test_verification_fails_naming_the_event(how: str) -> None:
    with LocalCloud(time_scale=0.001) as cloud:
        result = cloud.process(sample("approve-office-visit.json"), "approve-office-visit.json")
        moto_patches.wait_for_async_invocations()
        claim_id = result.claim_id or ""
        assert verify_trail(trail_of(cloud, claim_id)).ok
        _tamper(cloud, claim_id, how)
        trail = trail_of(cloud, claim_id)
        verification = verify_trail(trail)
        timeline = render_timeline(trail, verification)
    assert not verification.ok
    broken = verification.broken[0]
    assert broken.sequence in (2, 3), verification.summary()
    assert f"sequence {broken.sequence}" in broken.link
    assert broken.link in timeline
