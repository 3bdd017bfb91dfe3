"""API Gateway REST proxy events, shaped as a Cognito user-pool authorizer fills them, for
calling the real review API handler locally (the CLI, tests, and `icpa serve`).

Routing is API Gateway's: a request reaches the handler only for a method and resource the
template defines (ROUTES), matched segment by segment: `{review_id}` is one non-empty segment,
and an empty segment (`//reviews/x/decision`, a trailing `/`) matches nothing. Anything else is
answered as a REST API answers an undefined method or resource, before any authorizer: 403
`{"message":"Missing Authentication Token"}` (gateway response MISSING_AUTHENTICATION_TOKEN, "including
the cases when the client attempts to invoke an unsupported API method or resource").
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import parse_qsl, unquote

# The review API's methods and resources, as orchestration/template.yaml declares them.
ROUTES: Final = (
    ("GET", "/reviews"),
    ("GET", "/reviews/{review_id}"),
    ("GET", "/reviews/{review_id}/audit"),
    ("POST", "/reviews/{review_id}/decision"),
)


def match_route(method: str, path: str) -> tuple[str, dict[str, str] | None] | None:
    """(resource, pathParameters) of the route API Gateway would pick, or None (-> 403)."""
    segments = path.split("/")
    for route_method, resource in ROUTES:
        template = resource.split("/")
        if route_method != method.upper() or len(template) != len(segments) or segments[0] != "":
            continue
        parameters: dict[str, str] = {}
        for want, got in zip(template[1:], segments[1:], strict=True):
            if not got:
                break
            if want.startswith("{") and want.endswith("}"):
                parameters[want[1:-1]] = unquote(got)
            elif want != got:
                break
        else:
            return resource, parameters or None
    return None


def split_target(target: str) -> tuple[str, str]:
    """(path, query) of a request target, as sent: no `//` taken for a host name."""
    path, _, query = target.partition("#")[0].partition("?")
    return path, query


def rest_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    reviewer: str | None,
    groups: str = "claims-reviewers",
    headers: dict[str, str] | None = None,
    raw_body: str | None = None,
) -> dict[str, Any]:
    path, query = split_target(path)
    # An unmatched path still reaches the handler from in-process callers: it answers 404.
    resource, path_parameters = match_route(method, path) or (path, None)
    authorizer: dict[str, Any] = {}
    if reviewer is not None:
        authorizer = {"claims": {"sub": reviewer, "cognito:username": reviewer, "cognito:groups": groups}}
    if raw_body is None and body is not None:
        raw_body = json.dumps(body)
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method.upper(),
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "multiValueHeaders": {},
        "queryStringParameters": dict(parse_qsl(query)) or None,
        "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method.upper(),
            "path": f"/local{path}",
            "stage": "local",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1", "userArn": None},
            "authorizer": authorizer,
        },
        "body": raw_body,
        "isBase64Encoded": False,
    }


# --- bearer tokens: what the Cognito authorizer does before the handler runs --------------------

UNAUTHORIZED_BODY = '{"message":"Unauthorized"}'  # API Gateway's own answer, word for word
MISSING_AUTHENTICATION_TOKEN_BODY = '{"message":"Missing Authentication Token"}'  # noqa: S105 - a message, no secret


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None for anything else."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or " " in value:
        return None
    return value


def unauthorized() -> dict[str, Any]:
    """The 401 API Gateway returns itself when the authorizer refuses: the handler never runs."""
    return {
        "statusCode": 401,
        "headers": {"Content-Type": "application/json", "WWW-Authenticate": 'Bearer realm="icpa-local"'},
        "body": UNAUTHORIZED_BODY,
        "isBase64Encoded": False,
    }


def missing_authentication_token() -> dict[str, Any]:
    """The 403 API Gateway returns itself for a method or resource the API does not define."""
    return {
        "statusCode": 403,
        "headers": {"Content-Type": "application/json", "x-amzn-ErrorType": "MissingAuthenticationTokenException"},
        "body": MISSING_AUTHENTICATION_TOKEN_BODY,
        "isBase64Encoded": False,
    }


def authorized_event(
    method: str,
    path: str,
    *,
    authorization: str | None,
    reviewer_for: Callable[[str | None], str | None],
    raw_body: str | None = None,
    headers: dict[str, str] | None = None,
    groups: str = "claims-reviewers",
) -> dict[str, Any] | None:
    """The proxy event for a request whose bearer token names a reviewer, else None (-> 401).
    The identity comes from the token only: request headers never set the authorizer context."""
    reviewer = reviewer_for(bearer_token(authorization))
    if reviewer is None:
        return None
    safe_headers = {k: v for k, v in (headers or {}).items() if k.lower() != "authorization"}
    return rest_event(method, path, reviewer=reviewer, groups=groups, headers=safe_headers, raw_body=raw_body)
