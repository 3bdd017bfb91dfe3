"""API Gateway REST proxy events, shaped as a Cognito user-pool authorizer fills them, for
calling the real review API handler locally (the CLI, tests, and `icpa serve`)."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlsplit, parse_qsl


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
