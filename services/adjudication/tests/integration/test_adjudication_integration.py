"""The real Lambda handler on moto: S3 claim document, policies table, audit table."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from icpa_adjudication.handler import handler
from icpa_shared.adapters.audit_store import DynamoAuditStore
from icpa_shared.audit import verify_chain
from icpa_shared.contracts import Adjudication, Claim
from icpa_shared.contracts import reasons as rc
from icpa_shared.errors import ClaimNotFoundError, ContractViolationError, UnknownPolicyError
from icpa_shared.testing.aws import create_audit_table, create_policies_table
from icpa_shared.testing.builders import a_claim, a_line, a_policy, a_step, an_intake_result, usd

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("aws")]

GOLD = a_policy(
    policy_id="POL-GOLD001",
    members=["MBR000001", "MBR000002"],
    deductible_met=usd("500.00"),
    copays={"99213": usd("25.00"), "99214": usd("25.00")},
    covered_procedures=["99213", "99214", "80053", "97110", "29881", "72148"],
    excluded_procedures=["15780"],
    per_procedure_limits={"97110": usd("300.00")},
    prior_auth_required=["29881", "72148"],
    benefits_paid_to_date=usd("1200.00"),
)
CAPPED = a_policy(
    policy_id="POL-CAP006",
    members=["MBR000008"],
    subscriber_id="SUB000008",
    deductible_met=usd("500.00"),
    annual_benefit_max=usd("5000.00"),
    benefits_paid_to_date=usd("4950.00"),
)


@pytest.fixture
def cloud() -> Any:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="icpa-documents")
    ddb = boto3.client("dynamodb")
    create_policies_table(ddb, policies=[GOLD, CAPPED])
    create_audit_table(ddb)
    return s3, ddb


def store_claim(s3: Any, claim: Claim) -> dict[str, Any]:
    s3.put_object(Bucket="icpa-documents", Key=f"claims/{claim.claim_id}.json", Body=claim.model_dump_json().encode())
    return a_step(intake=an_intake_result(claim)).model_dump(mode="json")


def test_a_gold_claim_runs_end_to_end(cloud: Any) -> None:
    s3, ddb = cloud
    # Given an office visit with a copay, an excluded procedure and a surgery without prior auth
    claim = a_claim(
        claim_id="CLM-INT-0001",
        lines=[
            a_line(1, procedure_code="99213", charge=usd("150.00")),
            a_line(2, procedure_code="15780", charge=usd("900.00")),
            a_line(3, procedure_code="29881", charge=usd("2400.00")),
        ],
    )
    # When the Lambda handler runs on the step input
    out = handler(store_claim(s3, claim), None)
    result = Adjudication.model_validate(out)
    # Then line 1: 92.00 allowed, copay 25.00, coinsurance 13.40 (20% of 67.00), pays 53.60
    assert result.outcome.value == "PARTIAL"
    line1, line2, line3 = result.lines
    assert (line1.allowed, line1.copay, line1.coinsurance, line1.payable) == (
        usd("92.00"),
        usd("25.00"),
        usd("13.40"),
        usd("53.60"),
    )
    assert line2.reason_codes == [rc.NOT_COVERED, rc.EXCLUDED_SERVICE]
    assert line3.reason_codes == [rc.PRIOR_AUTH_REQUIRED]
    assert out["totals"]["payable"] == {"amount": "53.60", "currency": "USD"}  # JSON money: strings
    assert result.explanation and "Line 3 (29881): denied" in result.explanation
    # And the audit chain holds one verified adjudication event
    events = DynamoAuditStore("icpa-audit", ddb).events(claim.claim_id)
    assert [(e.step, e.decision) for e in events] == [("adjudication", "PARTIAL")]
    assert verify_chain(events).ok


def test_the_annual_benefit_max_caps_payable(cloud: Any) -> None:
    s3, _ = cloud
    # 99214: allowed 130.00, coinsurance 26.00, payable 104.00 -> 50.00 left of the benefit max
    claim = a_claim(
        claim_id="CLM-INT-0002",
        member_id="MBR000008",
        subscriber_id="SUB000008",
        policy_id="POL-CAP006",
        lines=[a_line(1, procedure_code="99214", charge=usd("180.00"))],
    )
    result = Adjudication.model_validate(handler(store_claim(s3, claim), None))
    assert result.outcome.value == "APPROVED"
    assert (result.totals.allowed, result.totals.payable) == (usd("76.00"), usd("50.00"))
    assert result.reason_codes == [rc.ANNUAL_LIMIT_REACHED]


def test_a_second_step_on_the_same_claim_extends_its_audit_chain(cloud: Any) -> None:
    s3, ddb = cloud
    claim = a_claim(claim_id="CLM-INT-0003")
    event = store_claim(s3, claim)
    handler(event, None)
    handler(event, None)  # a retry of the same execution: the chain says it once
    handler({**event, "execution_id": event["execution_id"] + "-2"}, None)  # a later execution
    events = DynamoAuditStore("icpa-audit", ddb).events(claim.claim_id)
    assert [e.sequence for e in events] == [1, 2] and verify_chain(events).ok


def test_an_unknown_policy_raises_the_error_the_asl_catches(cloud: Any) -> None:
    s3, _ = cloud
    claim = a_claim(claim_id="CLM-INT-0004", policy_id="POL-MISSING1")
    with pytest.raises(UnknownPolicyError) as info:
        handler(store_claim(s3, claim), None)
    assert type(info.value).__name__ == "UnknownPolicyError"


def test_a_missing_document_is_claim_not_found(cloud: Any) -> None:
    claim = a_claim(claim_id="CLM-INT-0005")
    with pytest.raises(ClaimNotFoundError):
        handler(a_step(intake=an_intake_result(claim)).model_dump(mode="json"), None)


def test_a_corrupt_stored_policy_is_a_contract_violation_without_its_contents(cloud: Any) -> None:
    s3, ddb = cloud
    ddb.put_item(
        TableName="icpa-policies",
        Item={
            "policy_id": {"S": "POL-BROKEN1"},
            "policy": {"S": '{"policy_id": "POL-BROKEN1", "members": ["MBR000001"]}'},
        },
    )
    claim = a_claim(claim_id="CLM-INT-0006", policy_id="POL-BROKEN1")
    with pytest.raises(ContractViolationError) as info:
        handler(store_claim(s3, claim), None)
    assert "MBR000001" not in str(info.value)


def test_an_event_that_is_not_a_step_input_is_a_contract_violation(cloud: Any) -> None:
    with pytest.raises(ContractViolationError):
        handler({"state": {"nope": True}, "execution_id": "x"}, None)
