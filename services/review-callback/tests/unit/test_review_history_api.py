"""What the reviewer console reads besides the queue: the decided reviews (who decided what and
why, newest first) and a review's claim audit timeline, through api_handler.handle with fakes."""

from __future__ import annotations

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
    response_json,
)
from review_callback_fakes import Desk

from icpa_review_callback.domain.ids import review_id_for
from icpa_review_callback.handlers import api as api_handler
from icpa_review_callback.handlers import request as request_handler
from icpa_review_callback.usecases import api as desk_api
from icpa_shared.audit import build_event

REVIEW_ID = review_id_for(EXECUTION_ID)
SECOND_EXECUTION = f"{EXECUTION_ID}-second"
SECOND_REVIEW = review_id_for(SECOND_EXECUTION)


def call(desk: Desk, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    return api_handler.handle(api_event(method, path, **kwargs), LambdaContext(), desk.deps)


def a_desk_with_two_reviews_one_decided() -> Desk:
    desk = Desk()
    desk.claims.documents[CLAIMS_URI] = a_human_review_claim()
    request_handler.handle(a_review_step(), desk.deps)
    desk.clock.advance(timedelta(minutes=5))
    request_handler.handle(a_review_step(execution_id=SECOND_EXECUTION, task_token="token-2"), desk.deps)
    desk.tasks.waiting.update({TASK_TOKEN, "token-2"})
    body = a_decision_body(decision="DENY", rationale="Prior auth missing for line 1.")
    assert call(desk, "POST", f"/reviews/{REVIEW_ID}/decision", body=body)["statusCode"] == 200
    return desk


# --- GET /reviews?status=DECIDED -----------------------------------------------------------------


def test_decided_reviews_list_who_decided_what_and_why() -> None:
    desk = a_desk_with_two_reviews_one_decided()

    response = call(desk, "GET", "/reviews", query={"status": "DECIDED"})

    assert response["statusCode"] == 200
    page = response_json(response)
    assert [r["review_id"] for r in page["reviews"]] == [REVIEW_ID]
    decided = page["reviews"][0]
    assert decided["status"] == "DECIDED"
    assert decided["decision"]["reviewer_id"] == REVIEWER_SUB
    assert decided["decision"]["decision"] == "DENY"
    assert decided["decision"]["rationale"] == "Prior auth missing for line 1."
    assert desk.store.calls.count("list_decided") == 1
    # ...and the queue keeps only the one still waiting.
    queue = response_json(call(desk, "GET", "/reviews"))
    assert [r["review_id"] for r in queue["reviews"]] == [SECOND_REVIEW]
    assert "decision" not in queue["reviews"][0]


def test_decided_reviews_come_newest_first_and_page() -> None:
    desk = a_desk_with_two_reviews_one_decided()
    assert call(desk, "POST", f"/reviews/{SECOND_REVIEW}/decision", body=a_decision_body())["statusCode"] == 200

    first = response_json(call(desk, "GET", "/reviews", query={"status": "DECIDED", "limit": "1"}))
    rest = response_json(call(desk, "GET", "/reviews", query={"status": "DECIDED", "next": first["next"]}))

    assert [r["review_id"] for r in first["reviews"] + rest["reviews"]] == [SECOND_REVIEW, REVIEW_ID]
    assert rest["next"] is None


@pytest.mark.parametrize("status", ["TIMED_OUT", "decided", "ALL", ""])
def test_an_unlisted_status_is_400_naming_the_choices(status: str) -> None:
    response = call(a_desk_with_two_reviews_one_decided(), "GET", "/reviews", query={"status": status})

    assert response["statusCode"] == 400
    body = response_json(response)
    assert body["error"] == "INVALID_QUERY"
    assert "PENDING, DECIDED" in body["message"]


def test_listing_decided_reviews_requires_a_reviewer() -> None:
    desk = a_desk_with_two_reviews_one_decided()
    assert call(desk, "GET", "/reviews", query={"status": "DECIDED"}, claims=None)["statusCode"] == 401
    outsider = {"sub": "u9", "cognito:groups": "billing"}
    assert call(desk, "GET", "/reviews", query={"status": "DECIDED"}, claims=outsider)["statusCode"] == 403


# --- GET /reviews/{review_id}/audit --------------------------------------------------------------


def test_the_timeline_shows_the_claims_audit_chain_with_the_reviewer_and_rationale() -> None:
    desk = a_desk_with_two_reviews_one_decided()

    response = call(desk, "GET", f"/reviews/{REVIEW_ID}/audit")

    assert response["statusCode"] == 200
    timeline = response_json(response)
    assert timeline["review_id"] == REVIEW_ID
    assert timeline["claim_id"] == "CLM-0001"
    assert timeline["intact"] is True
    assert timeline["omitted"] == 0
    steps = [e["step"] for e in timeline["events"]]
    assert steps[:1] == ["review_requested"]
    assert "review_decision" in steps
    decision = next(e for e in timeline["events"] if e["step"] == "review_decision")
    assert decision["reviewer_id"] == REVIEWER_SUB
    assert decision["decision"] == "DENY"
    assert decision["rationale"] == "Prior auth missing for line 1."
    assert [e["sequence"] for e in timeline["events"]] == list(range(1, len(steps) + 1))
    # The chain's digests and hashes stay in the chain.
    assert not {"input_digest", "output_digest", "hash", "previous_hash"} & set(timeline["events"][0])


def test_a_tampered_chain_is_shown_as_not_intact() -> None:
    desk = a_desk_with_two_reviews_one_decided()
    chain = desk.audit_store.chains["CLM-0001"]
    chain[0] = chain[0].model_copy(update={"decision": "APPROVE"})  # changed after hashing

    timeline = response_json(call(desk, "GET", f"/reviews/{REVIEW_ID}/audit"))

    assert timeline["intact"] is False
    assert "hash" in timeline["problem"]


def test_a_long_chain_is_capped_and_says_how_many_events_it_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    desk = a_desk_with_two_reviews_one_decided()
    monkeypatch.setattr(desk_api, "MAX_TIMELINE_EVENTS", 2)
    total = len(desk.audit("CLM-0001"))

    timeline = response_json(call(desk, "GET", f"/reviews/{REVIEW_ID}/audit"))

    assert [e["sequence"] for e in timeline["events"]] == [1, 2]
    assert timeline["omitted"] == total - 2 > 0
    assert timeline["intact"] is True  # verified over the whole chain, not only what is shown


@pytest.mark.parametrize("review_id", [review_id_for("nope"), "not-a-review-id", "CLM-0001"])
def test_the_timeline_of_an_unknown_review_is_404(review_id: str) -> None:
    response = call(a_desk_with_two_reviews_one_decided(), "GET", f"/reviews/{review_id}/audit")

    assert response["statusCode"] == 404
    assert response_json(response)["error"] == "REVIEW_NOT_FOUND"


def test_the_timeline_requires_a_reviewer_before_saying_whether_the_review_exists() -> None:
    desk = a_desk_with_two_reviews_one_decided()
    for review_id in (REVIEW_ID, review_id_for("nope")):
        assert call(desk, "GET", f"/reviews/{review_id}/audit", claims=None)["statusCode"] == 401


def test_the_timeline_reads_only_the_reviews_own_claim() -> None:
    desk = a_desk_with_two_reviews_one_decided()
    other = build_event(
        None,
        claim_id="CLM-9999",
        step="intake",
        service="intake",
        service_version="1.0.0",
        input_digest="0" * 64,
        output_digest="0" * 64,
        decision="ACCEPTED",
        occurred_at=desk.clock(),
    )
    desk.audit_store.append(other)

    timeline = response_json(call(desk, "GET", f"/reviews/{REVIEW_ID}/audit"))

    assert {e["step"] for e in timeline["events"]} <= {"review_requested", "review_decision", "review_refused"}
    assert all(e["decision"] != "ACCEPTED" for e in timeline["events"])


# --- the decision rule, shown before submitting -------------------------------------------------


def test_the_review_detail_states_the_decision_rule_the_api_enforces() -> None:
    desk = a_desk_with_two_reviews_one_decided()

    rule = response_json(call(desk, "GET", f"/reviews/{SECOND_REVIEW}"))["decision_rule"]

    assert rule == {
        "verdicts": ["APPROVE", "DENY"],
        "rationale_min_length": 5,
        "rationale_max_length": 2000,
        "rationale_trimmed": True,
    }
    # The rule is the one enforced: one character short (after trimming) is refused, the
    # minimum is accepted.
    short = " " + "x" * (rule["rationale_min_length"] - 1) + "   "
    path = f"/reviews/{SECOND_REVIEW}/decision"
    assert call(desk, "POST", path, body=a_decision_body(rationale=short))["statusCode"] == 422
    exact = "x" * rule["rationale_min_length"]
    assert call(desk, "POST", path, body=a_decision_body(rationale=exact))["statusCode"] == 200
