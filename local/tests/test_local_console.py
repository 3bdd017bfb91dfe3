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
