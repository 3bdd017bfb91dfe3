"""Property-based fuzzing of the review API's body and path handling, through
api_handler.handle with API Gateway REST proxy events: client input is never a 500 nor an
unhandled exception, a refused decision never resumes the workflow, and the body's checks take
time linear in its size. Budget: the HYPOTHESIS_PROFILE in conftest.py."""

from __future__ import annotations

import json
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from review_callback_builders import (
    CLAIMS_URI,
    EXECUTION_ID,
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
from icpa_review_callback.handlers.api_body import (
    MAX_BODY_BYTES,
    MAX_DEPTH,
    BodyProblem,
    nesting_depth,
    read_json_object,
)
from icpa_shared.contracts import ReviewStatus

REVIEW_ID = review_id_for(EXECUTION_ID)
DECISION_PATH = f"/reviews/{REVIEW_ID}/decision"


def a_desk_with_a_pending_review() -> Desk:
    desk = Desk()
    desk.claims.documents[CLAIMS_URI] = a_human_review_claim()
    request_handler.handle(a_review_step(execution_id=EXECUTION_ID, task_token=TASK_TOKEN), desk.deps)
    desk.tasks.waiting.add(TASK_TOKEN)
    return desk


# One desk for all examples: fuzzing must never decide the review, so it stays PENDING.
DESK = a_desk_with_a_pending_review()
CLIENT_STATUSES = {200, 400, 401, 403, 404, 409, 410, 415, 422}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=30,
)
bodies = st.one_of(
    st.none(),
    st.text(max_size=300),
    json_values.map(json.dumps),
    st.integers(1, 3_000).map(lambda n: "[" * n + "]" * n),
    st.integers(1, 3_000).map(lambda n: '{"a":' * n + "0" + "}" * n),
    st.builds(
        lambda v, r: json.dumps({"decision": v, "rationale": r, "extra": None}),
        st.text(max_size=8),
        st.text(max_size=40),
    ),
)
content_types = st.sampled_from(
    [
        None,
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/json;charset=ebcdic",
        "",
        ";",
        "application/json;;=",
        'APPLICATION/JSON; CHARSET="utf8"',
    ]
) | st.text(max_size=40)
segment = st.sampled_from(["reviews", REVIEW_ID, "decision", "", ".", "..", "%2F", "REV-", "reviews%2f"]) | st.text(
    max_size=12
)
paths = st.lists(segment, min_size=0, max_size=6).map(lambda parts: "/" + "/".join(parts)) | st.sampled_from(
    [DECISION_PATH, f"/{DECISION_PATH}", f"{DECISION_PATH}/", "/reviews", f"/reviews/{REVIEW_ID}", "", "//"]
)


def call(event: dict[str, Any]) -> dict[str, Any]:
    return api_handler.handle(event, LambdaContext(), DESK.deps)


def assert_a_client_answer(response: dict[str, Any]) -> None:
    assert response["statusCode"] in CLIENT_STATUSES, response
    answer = response_json(response)
    assert isinstance(answer, dict)
    if response["statusCode"] >= 400:
        assert answer["status"] == response["statusCode"] and isinstance(answer["error"], str)


@given(body=bodies, content_type=content_types, is_base64=st.booleans())
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_no_decision_body_is_a_500_and_none_that_is_refused_resumes_the_workflow(
    body: str | None, content_type: str | None, is_base64: bool
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    event = api_event("POST", DECISION_PATH, raw_body=body, headers=headers)
    event["isBase64Encoded"] = is_base64

    response = call(event)

    assert_a_client_answer(response)
    assert response["statusCode"] != 200  # no fuzzed body is a valid decision (extra fields, bad verdicts)
    assert DESK.tasks.successes == [] and DESK.store.records[REVIEW_ID].status is ReviewStatus.PENDING


@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"]),
    path=paths,
    resource=st.sampled_from(["/reviews", "/reviews/{review_id}", "/reviews/{review_id}/decision", "/", ""]),
    review_id=st.none() | st.sampled_from([REVIEW_ID, "", "x/y"]) | st.text(max_size=40),
)
def test_no_path_is_a_500_and_only_the_matched_path_decides(
    method: str, path: str, resource: str, review_id: str | None
) -> None:
    event = api_event(method, "/reviews", raw_body=json.dumps({**a_decision_body(), "extra": 1}))
    event.update(path=path, resource=resource, pathParameters=None if review_id is None else {"review_id": review_id})

    response = call(event)

    assert_a_client_answer(response)
    matched = path == resource.replace("{review_id}", review_id or "\0")
    if not matched:
        assert response["statusCode"] == 404 and response_json(response)["error"] == "NO_SUCH_ROUTE"
    assert DESK.tasks.successes == []


@given(text=st.text(alphabet='[]{}"\\ a,:', max_size=400))
def test_the_depth_scan_agrees_with_the_json_parser_on_what_it_accepts(text: str) -> None:
    """Whatever json.loads parses, the scan measured as the parser nests it."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return
    assert nesting_depth(text, limit=10_000) == _depth(value)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


def _seconds(body: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        read_json_object(body, is_base64=False, content_type="application/json")
        best = min(best, time.perf_counter() - started)
    return best


def an_object_body_of(size: int) -> str:
    """A valid JSON object of about `size` bytes, as deep as allowed and full of escaped quotes
    (the depth scan's slowest path): it goes through every check."""
    unit = '{"k": ["' + '\\"' * 8 + '", [[1]]]},'
    items = (unit * ((size - 4 * MAX_DEPTH) // len(unit))).rstrip(",")
    return '{"a":' * (MAX_DEPTH - 6) + '{"items": [' + items + "]}" + "}" * (MAX_DEPTH - 6)


def test_the_body_checks_take_linear_time() -> None:
    # 1 KB against 32 KB (just under the cap): linear is a ratio near 32, quadratic near 1,000.
    small, large = an_object_body_of(1024), an_object_body_of(MAX_BODY_BYTES - 64)
    assert isinstance(read_json_object(large, is_base64=False, content_type="application/json"), dict)
    assert nesting_depth(large, limit=MAX_DEPTH) == MAX_DEPTH
    ratio = _seconds(large, 5) / _seconds(small, 50)
    assert ratio < 32 * 4, ratio


def test_refusing_a_1_mb_body_costs_less_than_checking_a_10_kb_one() -> None:
    ten_kb, one_mb = an_object_body_of(10 * 1024), '{"a": "' + "x" * 1024 * 1024 + '"}'
    refused = read_json_object(one_mb, is_base64=False, content_type="application/json")
    assert isinstance(refused, BodyProblem) and refused.error == "BODY_TOO_LARGE"
    ratio = _seconds(one_mb, 20) / _seconds(ten_kb, 20)
    assert ratio < 1, ratio  # refused by its length alone, before it is encoded or scanned
