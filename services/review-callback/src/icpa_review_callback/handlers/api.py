"""The reviewers' REST API (API Gateway REST proxy integration), routed by Powertools.

    GET  /reviews                         pending reviews, oldest first (?limit=, ?next=)
    GET  /reviews/{review_id}             one review; opening a PENDING one sends a heartbeat
    POST /reviews/{review_id}/decision    {"decision": "APPROVE"|"DENY", "rationale": "..."}

Identity comes from the authorizer's request context (domain/identity.py), never the body.
Routes only translate: the rules and status codes live in usecases/api.py, the body's envelope
(415 unless application/json; 400 too large, too deep, not one JSON object) in
handlers/api_body.py.

A route runs only on the path API Gateway matched: `path` must be `resource` with its path
parameters filled in. Anything else (`//reviews/x/decision`, `/reviews/x/decision/`) is the
handler's 404, so the router never decides on a path API Gateway would not have routed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from icpa_review_callback import SERVICE, __version__
from icpa_review_callback.domain.models import ApiError
from icpa_review_callback.settings import get_settings
from icpa_review_callback.usecases.api import (
    ApiResult,
    list_pending_reviews,
    open_review,
    refusal,
    submit_decision,
)
from icpa_review_callback.wiring import ReviewDeps, default_deps
from icpa_shared.errors import TransientDependencyError
from icpa_shared.observability.logging import bind_invocation, clear_invocation, configure_logging, get_logger
from icpa_shared.observability.tracing import add_metric, metrics_flushed, traced

configure_logging(service=SERVICE, version=__version__, level=get_settings().log_level)

# Reviews carry claim details: never cached by browsers or proxies.
_HEADERS: Final = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}

app = APIGatewayRestResolver()


def _matched_path_only(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[str]:
    if not is_matched_path(app.current_event.raw_event):
        return _no_such_route()
    return next_middleware(app)


app.use(middlewares=[_matched_path_only])


def is_matched_path(event: Mapping[str, Any]) -> bool:
    """Whether `path` is exactly the `resource` API Gateway matched, its {parameters} filled in
    from `pathParameters`: no empty, extra or missing segment."""
    path, resource = event.get("path"), event.get("resource")
    parameters = event.get("pathParameters") or {}
    if not isinstance(path, str) or not isinstance(resource, str) or not isinstance(parameters, Mapping):
        return False
    expected: list[str] = []
    for segment in resource.split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            value = parameters.get(segment[1:-1])
            if not isinstance(value, str) or not value or "/" in value:
                return False
            segment = value
        expected.append(segment)
    return path == "/".join(expected)


@app.get("/reviews")
def _list_reviews() -> Response[str]:
    deps = _deps()
    return _respond(
        list_pending_reviews(
            request_context=_request_context(),
            query=app.current_event.query_string_parameters or {},
            ports=deps.ports,
            access=deps.access,
        )
    )


@app.get("/reviews/<review_id>")
def _open_review(review_id: str) -> Response[str]:
    deps = _deps()
    return _respond(
        open_review(
            review_id, request_context=_request_context(), ports=deps.ports, access=deps.access, now=deps.clock()
        )
    )


@app.post("/reviews/<review_id>/decision")
def _decide(review_id: str) -> Response[str]:
    deps = _deps()
    event = app.current_event
    result = submit_decision(
        review_id,
        request_context=_request_context(),
        body=event.body,
        is_base64=bool(event.is_base64_encoded),
        content_type=event.headers.get("Content-Type"),
        ports=deps.ports,
        access=deps.access,
        now=deps.clock(),
    )
    add_metric(SERVICE, "ReviewDecisionAccepted" if result.status == 200 else "ReviewDecisionRefused")
    if result.review_wait_seconds is not None:
        add_metric(SERVICE, "ReviewWaitTime", result.review_wait_seconds, unit="Seconds")
    return _respond(result)


@app.exception_handler(TransientDependencyError)
def _unavailable(exc: TransientDependencyError) -> Response[str]:
    get_logger().warning("api.dependency_unavailable", error=type(exc).__name__, reasons=list(exc.reasons))
    return _respond(refusal(503, "a dependency is unavailable; retry"))


@app.not_found
def _no_route(exc: NotFoundError) -> Response[str]:
    return _no_such_route()


def _no_such_route() -> Response[str]:
    return _respond(ApiResult(404, ApiError(status=404, error="NO_SUCH_ROUTE", message="no such route")))


@app.exception_handler(Exception)
def _unexpected(exc: Exception) -> Response[str]:
    # The type only: an exception's text may quote a request or a dependency's answer.
    get_logger().error("api.unexpected_error", error=type(exc).__name__)
    return _respond(ApiResult(500, ApiError(status=500, error="INTERNAL_ERROR", message="internal error")))


def _deps() -> ReviewDeps:
    deps: ReviewDeps = app.context["deps"]
    return deps


def _request_context() -> Mapping[str, Any] | None:
    context = app.current_event.raw_event.get("requestContext")
    return context if isinstance(context, Mapping) else None


def _respond(result: ApiResult) -> Response[str]:
    return Response(
        status_code=result.status,
        content_type=content_types.APPLICATION_JSON,
        body=result.body.model_dump_json(),
        headers={**_HEADERS, **result.headers},
    )


@traced(SERVICE)
def handle(event: dict[str, Any], context: Any, deps: ReviewDeps | None = None) -> dict[str, Any]:
    deps = deps or default_deps()
    bind_invocation(context)
    app.append_context(deps=deps)  # resolve() clears the context when it is done
    try:
        with metrics_flushed(SERVICE):
            response = app.resolve(event, context)
            add_metric(SERVICE, "ReviewApiRequests")
            if int(response.get("statusCode", 500)) >= 500:
                add_metric(SERVICE, "ReviewApiServerErrors")
        get_logger().info(
            "api.request",
            method=event.get("httpMethod"),
            resource=event.get("resource"),
            status=response.get("statusCode"),
        )
        return response
    finally:
        clear_invocation()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, context)
