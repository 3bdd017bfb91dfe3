"""The reviewers' API through api_handler.handle with API Gateway REST proxy events and fakes:
every route, every status code, the heartbeat, the single-use decision and its audit trail."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from review_callback_builders import (
    CLAIMS_URI,
    EXECUTION_ID,
    REVIEWER_SUB,
    TASK_TOKEN,
    LambdaContext,
    a_decision_body,
    a_human_review_claim,
    a_review_step,
    api_event,
    header,
    response_json,
)
from review_callback_fakes import Desk

from icpa_review_callback.domain.ids import review_id_for
from icpa_review_callback.handlers import api as api_handler
from icpa_review_callback.handlers import request as request_handler
from icpa_review_callback.usecases.api import UNMATCHED_CHAIN
from icpa_shared.contracts import ReviewDecision, ReviewStatus
from icpa_shared.errors import TransientDependencyError
from icpa_shared.testing.builders import FIXED_NOW

REVIEW_ID = review_id_for(EXECUTION_ID)
DECISION_PATH = f"/reviews/{REVIEW_ID}/decision"
IAM_REVIEWER = "arn:aws:sts::123456789012:assumed-role/claims-reviewer/bob"


def a_desk_with_a_pending_review(execution_id: str = EXECUTION_ID, token: str = TASK_TOKEN) -> Desk:
    desk = Desk()
    desk.claims.documents[CLAIMS_URI] = a_human_review_claim()
    request_handler.handle(a_review_step(execution_id=execution_id, task_token=token), desk.deps)
    desk.tasks.waiting.add(token)
    return desk


def call(desk: Desk, event: dict[str, Any]) -> dict[str, Any]:
    return api_handler.handle(event, LambdaContext(), desk.deps)


def decide(desk: Desk, body: Any = None, **event_args: Any) -> dict[str, Any]:
    if body is None and "raw_body" not in event_args:
        body = a_decision_body()
    return call(desk, api_event("POST", DECISION_PATH, body=body, **event_args))


def refusals(desk: Desk, claim_id: str = "CLM-0001") -> list[list[str]]:
    return [e.reason_codes for e in desk.audit(claim_id) if e.step == "review_refused"]


# --- GET /reviews --------------------------------------------------------------------------------


def test_the_list_shows_pending_reviews_oldest_first() -> None:
    desk = a_desk_with_a_pending_review()
    desk.clock.advance(timedelta(minutes=1))
    second = "arn:aws:states:us-east-1:123456789012:execution:icpa-claims:run-2"
    request_handler.handle(a_review_step(execution_id=second, task_token="token-2"), desk.deps)

    response = call(desk, api_event("GET", "/reviews"))

    assert response["statusCode"] == 200
    page = response_json(response)
    assert [r["review_id"] for r in page["reviews"]] == [REVIEW_ID, review_id_for(second)]
    first = page["reviews"][0]
    assert first == {
        "review_id": REVIEW_ID,
        "claim_id": "CLM-0001",
        "status": "PENDING",
        "created_at": "2026-03-10T12:00:00Z",
        "due_by": "2026-03-13T12:00:00Z",
        "reasons": ["FRAUD_SCORE_HIGH", "NEAR_DUPLICATE"],
        "fraud_score": 0.72,
        "payable": {"amount": "80.00", "currency": "USD"},
    }
    assert page["next"] is None
    assert desk.store.calls.count("list_pending") == 1


def test_decided_and_timed_out_reviews_are_not_listed() -> None:
    desk = a_desk_with_a_pending_review()
    desk.store.mark_timed_out(REVIEW_ID, now=FIXED_NOW, from_statuses=(ReviewStatus.PENDING,))

    page = response_json(call(desk, api_event("GET", "/reviews")))

    assert page["reviews"] == []


def test_the_list_pages_with_limit_and_next() -> None:
    desk = Desk()
    for i in range(3):
        desk.clock.advance(timedelta(seconds=1))
        request_handler.handle(a_review_step(execution_id=f"{EXECUTION_ID}-{i}", task_token=f"t{i}"), desk.deps)

    first = response_json(call(desk, api_event("GET", "/reviews", query={"limit": "2"})))
    rest = response_json(call(desk, api_event("GET", "/reviews", query={"limit": "2", "next": first["next"]})))

    assert len(first["reviews"]) == 2
    assert len(rest["reviews"]) == 1
    assert rest["next"] is None


@pytest.mark.parametrize("query", [{"limit": "0"}, {"limit": "101"}, {"limit": "ten"}, {"next": "not-a-cursor"}])
def test_bad_paging_parameters_are_400(query: dict[str, str]) -> None:
    response = call(a_desk_with_a_pending_review(), api_event("GET", "/reviews", query=query))
    assert response["statusCode"] == 400
    assert response_json(response)["error"] == "INVALID_QUERY"


def test_listing_requires_a_reviewer() -> None:
    desk = a_desk_with_a_pending_review()
    assert call(desk, api_event("GET", "/reviews", claims=None))["statusCode"] == 401
    outsider = {"sub": "u9", "cognito:groups": "billing"}
    assert call(desk, api_event("GET", "/reviews", claims=outsider))["statusCode"] == 403


# --- GET /reviews/{review_id} --------------------------------------------------------------------


def test_opening_a_review_shows_claim_summary_findings_and_deadline() -> None:
    desk = a_desk_with_a_pending_review()

    response = call(desk, api_event("GET", f"/reviews/{REVIEW_ID}"))

    assert response["statusCode"] == 200
    detail = response_json(response)
    assert detail["review_id"] == REVIEW_ID
    assert detail["status"] == "PENDING"
    assert detail["due_by"] == "2026-03-13T12:00:00Z"
    claim = detail["claim"]
    assert claim["claim_id"] == "CLM-0001"
    assert claim["service_date_from"] == "2026-03-01"
    assert claim["diagnosis_codes"] == ["J06.9", "R05.9"]
    assert claim["lines"][0]["procedure_code"] == "99213"
    assert claim["lines"][0]["diagnosis_codes"] == ["J06.9"]
    assert claim["total_charge"] == {"amount": "150.00", "currency": "USD"}
    assert detail["fraud"]["signals"][0] == {
        "code": "NEAR_DUPLICATE",
        "weight": 0.4,
        "evidence": {"matched_claim_id": "CLM-0000", "days_apart": "2"},
    }
    assert detail["adjudication"]["lines"][0]["payable"] == {"amount": "80.00", "currency": "USD"}
    assert detail["routing"]["reasons"] == ["FRAUD_SCORE_HIGH", "NEAR_DUPLICATE"]
    assert detail["decision"] is None


def test_the_review_detail_carries_no_patient_identity() -> None:
    desk = a_desk_with_a_pending_review()

    body = call(desk, api_event("GET", f"/reviews/{REVIEW_ID}"))["body"]

    for phi in ("Jane Q Patient", "1961-07-04", "MBR000001", "SUB000001", "POL-GOLD001", "patient", "member_id"):
        assert phi not in body


def test_opening_a_pending_review_sends_a_heartbeat_for_its_token() -> None:
    desk = a_desk_with_a_pending_review()

    call(desk, api_event("GET", f"/reviews/{REVIEW_ID}"))

    assert desk.tasks.heartbeats == [TASK_TOKEN]


def test_opening_a_decided_review_sends_no_heartbeat() -> None:
    desk = a_desk_with_a_pending_review()
    decide(desk)

    detail = response_json(call(desk, api_event("GET", f"/reviews/{REVIEW_ID}")))

    assert desk.tasks.heartbeats == []
    assert detail["status"] == "DECIDED"
    assert detail["decision"]["reviewer_id"] == REVIEWER_SUB


def test_a_heartbeat_answered_timed_out_marks_the_review_timed_out() -> None:
    desk = a_desk_with_a_pending_review()
    desk.tasks.waiting.clear()  # Step Functions stopped waiting (HeartbeatSeconds passed)

    response = call(desk, api_event("GET", f"/reviews/{REVIEW_ID}"))

    assert response["statusCode"] == 200
    assert response_json(response)["status"] == "TIMED_OUT"
    assert desk.store.records[REVIEW_ID].status is ReviewStatus.TIMED_OUT


def test_a_transient_heartbeat_failure_is_503_so_the_reviewer_retries() -> None:
    desk = a_desk_with_a_pending_review()
    desk.tasks.transient_failures = 1

    response = call(desk, api_event("GET", f"/reviews/{REVIEW_ID}"))

    assert response["statusCode"] == 503
    assert header(response, "Retry-After") == "5"
    assert desk.store.records[REVIEW_ID].status is ReviewStatus.PENDING


def test_a_missing_claim_document_still_shows_the_findings() -> None:
    desk = a_desk_with_a_pending_review()
    desk.claims.documents.clear()

    detail = response_json(call(desk, api_event("GET", f"/reviews/{REVIEW_ID}")))

    assert detail["claim"] is None
    assert detail["fraud"]["score"] == 0.72


@pytest.mark.parametrize("review_id", [review_id_for("another-execution"), "REV-nothex", "..%2F..%2Fetc"])
def test_an_unknown_review_is_404(review_id: str) -> None:
    response = call(a_desk_with_a_pending_review(), api_event("GET", f"/reviews/{review_id}"))
    assert response["statusCode"] == 404
    assert response_json(response)["error"] == "REVIEW_NOT_FOUND"


def test_opening_requires_a_reviewer() -> None:
    desk = a_desk_with_a_pending_review()
    assert call(desk, api_event("GET", f"/reviews/{REVIEW_ID}", claims=None))["statusCode"] == 401
    assert desk.tasks.heartbeats == []  # an outsider cannot keep a review alive


# --- POST /reviews/{review_id}/decision ----------------------------------------------------------


def test_a_decision_resumes_the_workflow_and_is_200() -> None:
    desk = a_desk_with_a_pending_review()
    desk.clock.advance(timedelta(hours=2))

    response = decide(desk, a_decision_body("DENY", "Same service billed twice on 2026-03-01."))

    assert response["statusCode"] == 200
    body = response_json(response)
    assert body["status"] == "DECIDED"
    [(token, output)] = desk.tasks.successes
    assert token == TASK_TOKEN
    decision = ReviewDecision.model_validate_json(output)
    assert decision.review_id == REVIEW_ID
    assert decision.claim_id == "CLM-0001"
    assert decision.reviewer_id == REVIEWER_SUB
    assert decision.decision == "DENY"
    assert decision.rationale == "Same service billed twice on 2026-03-01."
    assert decision.decided_at == FIXED_NOW + timedelta(hours=2)
    assert body["decision"] == json.loads(output)
    record = desk.store.records[REVIEW_ID]
    assert record.status is ReviewStatus.DECIDED
    assert record.decision == decision


def test_an_accepted_decision_is_audited_with_reviewer_and_rationale() -> None:
    desk = a_desk_with_a_pending_review()

    decide(desk)

    event = desk.audit("CLM-0001")[-1]
    assert event.step == "review_decision"
    assert event.decision == "APPROVE"
    assert event.reviewer_id == REVIEWER_SUB
    assert event.rationale == a_decision_body()["rationale"]
    assert event.execution_id == EXECUTION_ID


def test_the_reviewer_is_the_caller_and_a_body_reviewer_id_is_rejected() -> None:
    desk = a_desk_with_a_pending_review()

    response = decide(desk, {**a_decision_body(), "reviewer_id": "someone-else"})

    assert response["statusCode"] == 422
    assert response_json(response)["details"] == [{"field": "reviewer_id", "problem": "not accepted in the body"}]
    assert desk.tasks.successes == []
    assert desk.store.records[REVIEW_ID].status is ReviewStatus.PENDING


def test_an_iam_principal_in_the_allowed_role_can_decide() -> None:
    desk = a_desk_with_a_pending_review()

    response = decide(desk, claims=None, user_arn=IAM_REVIEWER)

    assert response["statusCode"] == 200
    assert response_json(response)["decision"]["reviewer_id"] == "iam:123456789012:assumed-role:claims-reviewer:bob"


def test_a_base64_encoded_body_is_accepted() -> None:
    desk = a_desk_with_a_pending_review()
    assert decide(desk, base64_body=True)["statusCode"] == 200


def test_a_second_decision_is_409_and_changes_nothing() -> None:
    desk = a_desk_with_a_pending_review()
    decide(desk, a_decision_body("APPROVE"))

    response = decide(desk, a_decision_body("DENY", "Changed my mind about this one."))

    assert response["statusCode"] == 409
    assert response_json(response)["error"] == "REVIEW_ALREADY_DECIDED"
    assert len(desk.tasks.successes) == 1
    record = desk.store.records[REVIEW_ID]
    assert record.decision is not None and record.decision.decision == "APPROVE"
    assert refusals(desk) == [["HTTP_409", "REVIEW_ALREADY_DECIDED"]]


def test_a_decision_that_loses_the_race_to_another_is_409() -> None:
    desk = a_desk_with_a_pending_review()
    original_get = desk.store.get

    def stale_get(review_id: str) -> Any:
        # The reviewer read PENDING; another decision landed before the conditional write.
        record = original_get(review_id)
        if record is not None and record.status is ReviewStatus.PENDING and not desk.tasks.successes:
            other = ReviewDecision(
                review_id=REVIEW_ID,
                claim_id="CLM-0001",
                reviewer_id="other-reviewer",
                decision="DENY",
                rationale="Got here first with a denial.",
                decided_at=FIXED_NOW,
            )
            desk.store.mark_decided(other, FIXED_NOW)
        return record

    desk.store.get = stale_get  # type: ignore[method-assign]

    response = decide(desk)

    assert response["statusCode"] == 409
    assert desk.tasks.successes == []


def test_an_unknown_review_is_404_and_audited_on_the_unmatched_chain() -> None:
    desk = a_desk_with_a_pending_review()
    unknown = review_id_for("never-executed")

    response = call(desk, api_event("POST", f"/reviews/{unknown}/decision", body=a_decision_body()))

    assert response["statusCode"] == 404
    [event] = desk.audit(UNMATCHED_CHAIN)
    assert event.step == "review_refused"
    assert event.reason_codes == ["HTTP_404", "REVIEW_NOT_FOUND"]
    assert event.reviewer_id == REVIEWER_SUB


def test_a_timed_out_review_is_410() -> None:
    desk = a_desk_with_a_pending_review()
    desk.store.mark_timed_out(REVIEW_ID, now=FIXED_NOW, from_statuses=(ReviewStatus.PENDING,))

    response = decide(desk)

    assert response["statusCode"] == 410
    assert response_json(response)["error"] == "REVIEW_TIMED_OUT"
    assert desk.tasks.successes == []
    assert refusals(desk) == [["HTTP_410", "REVIEW_TIMED_OUT"]]


def test_a_decision_step_functions_no_longer_waits_for_is_410_and_times_the_review_out() -> None:
    desk = a_desk_with_a_pending_review()
    desk.tasks.waiting.clear()  # TimeoutSeconds passed a moment ago; escalation not run yet

    response = decide(desk)

    assert response["statusCode"] == 410
    record = desk.store.records[REVIEW_ID]
    assert record.status is ReviewStatus.TIMED_OUT
    assert record.task_token is None


def test_a_transient_resume_failure_reverts_the_decision_and_is_503_then_the_retry_succeeds() -> None:
    desk = a_desk_with_a_pending_review()
    desk.tasks.transient_failures = 1

    first = decide(desk)

    assert first["statusCode"] == 503
    assert header(first, "Retry-After") == "5"
    record = desk.store.records[REVIEW_ID]
    assert record.status is ReviewStatus.PENDING
    assert record.decision is None
    assert desk.tasks.successes == []

    desk.clock.advance(timedelta(seconds=10))
    second = decide(desk)

    assert second["statusCode"] == 200
    assert len(desk.tasks.successes) == 1
    assert [e.step for e in desk.audit("CLM-0001")][-2:] == ["review_refused", "review_decision"]
    assert refusals(desk) == [["HTTP_503", "DEPENDENCY_UNAVAILABLE"]]


def test_an_unavailable_reviews_table_is_503_and_the_attempt_is_still_audited() -> None:
    desk = a_desk_with_a_pending_review()
    desk.store.fail_next["mark_decided"] = TransientDependencyError("reviews.mark_decided: Throttling")

    response = decide(desk)

    assert response["statusCode"] == 503
    assert refusals(desk) == [["HTTP_503", "DEPENDENCY_UNAVAILABLE"]]
    assert desk.store.records[REVIEW_ID].status is ReviewStatus.PENDING


def test_an_unexpected_resume_failure_is_500_and_leaves_the_review_decidable() -> None:
    desk = a_desk_with_a_pending_review()
    desk.tasks.error = RuntimeError("AccessDeniedException")

    response = decide(desk)

    assert response["statusCode"] == 500
    assert response_json(response) == {
        "status": 500,
        "error": "INTERNAL_ERROR",
        "message": "internal error",
        "details": [],
    }
    assert desk.store.records[REVIEW_ID].status is ReviewStatus.PENDING
    assert refusals(desk) == [["HTTP_500", "INTERNAL_ERROR"]]


@pytest.mark.parametrize("raw_body", ["{not json", "", "   ", '{"decision": "APPROVE",'])
def test_a_body_that_is_not_json_is_400(raw_body: str) -> None:
    desk = a_desk_with_a_pending_review()

    response = decide(desk, raw_body=raw_body)

    assert response["statusCode"] == 400
    assert refusals(desk) == [["HTTP_400", "MALFORMED_BODY"]]


@pytest.mark.parametrize("raw_body", ["not base64!", "\x80", "é===", base64.b64encode(b"\xff\xfe").decode()])
def test_a_body_that_is_not_base64_utf8_when_flagged_so_is_400(raw_body: str) -> None:
    desk = a_desk_with_a_pending_review()
    event = api_event("POST", DECISION_PATH, raw_body=raw_body)
    event["isBase64Encoded"] = True
    assert call(desk, event)["statusCode"] == 400
    assert refusals(desk) == [["HTTP_400", "MALFORMED_BODY"]]


@pytest.mark.parametrize(
    "body,field",
    [
        ({"decision": "APPROVE"}, "rationale"),
        ({"decision": "APPROVE", "rationale": "   ok  "}, "rationale"),
        ({"decision": "MAYBE", "rationale": "Cannot tell from the file."}, "decision"),
        ({"decision": "approve", "rationale": "Lower case is not a verdict."}, "decision"),
        ({"rationale": "No verdict given at all."}, "decision"),
        ({"decision": "APPROVE", "rationale": "Fine.", "priority": "high"}, "priority"),
    ],
)
def test_a_body_of_the_wrong_shape_is_422(body: Any, field: str) -> None:
    desk = a_desk_with_a_pending_review()

    response = decide(desk, body)

    assert response["statusCode"] == 422
    problems = response_json(response)["details"]
    assert field in [p["field"] for p in problems]
    assert desk.tasks.successes == []
    assert refusals(desk) == [["HTTP_422", "INVALID_DECISION"]]


# --- the body's envelope: refused before any rule of the desk, and audited ----------------------


@pytest.mark.parametrize(
    "raw_body,error",
    [
        ("[" * 100_000 + "]" * 100_000, "BODY_TOO_LARGE"),  # the body: refused by size first
        ("[" * 10_000 + "]" * 10_000, "BODY_TOO_DEEP"),  # small, but json.loads alone raises RecursionError
        ('{"a":' * 5_000 + "1" + "}" * 5_000, "BODY_TOO_DEEP"),
        ('{"decision": "APPROVE", "rationale": "' + "x" * 40_000 + '"}', "BODY_TOO_LARGE"),
        ('["APPROVE", "because"]', "BODY_NOT_AN_OBJECT"),
        ('"APPROVE"', "BODY_NOT_AN_OBJECT"),
        ("1" * 5_000, "MALFORMED_BODY"),  # past Python's int digit limit: a ValueError, not JSONDecodeError
    ],
)
def test_a_body_too_deep_too_large_or_not_an_object_is_400_and_audited(raw_body: str, error: str) -> None:
    desk = a_desk_with_a_pending_review()

    response = decide(desk, raw_body=raw_body)

    assert response["statusCode"] == 400
    assert response_json(response)["error"] == error
    assert refusals(desk) == [["HTTP_400", error]]
    assert desk.tasks.successes == [] and desk.store.records[REVIEW_ID].status is ReviewStatus.PENDING


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "text/plain"},
        {"Content-Type": "application/x-www-form-urlencoded"},
        {"Content-Type": "application/json; charset=latin-1"},
        {"Content-Type": "application/jsonp"},
        {},
    ],
)
def test_a_decision_not_sent_as_json_is_415_and_audited(headers: dict[str, str]) -> None:
    desk = a_desk_with_a_pending_review()

    response = decide(desk, headers=headers)

    assert response["statusCode"] == 415
    assert response_json(response)["error"] == "UNSUPPORTED_MEDIA_TYPE"
    assert refusals(desk) == [["HTTP_415", "UNSUPPORTED_MEDIA_TYPE"]]
    assert desk.tasks.successes == []


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", 'Application/JSON;charset="UTF-8"']
)
def test_json_with_a_utf8_charset_parameter_is_accepted(content_type: str) -> None:
    desk = a_desk_with_a_pending_review()
    response = decide(desk, headers={"content-type": content_type})
    assert response["statusCode"] == 200 and len(desk.tasks.successes) == 1


def test_brackets_inside_the_rationale_are_not_nesting() -> None:
    desk = a_desk_with_a_pending_review()
    rationale = 'The note reads "' + "[{" * 40 + '" and ends with a backslash \\'
    response = decide(desk, a_decision_body(rationale=rationale))
    assert response["statusCode"] == 200


def test_an_unauthenticated_caller_gets_401_whatever_the_body() -> None:
    desk = a_desk_with_a_pending_review()
    response = decide(desk, raw_body="[" * 100_000, claims=None, headers={"Content-Type": "text/plain"})
    assert response["statusCode"] == 401


# --- paths: only the one API Gateway matched -----------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/{DECISION_PATH}",
        f"/reviews//{REVIEW_ID}/decision",
        f"/reviews/{REVIEW_ID}//decision",
        f"{DECISION_PATH}/",
        f"/reviews/{REVIEW_ID}/./decision",
        f"/reviews/x/../{REVIEW_ID}/decision",
    ],
)
def test_a_decision_on_a_path_api_gateway_would_not_match_is_404_and_decides_nothing(path: str) -> None:
    desk = a_desk_with_a_pending_review()
    event = api_event("POST", DECISION_PATH, body=a_decision_body())
    event["path"] = path  # what the client sent; resource and pathParameters as a lax proxy would fill them

    response = call(desk, event)

    assert response["statusCode"] == 404
    assert response_json(response)["error"] == "NO_SUCH_ROUTE"
    assert desk.tasks.successes == []
    assert desk.store.records[REVIEW_ID].status is ReviewStatus.PENDING


def test_a_path_parameter_that_disagrees_with_the_path_is_404() -> None:
    desk = a_desk_with_a_pending_review()
    event = api_event("GET", "/reviews/REV-00000000000000000000000000000000")
    event["pathParameters"] = {"review_id": REVIEW_ID}
    assert call(desk, event)["statusCode"] == 404
    assert desk.tasks.heartbeats == []


def test_a_caller_without_identity_is_401_and_audited_without_reviewer() -> None:
    desk = a_desk_with_a_pending_review()

    response = decide(desk, claims=None)

    assert response["statusCode"] == 401
    [event] = [e for e in desk.audit("CLM-0001") if e.step == "review_refused"]
    assert event.reason_codes == ["HTTP_401", "UNAUTHENTICATED"]
    assert event.reviewer_id is None
    assert desk.store.records[REVIEW_ID].status is ReviewStatus.PENDING


def test_a_caller_outside_the_reviewer_group_is_403_and_audited_with_its_id() -> None:
    desk = a_desk_with_a_pending_review()

    response = decide(desk, claims={"sub": "intruder-1", "cognito:groups": "billing"})

    assert response["statusCode"] == 403
    [event] = [e for e in desk.audit("CLM-0001") if e.step == "review_refused"]
    assert event.reason_codes == ["HTTP_403", "NOT_A_REVIEWER"]
    assert event.reviewer_id == "intruder-1"
    assert desk.tasks.successes == []


def test_an_iam_principal_outside_the_allow_list_is_403() -> None:
    desk = a_desk_with_a_pending_review()
    response = decide(desk, claims=None, user_arn="arn:aws:sts::123456789012:assumed-role/ops/eve")
    assert response["statusCode"] == 403


def test_unauthenticated_callers_learn_nothing_about_which_reviews_exist() -> None:
    desk = a_desk_with_a_pending_review()
    unknown = review_id_for("never-executed")

    known = decide(desk, claims=None)
    missing = call(desk, api_event("POST", f"/reviews/{unknown}/decision", body=a_decision_body(), claims=None))

    assert known["statusCode"] == missing["statusCode"] == 401


def test_an_audit_failure_does_not_undo_an_applied_decision() -> None:
    desk = a_desk_with_a_pending_review()
    desk.audit_store.fail_next = TransientDependencyError("audit.append: Throttling")

    response = decide(desk)

    assert response["statusCode"] == 200
    assert len(desk.tasks.successes) == 1


def test_the_audit_chain_stays_verifiable_across_attempts() -> None:
    from icpa_shared.audit import verify_chain

    desk = a_desk_with_a_pending_review()
    decide(desk, claims=None)
    decide(desk, raw_body="{")
    decide(desk)
    decide(desk)

    events = desk.audit("CLM-0001")
    assert [e.step for e in events] == [
        "review_requested",
        "review_refused",
        "review_refused",
        "review_decision",
        "review_refused",
    ]
    assert verify_chain(events).ok


# --- the rest -------------------------------------------------------------------------------------


def test_responses_are_json_and_never_cached() -> None:
    response = call(a_desk_with_a_pending_review(), api_event("GET", "/reviews"))
    assert header(response, "Content-Type") == "application/json"
    assert header(response, "Cache-Control") == "no-store"


def test_an_unknown_route_is_404() -> None:
    response = call(a_desk_with_a_pending_review(), api_event("DELETE", f"/reviews/{REVIEW_ID}"))
    assert response["statusCode"] == 404
    assert response_json(response)["error"] == "NO_SUCH_ROUTE"


def test_an_accepted_decision_reports_how_long_the_claim_waited(capsys: pytest.CaptureFixture[str]) -> None:
    desk = a_desk_with_a_pending_review()
    desk.clock.advance(timedelta(hours=2))
    capsys.readouterr()

    decide(desk)

    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    [metrics] = [m for m in emf if "ReviewWaitTime" in m]
    assert metrics["ReviewWaitTime"] in (7200.0, [7200.0])
    assert metrics["ReviewDecisionAccepted"] in (1.0, [1.0])
    units = {d["Name"]: d["Unit"] for d in metrics["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert units["ReviewWaitTime"] == "Seconds"
