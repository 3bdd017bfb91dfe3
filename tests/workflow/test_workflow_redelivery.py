"""EventBridge delivers at least once: the same S3 event delivered three times (in sequence and
at once) starts three executions, and still one object gets one claim, one decision and one
audit chain. The execution that claimed the object decides; the others end with its decision
and say so (DUPLICATE, pointing to the owner)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any

import pytest

from icpa_local import moto_patches
from icpa_local.cloud import LocalCloud
from icpa_local.resources import ACCOUNT, REGION

from .conftest import sample

DELIVERIES = 3
DECIDING_STEPS = ["intake", "fraud", "adjudication", "router", "decision"]
# Auto-decided and rejected samples (no reviewer needed); the original before its resubmission.
BATCH = [
    "approve-office-visit.json",
    "approve-lab-panel.json",
    "duplicate-original.json",
    "duplicate-resubmitted.json",
    "deny-lapsed-policy.json",
    "fhir-approve-office-visit.json",
    "rejected-malformed.json",
    "rejected-invalid-codes.json",
    "rejected-unknown-member.json",
    "fhir-rejected-invalid-resource.json",
]


class Deliveries:
    """Every S3 event the inbox rule saw, and a way to deliver one again through the same rule
    (the real pattern and input transformer), as EventBridge's at-least-once delivery does."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self.started: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        moto_patches.STATE.on_execution_started.append(self._seen)

    def _seen(self, arn: str, event: dict[str, Any]) -> None:
        with self._lock:
            self.started.append((arn, event))

    def close(self) -> None:
        moto_patches.STATE.on_execution_started.remove(self._seen)

    def event_of(self, arn: str) -> dict[str, Any]:
        return next(event for started, event in self.started if started == arn)

    def executions_for(self, event: dict[str, Any]) -> list[str]:
        """The executions started for this event's object (moto's S3 events carry no unique id)."""
        with self._lock:
            return [arn for arn, seen in self.started if seen["detail"]["object"] == event["detail"]["object"]]

    def redeliver(self, event: dict[str, Any]) -> None:
        from moto.events.models import events_backends

        rule = events_backends[ACCOUNT][REGION].event_buses["default"].rules[self.cloud.names.inbox_rule]
        rule.send_to_targets(event)  # type: ignore[arg-type]  # moto types the event as a TypedDict


@pytest.fixture
def deliveries(cloud: LocalCloud) -> Any:
    d = Deliveries(cloud)
    yield d
    d.close()


def audit_steps(cloud: LocalCloud, claim_id: str) -> list[str]:
    items = cloud.client("dynamodb").query(
        TableName=cloud.names.audit_table,
        KeyConditionExpression="claim_id = :c",
        ExpressionAttributeValues={":c": {"S": claim_id}},
        ConsistentRead=True,
    )["Items"]
    events = sorted((json.loads(i["event"]["S"]) for i in items), key=lambda e: e["sequence"])
    return [e["step"] for e in events]


def claim_rows(cloud: LocalCloud) -> list[dict[str, Any]]:
    return cloud.client("dynamodb").scan(TableName=cloud.names.claims_table)["Items"]


def output_of(cloud: LocalCloud, arn: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(cloud.describe(arn).get("output") or "{}")
    return out


def deliver_three_times(
    cloud: LocalCloud,
    deliveries: Deliveries,
    body: bytes,
    key: str,
    *,
    at_once: bool,
) -> list[str]:
    first = cloud.upload(body, key)
    event = deliveries.event_of(first)
    if at_once:  # the redeliveries race the first execution
        threads = [threading.Thread(target=deliveries.redeliver, args=(event,)) for _ in range(DELIVERIES - 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    else:
        cloud.wait(first)
        for _ in range(DELIVERIES - 1):
            deliveries.redeliver(event)
    arns = deliveries.executions_for(event)
    assert len(arns) == DELIVERIES
    assert cloud.wait_settled(arns) == []
    return arns


@pytest.mark.parametrize("at_once", [False, True], ids=["in-sequence", "at-once"])
def test_one_object_delivered_three_times_is_decided_once(
    cloud: LocalCloud,
    deliveries: Deliveries,
    at_once: bool,
) -> None:
    # Given one claim upload whose S3 event is delivered three times
    arns = deliver_three_times(
        cloud, deliveries, sample("approve-office-visit.json"), "claims/once.json", at_once=at_once
    )

    # Then every execution ends with the same decision
    results = [cloud.result(arn, "once.json") for arn in arns]
    assert {(r.status, r.outcome, r.claim_id) for r in results} == {("SUCCEEDED", "APPROVED", results[0].claim_id)}
    # exactly one ran the deciding steps; the others stopped after Intake and say who decides
    owners = [r for r in results if "RecordDecision" in r.states]
    assert len(owners) == 1
    owner = owners[0]
    for result in results:
        if result is owner:
            continue
        assert result.states == ["ChooseSourceKind", "Intake", "ChooseDelivery", "AlreadyDecided"]
        delivery = output_of(cloud, result.execution_arn)["intake"]["delivery"]
        assert delivery["role"] == "DUPLICATE"
        assert delivery["owner_execution_id"] == owner.execution_arn
        assert delivery["reason"] in ({"DUPLICATE_DELIVERY", "ALREADY_DECIDED"} if at_once else {"ALREADY_DECIDED"})
    # one claim record (decided by the owner), one audit chain with one event per deciding step
    assert len(claim_rows(cloud)) == 1
    assert cloud.claim_record(owner.claim_id or "")["execution_id"] == owner.execution_arn  # type: ignore[index]
    assert audit_steps(cloud, owner.claim_id or "") == DECIDING_STEPS


def test_a_rejected_object_delivered_three_times_is_quarantined_once(
    cloud: LocalCloud,
    deliveries: Deliveries,
) -> None:
    arns = deliver_three_times(
        cloud, deliveries, sample("rejected-invalid-codes.json"), "claims/bad.json", at_once=False
    )

    results = [cloud.result(arn, "bad.json") for arn in arns]
    assert {(r.outcome, r.claim_id) for r in results} == {("REJECTED", results[0].claim_id)}
    assert all(r.status == "SUCCEEDED" for r in results)
    assert sorted(r.states[-1] for r in results) == ["AlreadyDecided", "AlreadyDecided", "ClaimRejected"]
    assert audit_steps(cloud, results[0].claim_id or "") == ["quarantine"]
    assert len(claim_rows(cloud)) == 1


def test_every_event_of_a_batch_delivered_three_times_gives_one_claim_one_decision_one_chain(
    cloud: LocalCloud,
    deliveries: Deliveries,
) -> None:
    # Given a batch of uploads, each of whose events EventBridge delivers three times
    outcomes: dict[str, set[str]] = {}
    claim_ids: dict[str, str] = {}
    for name in BATCH:
        arns = deliver_three_times(cloud, deliveries, sample(name), f"claims/{name}", at_once=True)
        results = [cloud.result(arn, name) for arn in arns]
        outcomes[name] = {r.outcome for r in results}
        assert len({r.claim_id for r in results}) == 1, name
        claim_ids[name] = results[0].claim_id or ""

    # Then each object has one outcome (the one it has when delivered once), one claim record and
    # one decision in one audit chain
    for name, seen in outcomes.items():
        assert len(seen) == 1, (name, seen)
    assert outcomes["duplicate-resubmitted.json"] == {"DENIED"}
    assert outcomes["rejected-malformed.json"] == {"REJECTED"}
    assert len(claim_rows(cloud)) == len(BATCH)
    for name, claim_id in claim_ids.items():
        steps = Counter(audit_steps(cloud, claim_id))
        if outcomes[name] == {"REJECTED"}:
            assert steps == Counter({"quarantine": 1}), name
        else:
            assert steps == Counter(DECIDING_STEPS), name
