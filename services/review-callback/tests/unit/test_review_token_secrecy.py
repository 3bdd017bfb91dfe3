"""The task token lives in the reviews table and nowhere else: not in a response, header,
log line, SNS message or audit event, whatever path a request takes."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

from pydantic import SecretStr
from review_callback_builders import (
    CLAIMS_URI,
    EXECUTION_ID,
    OTHER_TOKEN,
    TASK_TOKEN,
    LambdaContext,
    a_decision_body,
    a_human_review_claim,
    a_review_step,
    an_escalation_step,
    api_event,
)
from review_callback_fakes import Desk

from icpa_review_callback.domain.ids import review_id_for
from icpa_review_callback.domain.models import ReviewRecord
from icpa_review_callback.handlers import api as api_handler
from icpa_review_callback.handlers import escalation as escalation_handler
from icpa_review_callback.handlers import request as request_handler
from icpa_shared.contracts import ReviewStatus
from icpa_shared.errors import TransientDependencyError

REVIEW_ID = review_id_for(EXECUTION_ID)
SECOND_EXECUTION = EXECUTION_ID + "-second"
SECOND_REVIEW = review_id_for(SECOND_EXECUTION)
THIRD_TOKEN = "AQCEAAAAKgAAAAMAAAAAAAAAAS3cr3t-t4sk-t0k3n-third00"
SECRETS = (TASK_TOKEN, OTHER_TOKEN, THIRD_TOKEN)
PHI = ("Jane Q Patient", "1961-07-04", "MBR000001", "SUB000001")


def everything_that_left_the_service(desk: Desk, responses: list[dict[str, Any]], logs: io.StringIO) -> list[str]:
    texts = [json.dumps(r, sort_keys=True) for r in responses]
    texts += [m for _, m in desk.reviewer_topic.messages + desk.supervisor_topic.messages]
    texts += [e.model_dump_json() for chain in desk.audit_store.chains.values() for e in chain]
    texts += logs.getvalue().splitlines()
    return texts


def test_no_path_through_the_service_reveals_a_task_token_or_phi(logs: io.StringIO) -> None:
    desk = Desk()
    desk.claims.documents[CLAIMS_URI] = a_human_review_claim()
    responses: list[dict[str, Any]] = []

    def api(method: str, path: str, **kwargs: Any) -> None:
        responses.append(api_handler.handle(api_event(method, path, **kwargs), LambdaContext(), desk.deps))

    # The request, a retry with a new token, and a second review that will time out.
    responses.append(request_handler.handle(a_review_step(), desk.deps).model_dump(mode="json"))
    responses.append(request_handler.handle(a_review_step(task_token=OTHER_TOKEN), desk.deps).model_dump(mode="json"))
    responses.append(
        request_handler.handle(
            a_review_step(execution_id=SECOND_EXECUTION, task_token=THIRD_TOKEN), desk.deps
        ).model_dump(mode="json")
    )
    desk.tasks.waiting.update({OTHER_TOKEN, THIRD_TOKEN})
    decision_path = f"/reviews/{REVIEW_ID}/decision"

    api("GET", "/reviews")
    api("GET", "/reviews", query={"limit": "1"})
    api("GET", f"/reviews/{REVIEW_ID}")
    api("GET", f"/reviews/{review_id_for('nope')}")
    api("POST", decision_path, body=a_decision_body(), claims=None)
    api("POST", decision_path, body=a_decision_body(), claims={"sub": "x1", "cognito:groups": "billing"})
    api("POST", f"/reviews/{review_id_for('nope')}/decision", body=a_decision_body())
    api("POST", decision_path, raw_body="{oops")
    api("POST", decision_path, body={"decision": "APPROVE"})
    desk.tasks.transient_failures = 1
    api("POST", decision_path, body=a_decision_body())  # 503, reverted
    desk.tasks.error = RuntimeError("boom")
    api("POST", decision_path, body=a_decision_body())  # 500, reverted
    desk.tasks.error = None
    api("POST", decision_path, body=a_decision_body())  # 200
    api("POST", decision_path, body=a_decision_body())  # 409
    api("GET", f"/reviews/{REVIEW_ID}")
    api("GET", "/reviews", query={"status": "DECIDED"})
    api("GET", f"/reviews/{REVIEW_ID}/audit")

    desk.tasks.waiting.discard(THIRD_TOKEN)  # the second review's wait times out
    api("GET", f"/reviews/{SECOND_REVIEW}")  # heartbeat finds it gone
    responses.append(
        escalation_handler.handle(an_escalation_step(execution_id=SECOND_EXECUTION), desk.deps).model_dump(mode="json")
    )
    api("POST", f"/reviews/{SECOND_REVIEW}/decision", body=a_decision_body())  # 410
    desk.store.fail_next["get"] = TransientDependencyError("reviews.get: Throttling")
    api("GET", f"/reviews/{REVIEW_ID}")  # 503 from the exception handler

    statuses = sorted({r["statusCode"] for r in responses if "statusCode" in r})
    assert statuses == [200, 400, 401, 403, 404, 409, 410, 422, 500, 503]
    texts = everything_that_left_the_service(desk, responses, logs)
    assert len(texts) > 40
    for text in texts:
        for secret in SECRETS:
            assert secret not in text
        for phi in PHI:
            assert phi not in text
    # ...while the table does hold the live token it needs (the test would notice a leak).
    assert desk.store.records[REVIEW_ID].status is ReviewStatus.DECIDED
    assert desk.store.records[REVIEW_ID].task_token == SecretStr(OTHER_TOKEN)


def test_a_review_record_never_prints_its_token() -> None:
    desk = Desk()
    request_handler.handle(a_review_step(), desk.deps)
    record: ReviewRecord = desk.store.records[REVIEW_ID]

    for rendering in (repr(record), str(record), record.model_dump_json(), json.dumps(record.model_dump(mode="json"))):
        assert TASK_TOKEN not in rendering


def test_the_decided_resume_path_keeps_the_new_token_out_of_results_and_audit(logs: io.StringIO) -> None:
    desk = Desk()
    desk.claims.documents[CLAIMS_URI] = a_human_review_claim()
    request_handler.handle(a_review_step(), desk.deps)
    desk.tasks.waiting.add(TASK_TOKEN)
    api_handler.handle(
        api_event("POST", f"/reviews/{REVIEW_ID}/decision", body=a_decision_body()), LambdaContext(), desk.deps
    )
    desk.tasks.waiting.add(OTHER_TOKEN)
    desk.clock.advance(timedelta(days=1))

    result = request_handler.handle(a_review_step(task_token=OTHER_TOKEN), desk.deps)

    texts = everything_that_left_the_service(desk, [result.model_dump(mode="json")], logs)
    assert all(OTHER_TOKEN not in t and TASK_TOKEN not in t for t in texts)
    assert desk.tasks.successes[-1][0] == OTHER_TOKEN
