"""Every path through the claims workflow, on the real ASL, asserted on the execution history,
the outputs and the side effects (records, audit events, quarantined objects, notices)."""

from __future__ import annotations

import json
from typing import Any

from icpa_local.cloud import LocalCloud
from icpa_local.functions import load_handler
from icpa_shared.errors import ModelThrottledError

from .conftest import Topics, sample, sample_json

DECIDING_PREFIX = [
    "ChooseSourceKind",
    "Intake",
    "ChooseDelivery",
    "AssessFraud",
    "Adjudicate",
    "RouteClaim",
    "ChooseRoute",
]
AUTO_APPROVE_PATH = [*DECIDING_PREFIX, "AutoApproved", "RecordDecision"]
AUTO_DENY_PATH = [*DECIDING_PREFIX, "AutoDenied", "RecordDecision"]
HUMAN_PREFIX = [*DECIDING_PREFIX, "AwaitHumanReview"]


def audit_steps(cloud: LocalCloud, claim_id: str) -> list[str]:
    items = cloud.client("dynamodb").query(
        TableName=cloud.names.audit_table,
        KeyConditionExpression="claim_id = :c",
        ExpressionAttributeValues={":c": {"S": claim_id}},
    )["Items"]
    return [json.loads(i["event"]["S"])["step"] for i in items]


def test_auto_approve(cloud: LocalCloud) -> None:
    # Given a clean office visit on an active policy -- When it is uploaded
    result = cloud.process(sample("approve-office-visit.json"), "approve-office-visit.json")
    # Then the workflow approves it without a human, in at most 9 billed transitions
    assert (result.status, result.outcome, result.route) == ("SUCCEEDED", "APPROVED", "AUTO")
    assert result.states == AUTO_APPROVE_PATH and result.transitions <= 9
    assert result.payable_amount is not None and float(result.payable_amount) > 0
    record = cloud.claim_record("CLM-2026-0001")
    assert record is not None and record["outcome"] == "APPROVED" and record["decided_by"] == "AUTO"
    assert record["execution_id"] == result.execution_arn
    assert audit_steps(cloud, "CLM-2026-0001")[0] == "intake"
    assert audit_steps(cloud, "CLM-2026-0001")[-1] == "decision"


def test_auto_deny_for_a_deterministic_reason(cloud: LocalCloud) -> None:
    result = cloud.process(sample("deny-lapsed-policy.json"), "deny-lapsed-policy.json")
    assert (result.status, result.outcome, result.route) == ("SUCCEEDED", "DENIED", "AUTO")
    assert result.states == AUTO_DENY_PATH
    assert "POLICY_LAPSED" in result.reasons
    assert result.payable_amount in (None, "0.00")
    record = cloud.claim_record("CLM-2026-0005")
    assert record is not None and record["outcome"] == "DENIED"


def _to_review(cloud: LocalCloud, topics: Topics, name: str) -> tuple[str, str]:
    arn = cloud.upload(sample(name), name)
    assert cloud.wait(arn) == "WAITING_FOR_REVIEW"
    review_id = cloud.pending_review_for(arn)
    assert review_id is not None
    code, listing = cloud.review_api("GET", "/reviews", reviewer="alice")
    assert code == 200 and review_id in json.dumps(listing)
    notices = topics.messages(cloud.names.reviewers_topic)
    assert any(review_id in n for n in notices)
    claim = sample_json(name)
    for notice in notices:  # PHI-free and token-free
        assert claim["member_id"] not in notice and "task_token" not in notice.lower()
    return arn, review_id


def test_human_review_approved(cloud: LocalCloud, topics: Topics) -> None:
    arn, review_id = _to_review(cloud, topics, "review-high-amount-surgery.json")
    code, _ = cloud.answer_review(review_id, "APPROVE", reviewer="alice", rationale="Operative report supports it.")
    assert code == 200
    assert cloud.wait(arn, stop_at_review=False) == "SUCCEEDED"
    result = cloud.result(arn)
    assert (result.outcome, result.route) == ("APPROVED", "HUMAN")
    assert result.states == [*HUMAN_PREFIX, "ChooseReviewDecision", "HumanApproved", "RecordDecision"]
    output: dict[str, Any] = json.loads(cloud.describe(arn)["output"])
    assert output["review"]["reviewer_id"] == "alice" and output["review"]["decision"] == "APPROVE"
    record = cloud.claim_record(output["intake"]["claim_id"])
    assert record is not None and record["decided_by"] == "HUMAN"
    # a second decision on the same review is refused: single use
    again, _ = cloud.answer_review(review_id, "DENY", reviewer="bob", rationale="Trying to change it.")
    assert again == 409


def test_human_review_denied(cloud: LocalCloud, topics: Topics) -> None:
    arn, review_id = _to_review(cloud, topics, "review-partial-prior-auth.json")
    code, _ = cloud.answer_review(review_id, "DENY", reviewer="bob", rationale="No prior authorization on file.")
    assert code == 200
    assert cloud.wait(arn, stop_at_review=False) == "SUCCEEDED"
    result = cloud.result(arn)
    assert (result.outcome, result.route) == ("DENIED", "HUMAN")
    assert result.states[-3:] == ["ChooseReviewDecision", "HumanDenied", "RecordDecision"]


def test_review_timeout_pends_and_escalates_never_approves(topics: Topics, cloud: LocalCloud) -> None:
    # The review wait's HeartbeatSeconds (86400) at this scale is ~0.9 s: nobody opens the review.
    from icpa_local import moto_patches

    moto_patches.set_time_scale(0.00001)
    try:
        arn = cloud.upload(sample("review-high-amount-surgery.json"), "review-high-amount-surgery.json")
        assert cloud.wait(arn, stop_at_review=False, timeout=60) == "SUCCEEDED"
    finally:
        moto_patches.set_time_scale(0.001)
    result = cloud.result(arn)
    assert result.outcome == "PENDED"
    assert result.states[-4:] == ["AwaitHumanReview", "EscalateReview", "ReviewPended", "RecordDecision"]
    assert "REVIEW_TIMED_OUT" in result.reasons
    assert any("REVIEW_TIMED_OUT" in m or "PENDED" in m for m in topics.messages(cloud.names.supervisors_topic))
    history_types = [e["type"] for e in cloud.history(arn)]
    assert "TaskTimedOut" in history_types


def test_throttling_is_retried_then_succeeds() -> None:
    real_fraud = load_handler("FraudFunction")
    attempts: list[int] = []

    def throttled_twice(event: dict[str, Any], context: Any) -> Any:
        attempts.append(1)
        if len(attempts) <= 2:
            raise ModelThrottledError("Bedrock throttled the agent")
        return real_fraud(event, context)

    with LocalCloud(time_scale=0.001, handler_overrides={"FraudFunction": throttled_twice}) as cloud:
        result = cloud.process(sample("approve-office-visit.json"), "approve-office-visit.json")
        failures = [e for e in cloud.history(result.execution_arn) if e["type"] == "LambdaFunctionFailed"]
    assert result.outcome == "APPROVED" and len(attempts) == 3
    assert [f["lambdaFunctionFailedEventDetails"]["error"] for f in failures] == ["ModelThrottledError"] * 2
    assert result.states == AUTO_APPROVE_PATH  # retries are not extra states


def test_permanent_error_rejects_and_quarantines_the_original(cloud: LocalCloud) -> None:
    body = sample("rejected-invalid-codes.json")
    result = cloud.process(body, "rejected-invalid-codes.json")
    assert (result.status, result.outcome, result.route) == ("SUCCEEDED", "REJECTED", "NONE")
    assert result.states == [
        "ChooseSourceKind",
        "Intake",
        "QuarantineClaim",
        "ChooseQuarantineOutcome",
        "ClaimRejected",
    ]
    assert {"INVALID_DIAGNOSIS_CODE", "INVALID_PROCEDURE_CODE"} <= set(result.reasons)
    # not retried: a permanent error fails once
    failures = [e for e in cloud.history(result.execution_arn) if e["type"] == "LambdaFunctionFailed"]
    assert [f["lambdaFunctionFailedEventDetails"]["error"] for f in failures] == ["InvalidClaimError"]
    s3 = cloud.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=cloud.names.quarantine_bucket).get("Contents", [])]
    original = [k for k in keys if k.endswith("/original")]
    reason = [k for k in keys if k.endswith("/reason.json")]
    assert original and reason
    assert s3.get_object(Bucket=cloud.names.quarantine_bucket, Key=original[0])["Body"].read() == body
    reason_doc = json.loads(s3.get_object(Bucket=cloud.names.quarantine_bucket, Key=reason[0])["Body"].read())
    assert "INVALID_PROCEDURE_CODE" in json.dumps(reason_doc)
    record = cloud.claim_record(result.claim_id or "")
    assert record is not None and record["outcome"] == "REJECTED"


def test_malformed_file_is_quarantined_not_lost(cloud: LocalCloud) -> None:
    body = sample("rejected-malformed.json")
    result = cloud.process(body, "rejected-malformed.json")
    assert result.outcome == "REJECTED" and "MALFORMED_JSON" in result.reasons
    s3 = cloud.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=cloud.names.quarantine_bucket).get("Contents", [])]
    originals = [k for k in keys if k.endswith("/original")]
    assert [s3.get_object(Bucket=cloud.names.quarantine_bucket, Key=k)["Body"].read() for k in originals] == [body]


def test_unexpected_crash_is_an_error_with_its_reason() -> None:
    def crashing_adjudication(event: dict[str, Any], context: Any) -> Any:
        raise KeyError("fee_schedule")

    with LocalCloud(time_scale=0.001, handler_overrides={"AdjudicationFunction": crashing_adjudication}) as cloud:
        result = cloud.process(sample("approve-office-visit.json"), "approve-office-visit.json")
        record = cloud.claim_record("CLM-2026-0001")
        quarantined = cloud.client("s3").list_objects_v2(Bucket=cloud.names.quarantine_bucket).get("Contents", [])
    assert (result.status, result.outcome) == ("FAILED", "ERROR")
    assert result.states[-3:] == ["QuarantineClaim", "ChooseQuarantineOutcome", "ClaimErrored"]
    assert record is not None and record["outcome"] == "ERROR" and record["reason_codes"]
    assert any(o["Key"].endswith("/original") for o in quarantined)


def test_a_reviewer_answering_before_the_wait_begins_is_not_lost() -> None:
    # Given a reviewer so fast that the decision lands while the review request Lambda is still
    # returning (before the state machine starts waiting on heartbeats)
    real_request = load_handler("ReviewRequestFunction")
    cloud_ref: list[LocalCloud] = []

    def instant_reviewer(event: dict[str, Any], context: Any) -> Any:
        result = real_request(event, context)
        cloud = cloud_ref[0]
        review_id = cloud.pending_review_for(event["execution_id"])
        assert review_id is not None
        code, _ = cloud.answer_review(review_id, "APPROVE", reviewer="alice", rationale="Seen it, fine.")
        assert code == 200
        return result

    with LocalCloud(time_scale=0.001, handler_overrides={"ReviewRequestFunction": instant_reviewer}) as cloud:
        cloud_ref.append(cloud)
        arn = cloud.upload(sample("review-high-amount-surgery.json"), "review-high-amount-surgery.json")
        # Then the decision is taken at once: no heartbeat timeout (86 s at this scale), no PENDED
        assert cloud.wait(arn, stop_at_review=False, timeout=30) == "SUCCEEDED"
        result = cloud.result(arn)
    assert (result.outcome, result.route) == ("APPROVED", "HUMAN")
