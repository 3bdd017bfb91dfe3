"""The reviewer console's files as the review API server sends them: only the listed files,
with their policy headers, no token needed and no review data; the API stays behind its token."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest

from icpa_local.console import CONTENT_TYPES, Console
from icpa_local.reviewapi import ReviewApiServer
from icpa_local.reviewers import ReviewerTokens
from icpa_orchestration.graph import GraphvizMissingError

COGNITO = {
    "apiBase": "",
    "auth": {"mode": "cognito", "domain": "https://icpa.auth.us-east-1.amazoncognito.com", "clientId": "abc"},
}


def no_handler(event: dict[str, Any]) -> dict[str, Any]:
    raise AssertionError("the console's files never reach the API handler")


@pytest.fixture
def api() -> Iterator[ReviewApiServer]:
    server = ReviewApiServer(
        no_handler, ReviewerTokens({"t0k3n": "dana.reyes"}).reviewer_for, console=Console()
    ).start()
    yield server
    server.stop()


def get(server: ReviewApiServer, path: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("name", sorted(CONTENT_TYPES))
def test_each_console_file_is_served_without_a_token_with_its_type_and_policy(api: ReviewApiServer, name: str) -> None:
    status, headers, body = get(api, f"/console/{name}")

    assert status == 200
    assert headers["content-type"] == CONTENT_TYPES[name]
    assert body
    policy = headers["content-security-policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"


def test_the_page_is_at_the_folder_and_the_bare_name_redirects_there(api: ReviewApiServer) -> None:
    status, _, page = get(api, "/console/")
    assert status == 200 and b'src="console.js"' in page
    status, headers, _ = get(api, "/console")
    assert status == 308 and headers["location"] == "/console/"


@pytest.mark.parametrize(
    "path",
    [
        "/console/../reviewers.json",
        "/console/%2e%2e/reviewers.json",
        "/console/__init__.py",
        "/console/static/console.js",
        "/console/BUILD",
        "/console/console.js/",
        "/consolex",
    ],
)
def test_nothing_but_the_listed_files_is_served(api: ReviewApiServer, path: str) -> None:
    status, _, body = get(api, path)
    assert status == 404
    assert json.loads(body) == {"message": "no such console file"}


def test_the_api_still_needs_a_token_next_to_the_console(api: ReviewApiServer) -> None:
    status, _, _ = get(api, "/reviews")
    assert status == 401


def test_local_config_signs_in_with_a_token_on_this_origin(api: ReviewApiServer) -> None:
    _, headers, body = get(api, "/console/config.json")
    assert json.loads(body) == {"apiBase": "", "auth": {"mode": "token"}}
    assert "connect-src 'self';" in headers["content-security-policy"]


def test_a_cognito_config_may_reach_its_sign_in_domain_and_nothing_else() -> None:
    console = Console(COGNITO)
    asset = console.asset("/console/config.json")
    assert asset is not None and json.loads(asset.body) == COGNITO
    assert (
        "connect-src 'self' https://icpa.auth.us-east-1.amazoncognito.com;" in asset.headers["Content-Security-Policy"]
    )


def test_without_a_console_the_paths_are_the_gateways_403() -> None:
    server = ReviewApiServer(no_handler, ReviewerTokens({}).reviewer_for).start()
    try:
        status, _, _ = get(server, "/console/")
    finally:
        server.stop()
    assert status == 403


REVIEW_ID = "REV-" + "a" * 32
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"/>'


def get_with(server: ReviewApiServer, path: str, token: str | None) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@pytest.fixture
def pictures_api() -> Iterator[tuple[ReviewApiServer, list[str]]]:
    asked: list[str] = []

    def pictures(review_id: str) -> bytes | None:
        asked.append(review_id)
        if review_id == "REV-" + "b" * 32:
            raise GraphvizMissingError("dot is not installed")
        return SVG if review_id == REVIEW_ID else None

    server = ReviewApiServer(no_handler, ReviewerTokens({"t0k3n": "dana.reyes"}).reviewer_for, pictures=pictures)
    server.start()
    yield server, asked
    server.stop()


def test_the_workflow_picture_needs_a_reviewer_token(pictures_api: tuple[ReviewApiServer, list[str]]) -> None:
    server, asked = pictures_api
    for token in (None, "wrong"):
        status, _, _ = get_with(server, f"/_icpa/reviews/{REVIEW_ID}/graph.svg", token)
        assert status == 401
    assert asked == []


def test_the_workflow_picture_is_an_svg_that_may_run_nothing(pictures_api: tuple[ReviewApiServer, list[str]]) -> None:
    server, _ = pictures_api
    status, headers, body = get_with(server, f"/_icpa/reviews/{REVIEW_ID}/graph.svg", "t0k3n")
    assert (status, body) == (200, SVG)
    assert headers["content-type"] == "image/svg+xml"
    assert headers["content-security-policy"].startswith("default-src 'none'")
    assert "script" not in headers["content-security-policy"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/_icpa/reviews/REV-" + "c" * 32 + "/graph.svg", 404),  # no such review
        ("/_icpa/reviews/not-a-review/graph.svg", 404),
        ("/_icpa/reviews/REV-" + "a" * 32 + "/graph.png", 404),
        ("/_icpa/reviews/REV-" + "b" * 32 + "/graph.svg", 503),  # Graphviz missing: said, not crashed
    ],
)
def test_the_workflow_picture_refusals(pictures_api: tuple[ReviewApiServer, list[str]], path: str, status: int) -> None:
    server, _ = pictures_api
    assert get_with(server, path, "t0k3n")[0] == status
