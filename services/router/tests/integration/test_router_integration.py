"""RouteClaim and RecordDecision as Lambda handlers on moto, along the workflow's paths:
the ASL's Pass states are played by setting `final` in state, as ChooseRoute would."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from router_testkit import a_final, a_fraud, a_review, an_adjudication, claim_for, denied, forget_cached_wiring, paid

from icpa_router.handlers import record as record_module
from icpa_router.handlers import route as route_module
from icpa_shared.adapters.answers import CLAIM_RESPONSE, S3PayerAnswers
from icpa_shared.adapters.audit_store import DynamoAuditStore
from icpa_shared.adapters.claims import DynamoClaimRecords, S3ClaimDocuments
from icpa_shared.audit import verify_chain
from icpa_shared.contracts import (
    ClaimRecord,
    EscalationResult,
    FinalDecision,
    ReviewDecision,
    RoutingDecision,
    StepInput,
    WorkflowState,
)
from icpa_shared.contracts import reasons as rc
from icpa_shared.errors import ContractViolationError
from icpa_shared.testing.aws import create_audit_table, create_claims_table
from icpa_shared.testing.builders import a_source, a_step, an_intake_result

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("aws")]


@pytest.fixture
def ddb() -> Any:
    client = boto3.client("dynamodb")
    create_claims_table(client)
    create_audit_table(client)
    boto3.client("s3").create_bucket(Bucket="icpa-documents")
    return client


def run_route(state: WorkflowState) -> tuple[WorkflowState, RoutingDecision]:
    out = route_module.handler(StepInput(state=state, execution_id=EXECUTION).model_dump(mode="json"), None)
    decision = RoutingDecision.model_validate(out)
    return state.model_copy(update={"routing": decision}), decision


def run_record(state: WorkflowState, final: FinalDecision, **extra: Any) -> ClaimRecord:
    state = state.model_copy(update={"final": final, **extra})
    if state.adjudication is not None:  # Intake stored the claim document the answers are built from
        S3ClaimDocuments("icpa-documents").put(claim_for(state))
    out = record_module.handler(StepInput(state=state, execution_id=EXECUTION).model_dump(mode="json"), None)
    return ClaimRecord.model_validate(out)


EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:icpa-claims:int-1"


def routed_state(**parts: Any) -> WorkflowState:
    return WorkflowState(source=a_source(), intake=an_intake_result(), **parts)


def chain(ddb: Any) -> list[tuple[str, str]]:
    events = DynamoAuditStore("icpa-audit", ddb).events("CLM-0001")
    assert verify_chain(events).ok
    return [(e.step, e.decision) for e in events]


def test_happy_path_auto_approved_and_recorded(ddb: Any) -> None:
    state, decision = run_route(routed_state(fraud=a_fraud(0.08), adjudication=an_adjudication(paid(1, "640.00"))))
    assert decision.route.value == "AUTO_APPROVE"
    record = run_record(state, a_final("APPROVED", "AUTO"))
    assert (record.outcome.value, record.decided_by.value, str(record.payable)) == ("APPROVED", "AUTO", "640.00 USD")
    # the claims table holds the record and the queryable outcome attribute
    stored = DynamoClaimRecords("icpa-claims", ddb).get_record("CLM-0001")
    assert stored == record
    item = ddb.get_item(TableName="icpa-claims", Key={"claim_id": {"S": "CLM-0001"}})["Item"]
    assert item["outcome"] == {"S": "APPROVED"}
    assert chain(ddb) == [("router", "AUTO_APPROVE"), ("decision", "APPROVED")]
    # the FHIR ClaimResponse next to the claim document
    response = json.loads(S3PayerAnswers("icpa-documents").get("CLM-0001", CLAIM_RESPONSE) or b"{}")
    assert (response["resourceType"], response["payment"]["amount"]["value"]) == ("ClaimResponse", 640.0)


def test_auto_deny_path_for_a_lapsed_policy(ddb: Any) -> None:
    adjudication = an_adjudication(denied(1, rc.POLICY_LAPSED))
    state, decision = run_route(routed_state(fraud=a_fraud(0.5), adjudication=adjudication))
    assert decision.route.value == "AUTO_DENY"
    record = run_record(state, a_final("DENIED", "AUTO"))
    assert record.reason_codes == ["ADJUDICATION_DENIED", rc.POLICY_LAPSED] and str(record.payable) == "0.00 USD"
    assert chain(ddb) == [("router", "AUTO_DENY"), ("decision", "DENIED")]


def test_human_review_path_approved_by_a_reviewer(ddb: Any) -> None:
    state, decision = run_route(routed_state(fraud=a_fraud(0.55), adjudication=an_adjudication(paid(1, "3200.00"))))
    assert decision.route.value == "HUMAN_REVIEW"
    assert decision.reasons == ["ADJUDICATION_APPROVED", "FRAUD_SCORE_ELEVATED", "AMOUNT_ABOVE_THRESHOLD"]
    review: ReviewDecision = a_review(True)
    record = run_record(state, a_final("APPROVED", "HUMAN"), review=review)
    assert record.reason_codes[-1] == "REVIEWER_APPROVED" and str(record.payable) == "3200.00 USD"
    events = DynamoAuditStore("icpa-audit", ddb).events("CLM-0001")
    assert events[-1].reviewer_id == "reviewer-7" and events[-1].rationale == review.rationale
    assert chain(ddb) == [("router", "HUMAN_REVIEW"), ("decision", "APPROVED")]


def test_review_timeout_path_is_pended(ddb: Any) -> None:
    state, _ = run_route(routed_state(fraud=a_fraud(0.75), adjudication=an_adjudication(paid())))
    escalation = EscalationResult(review_id="REV-" + "2" * 32, notified=True, reason_codes=[rc.REVIEW_TIMED_OUT])
    record = run_record(state, a_final("PENDED", "NONE"), escalation=escalation)
    assert (record.outcome.value, record.decided_by.value) == ("PENDED", "NONE")
    assert chain(ddb) == [("router", "HUMAN_REVIEW"), ("decision", "PENDED")]


def test_a_contradictory_final_decision_writes_nothing(ddb: Any) -> None:
    state, _ = run_route(routed_state(fraud=a_fraud(0.9), adjudication=an_adjudication(paid())))
    with pytest.raises(ContractViolationError):
        run_record(state, a_final("APPROVED", "AUTO"))  # the route was HUMAN_REVIEW
    assert "Item" not in ddb.get_item(TableName="icpa-claims", Key={"claim_id": {"S": "CLM-0001"}})
    assert chain(ddb) == [("router", "HUMAN_REVIEW")]


def test_routing_without_adjudication_is_a_contract_violation(ddb: Any) -> None:
    with pytest.raises(ContractViolationError):
        route_module.handler(a_step(fraud=a_fraud()).model_dump(mode="json"), None)


def test_thresholds_from_the_environment_apply_to_the_handler(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICPA_ROUTING_POLICY_VERSION", "2026.11.1-low-cap")
    monkeypatch.setenv("ICPA_AUTO_APPROVE_MAX_PAYABLE", "500.00")
    forget_cached_wiring()
    _, decision = run_route(routed_state(fraud=a_fraud(0.05), adjudication=an_adjudication(paid(1, "640.00"))))
    assert decision.route.value == "HUMAN_REVIEW" and decision.policy_version == "2026.11.1-low-cap"
    assert "AMOUNT_ABOVE_THRESHOLD" in decision.reasons


def emf_blobs(text: str) -> list[dict[str, Any]]:
    blobs = []
    for line in text.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            blobs.append(json.loads(line))
    return blobs


def test_metrics_are_emitted_only_with_a_namespace_configured(
    ddb: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    state, _ = run_route(routed_state(fraud=a_fraud(0.08), adjudication=an_adjudication(paid(1, "64.00"))))
    assert emf_blobs(capsys.readouterr().out) == []

    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "ICPA")
    forget_cached_wiring()
    state, _ = run_route(state.model_copy(update={"routing": None}))
    (routed,) = emf_blobs(capsys.readouterr().out)
    assert routed["ClaimsRouted"] == [1.0] and routed["route"] == "AUTO_APPROVE"

    run_record(state, a_final("APPROVED", "AUTO"))
    (decided,) = emf_blobs(capsys.readouterr().out)
    assert decided["ClaimsDecided"] == [1.0]
    assert (decided["outcome"], decided["route"]) == ("APPROVED", "AUTO_APPROVE")
    assert "route" in decided["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]
