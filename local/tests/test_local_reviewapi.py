"""The bearer-token adapter in front of the review API handler, and the reviewers' tokens
(over loopback, with a recording stand-in for the handler: the real one is in test_local_serve)."""

from __future__ import annotations

import http.client
import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from icpa_local.apigateway import ROUTES, authorized_event, bearer_token, match_route, rest_event
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
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "application/json", "X-Seen": "yes"},
            "body": json.dumps({"you": claims["sub"], "path": event["path"], "body": event["body"]}),
        }


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def api(handler: RecordingHandler) -> Iterator[ReviewApiServer]:
    server = ReviewApiServer(
        handler, ReviewerTokens(TOKENS).reviewer_for, health=lambda: {"service": "icpa-serve"}
    ).start()
    yield server
    server.stop()


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Bearer ", "Basic Z29vZA==", "bearer a b", "Token good-token-for-cli"]
)
def test_bearer_token_parsing_refuses_anything_but_one_bearer_token(header: str | None) -> None:
    assert bearer_token(header) is None


def test_bearer_token_parsing() -> None:
    assert bearer_token("Bearer abc") == "abc" and bearer_token("bearer  abc ") == "abc"


def test_the_identity_comes_from_the_token_only() -> None:
    tokens = ReviewerTokens(TOKENS)
    event = authorized_event(
        "POST",
        "/reviews/REV-1/decision",
        authorization="Bearer good-token-for-dana",
        reviewer_for=tokens.reviewer_for,
        raw_body="{}",
        headers={"Authorization": "Bearer good-token-for-dana", "X-Reviewer": "mallory"},
    )
    assert event is not None
    claims = event["requestContext"]["authorizer"]["claims"]
    assert claims == {"sub": "dana.reyes", "cognito:username": "dana.reyes", "cognito:groups": "claims-reviewers"}
    assert event["pathParameters"] == {"review_id": "REV-1"} and event["resource"] == "/reviews/{review_id}/decision"
    assert "Authorization" not in event["headers"]  # the token does not travel on to the handler
    assert authorized_event("GET", "/reviews", authorization="Bearer nope", reviewer_for=tokens.reviewer_for) is None


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "Basic eA=="},
        {"Authorization": "good-token-for-cli"},
    ],
)
def test_no_or_unknown_token_is_401_and_never_reaches_the_handler(
    api: ReviewApiServer, handler: RecordingHandler, headers: dict[str, str]
) -> None:
    for method, path, body in (("GET", "/reviews", None), ("POST", "/reviews/REV-1/decision", {"decision": "APPROVE"})):
        status, answer = http_call(api.url + path, method, body=body, headers=headers)
        assert (status, answer) == (401, {"message": "Unauthorized"})
    assert handler.events == []


def test_a_valid_token_reaches_the_handler_as_its_reviewer(api: ReviewApiServer, handler: RecordingHandler) -> None:
    status, answer = http_call(
        api.url + "/reviews/REV-9/decision",
        "POST",
        body={"decision": "DENY"},
        headers={"Authorization": "Bearer good-token-for-dana"},
    )
    assert status == 200
    assert answer == {"you": "dana.reyes", "path": "/reviews/REV-9/decision", "body": '{"decision": "DENY"}'}
    (event,) = handler.events
    assert event["httpMethod"] == "POST" and event["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"


def test_query_strings_reach_the_handler(api: ReviewApiServer, handler: RecordingHandler) -> None:
    status, _ = http_call(
        api.url + "/reviews?limit=5&next=abc", "GET", headers={"Authorization": "Bearer good-token-for-cli"}
    )
    assert status == 200 and handler.events[0]["queryStringParameters"] == {"limit": "5", "next": "abc"}


def raw_request(
    api: ReviewApiServer, method: str, target: str, *, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, str | None, bytes]:
    """One request with the target exactly as given (urllib would normalise it)."""
    connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=10)
    try:
        connection.putrequest(method, target, skip_host=False, skip_accept_encoding=True)
        for name, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        connection.close()


CLI_TOKEN = {"Authorization": "Bearer good-token-for-cli"}
MISSING_TOKEN = (403, "application/json", b'{"message":"Missing Authentication Token"}')


@pytest.mark.parametrize(
    "method,target",
    [
        ("POST", "//reviews/REV-1/decision"),  # http.server alone folds this into /reviews/REV-1/decision
        ("POST", "///reviews/REV-1/decision"),
        ("POST", "/reviews//REV-1/decision"),
        ("POST", "/reviews/REV-1/decision/"),
        ("GET", "/reviews/"),
        ("GET", "/reviews/REV-1/decision"),  # a defined resource, but not with this method
        ("DELETE", "/reviews/REV-1"),
        ("GET", "/nope"),
        ("OPTIONS", "/reviews"),
        ("TRACE", "/reviews"),
    ],
)
def test_an_undefined_method_or_resource_is_the_gateways_403_and_never_reaches_the_handler(
    api: ReviewApiServer, handler: RecordingHandler, method: str, target: str
) -> None:
    for headers in (CLI_TOKEN, {}):
        assert raw_request(api, method, target, body=b'{"decision": "APPROVE"}', headers=headers) == MISSING_TOKEN
    assert handler.events == []


def test_head_gets_the_403_headers_without_a_body(api: ReviewApiServer, handler: RecordingHandler) -> None:
    status, content_type, body = raw_request(api, "HEAD", "/reviews", headers=CLI_TOKEN)
    assert (status, content_type, body) == (403, "application/json", b"")
    assert handler.events == []


@pytest.mark.parametrize("request_line", [b"BREW /reviews HTTP/1.1", b"GET", b"GET /reviews HTTP/9.9"])
def test_what_http_server_refuses_itself_is_answered_in_json(api: ReviewApiServer, request_line: bytes) -> None:
    import socket

    with socket.create_connection(("127.0.0.1", api.port), timeout=10) as sock:
        sock.sendall(request_line + b"\r\nHost: x\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert b"<html" not in answer.lower()
    if answer.startswith(b"HTTP/1."):  # a request line it could read gets a status line and headers
        head, _, answer = answer.partition(b"\r\n\r\n")
        assert b"Content-Type: application/json" in head
    assert isinstance(json.loads(answer)["message"], str)


def test_routes_match_segment_by_segment() -> None:
    assert match_route("POST", "/reviews/REV-1/decision") == ("/reviews/{review_id}/decision", {"review_id": "REV-1"})
    assert match_route("get", "/reviews") == ("/reviews", None)
    assert match_route("GET", "/reviews/REV%2D1") == ("/reviews/{review_id}", {"review_id": "REV-1"})
    for path in ("//reviews/REV-1/decision", "/reviews//decision", "reviews", "", "/reviews/a/b", "/reviews/a/"):
        assert match_route("POST", path) is None and match_route("GET", path) is None


def test_an_event_for_a_double_slash_path_keeps_the_path_as_sent() -> None:
    event = rest_event("POST", "//reviews/REV-1/decision?x=1", reviewer="cli", raw_body="{}")
    assert event["path"] == "//reviews/REV-1/decision" and event["pathParameters"] is None
    assert event["queryStringParameters"] == {"x": "1"}


def test_the_local_routes_are_the_templates() -> None:
    from cfnlint.decode import cfn_yaml

    template = cfn_yaml.load("orchestration/template.yaml")
    events = template["Resources"]["ReviewApiFunction"]["Properties"]["Events"].values()
    declared = {
        (str(e["Properties"]["Method"]).upper(), str(e["Properties"]["Path"])) for e in events if e["Type"] == "Api"
    }
    assert declared == set(ROUTES)


def test_health_needs_no_token_and_says_nothing_about_reviews(api: ReviewApiServer, handler: RecordingHandler) -> None:
    assert http_call(api.url + HEALTH_PATH, "GET") == (200, {"service": "icpa-serve"})
    assert handler.events == []


def test_the_served_health_says_ok_and_the_version_and_nothing_about_the_machine(tmp_path: Path) -> None:
    import os

    from icpa_local.datadir import DataDir
    from icpa_local.serve import Server
    from icpa_review_callback import __version__

    server = Server(DataDir(tmp_path / "data"), port=0, review_port=0, inbox=tmp_path / "inbox", time_scale=0.01)
    health = server.health()

    assert health == {"service": "icpa-serve", "status": "ok", "version": __version__}
    assert str(tmp_path) not in json.dumps(health) and str(os.getpid()) not in json.dumps(health)
    assert server.server_info()["data_dir"] == str(tmp_path / "data")  # the private file keeps it


def test_oversized_bodies_are_refused(api: ReviewApiServer, handler: RecordingHandler) -> None:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        api.url + "/reviews/REV-1/decision",
        method="POST",
        data=b"x" * (MAX_BODY_BYTES + 1),
        headers={"Authorization": "Bearer good-token-for-cli"},
    )
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
