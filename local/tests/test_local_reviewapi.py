"""The bearer-token adapter in front of the review API handler, and the reviewers' tokens
(over loopback, with a recording stand-in for the handler: the real one is in test_local_serve)."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from icpa_local.apigateway import authorized_event, bearer_token
from icpa_local.remote import http_call
from icpa_local.reviewapi import HEALTH_PATH, MAX_BODY_BYTES, ReviewApiServer
from icpa_local.reviewers import LOCAL_REVIEWERS, ReviewerTokens

TOKENS = {"good-token-for-cli": "cli", "good-token-for-dana": "dana.reyes"}


class RecordingHandler:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        claims = event["requestContext"]["authorizer"]["claims"]
        return {"statusCode": 200, "headers": {"Content-Type": "application/json", "X-Seen": "yes"},
                "body": json.dumps({"you": claims["sub"], "path": event["path"], "body": event["body"]})}


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def api(handler: RecordingHandler) -> Iterator[ReviewApiServer]:
    server = ReviewApiServer(handler, ReviewerTokens(TOKENS).reviewer_for,
                             health=lambda: {"service": "icpa-serve"}).start()
    yield server
    server.stop()


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic Z29vZA==", "bearer a b",
                                    "Token good-token-for-cli"])
def test_bearer_token_parsing_refuses_anything_but_one_bearer_token(header: str | None) -> None:
    assert bearer_token(header) is None


def test_bearer_token_parsing() -> None:
    assert bearer_token("Bearer abc") == "abc" and bearer_token("bearer  abc ") == "abc"


def test_the_identity_comes_from_the_token_only() -> None:
    tokens = ReviewerTokens(TOKENS)
    event = authorized_event("POST", "/reviews/REV-1/decision", authorization="Bearer good-token-for-dana",
                             reviewer_for=tokens.reviewer_for, raw_body="{}",
                             headers={"Authorization": "Bearer good-token-for-dana", "X-Reviewer": "mallory"})
    assert event is not None
    claims = event["requestContext"]["authorizer"]["claims"]
    assert claims == {"sub": "dana.reyes", "cognito:username": "dana.reyes", "cognito:groups": "claims-reviewers"}
    assert event["pathParameters"] == {"review_id": "REV-1"} and event["resource"] == "/reviews/{review_id}/decision"
    assert "Authorization" not in event["headers"]  # the token does not travel on to the handler
    assert authorized_event("GET", "/reviews", authorization="Bearer nope", reviewer_for=tokens.reviewer_for) is None


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": "Basic eA=="},
                                     {"Authorization": "good-token-for-cli"}])
def test_no_or_unknown_token_is_401_and_never_reaches_the_handler(
    api: ReviewApiServer, handler: RecordingHandler, headers: dict[str, str]
) -> None:
    for method, path, body in (("GET", "/reviews", None), ("POST", "/reviews/REV-1/decision", {"decision": "APPROVE"})):
        status, answer = http_call(api.url + path, method, body=body, headers=headers)
        assert (status, answer) == (401, {"message": "Unauthorized"})
    assert handler.events == []


def test_a_valid_token_reaches_the_handler_as_its_reviewer(api: ReviewApiServer, handler: RecordingHandler) -> None:
    status, answer = http_call(api.url + "/reviews/REV-9/decision", "POST", body={"decision": "DENY"},
                               headers={"Authorization": "Bearer good-token-for-dana"})
    assert status == 200
    assert answer == {"you": "dana.reyes", "path": "/reviews/REV-9/decision", "body": '{"decision": "DENY"}'}
    (event,) = handler.events
    assert event["httpMethod"] == "POST" and event["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"


def test_query_strings_reach_the_handler(api: ReviewApiServer, handler: RecordingHandler) -> None:
    status, _ = http_call(api.url + "/reviews?limit=5&next=abc", "GET",
                          headers={"Authorization": "Bearer good-token-for-cli"})
    assert status == 200 and handler.events[0]["queryStringParameters"] == {"limit": "5", "next": "abc"}


def test_health_needs_no_token_and_says_nothing_about_reviews(api: ReviewApiServer, handler: RecordingHandler) -> None:
    assert http_call(api.url + HEALTH_PATH, "GET") == (200, {"service": "icpa-serve"})
    assert handler.events == []


def test_oversized_bodies_are_refused(api: ReviewApiServer, handler: RecordingHandler) -> None:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(api.url + "/reviews/REV-1/decision", method="POST",
                                     data=b"x" * (MAX_BODY_BYTES + 1),
                                     headers={"Authorization": "Bearer good-token-for-cli"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 413 and handler.events == []


def test_a_crashing_handler_is_a_502(handler: RecordingHandler) -> None:
    def crash(event: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("boom")

    server = ReviewApiServer(crash, ReviewerTokens(TOKENS).reviewer_for).start()
    try:
        status, _ = http_call(server.url + "/reviews", "GET", headers={"Authorization": "Bearer good-token-for-cli"})
    finally:
        server.stop()
    assert status == 502


# --- reviewers.json ---------------------------------------------------------------------------


def test_tokens_are_created_once_private_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "reviewers.json"
    first = ReviewerTokens.load_or_create(path)
    assert first.reviewers() == sorted(LOCAL_REVIEWERS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    mapping = json.loads(path.read_text())
    assert sorted(mapping.values()) == sorted(LOCAL_REVIEWERS) and all(len(t) >= 40 for t in mapping)
    again = ReviewerTokens.load_or_create(path)
    assert again.items() == first.items()
    more = ReviewerTokens.load_or_create(path, reviewers=(*LOCAL_REVIEWERS, "sam.lee"))
    assert more.token_for("cli") == first.token_for("cli") and more.token_for("sam.lee")


def test_reviewer_lookup() -> None:
    tokens = ReviewerTokens(TOKENS)
    assert tokens.reviewer_for("good-token-for-cli") == "cli"
    assert tokens.reviewer_for("good-token-for-cl") is None
    assert tokens.reviewer_for("") is None and tokens.reviewer_for(None) is None
    assert tokens.token_for("dana.reyes") == "good-token-for-dana" and tokens.token_for("nobody") is None
