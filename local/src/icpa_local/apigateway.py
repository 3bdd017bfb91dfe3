"""API Gateway REST proxy events, shaped as a Cognito user-pool authorizer fills them, for
calling the real review API handler locally (the CLI, tests, and `icpa serve`)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit


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
    parts = urlsplit(path)
    segments = [s for s in parts.path.split("/") if s]
    path_parameters = {"review_id": segments[1]} if len(segments) >= 2 and segments[0] == "reviews" else None
    resource = parts.path
    if path_parameters:
        resource = "/reviews/{review_id}" + ("/decision" if len(segments) == 3 else "")
    authorizer: dict[str, Any] = {}
    if reviewer is not None:
        authorizer = {"claims": {"sub": reviewer, "cognito:username": reviewer, "cognito:groups": groups}}
    if raw_body is None and body is not None:
        raw_body = json.dumps(body)
    return {
        "resource": resource,
        "path": parts.path,
        "httpMethod": method.upper(),
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "multiValueHeaders": {},
        "queryStringParameters": dict(parse_qsl(parts.query)) or None,
        "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method.upper(),
            "path": f"/local{parts.path}",
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
