"""The reviewers' REST API (API Gateway REST proxy integration), routed by Powertools.

    GET  /reviews                         pending reviews, oldest first (?limit=, ?next=);
                                          ?status=DECIDED: decided ones, newest first, with
                                          who decided and why
    GET  /reviews/{review_id}             one review; opening a PENDING one sends a heartbeat
    GET  /reviews/{review_id}/audit       the audit timeline of the review's claim
    POST /reviews/{review_id}/decision    {"decision": "APPROVE"|"DENY", "rationale": "..."}

Identity comes from the authorizer's request context (domain/identity.py), never the body.
The HTTP work is here: the query and the body's envelope (api_body.py: 415 unless
application/json; 400 too large, too deep, not one JSON object) are read before the desk
(usecases/api.py) runs, and the desk's outcomes become status codes, error codes and bodies.

A route runs only on the path API Gateway matched: `path` must be `resource` with its path
parameters filled in. Anything else (`//reviews/x/decision`, `/reviews/x/decision/`) is the
handler's 404, so the router never decides on a path API Gateway would not have routed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from pydantic import BaseModel

from icpa_review_callback import SERVICE, __version__
from icpa_review_callback.domain.models import ApiError, DecisionAccepted, FieldProblem
from icpa_review_callback.domain.outcomes import (
    Accepted,
    AlreadyDecided,
    Answer,
    DecisionOutcome,
    Expired,
    Failed,
    InvalidDecision,
    InvalidQuery,
    Listed,
    ListOutcome,
    Malformed,
    NotAllowed,
    NotFound,
    Opened,
    OpenOutcome,
    Timeline,
    TimelineOutcome,
    Unavailable,
)
from icpa_review_callback.handlers.api_body import read_json_object
from icpa_review_callback.settings import get_settings
from icpa_review_callback.usecases.api import list_reviews, open_review, review_timeline, submit_decision
from icpa_review_callback.wiring import ReviewDeps, default_deps
from icpa_shared.contracts import ReviewStatus
from icpa_shared.contracts.reasons import REVIEW_TIMED_OUT
from icpa_shared.errors import TransientDependencyError
from icpa_shared.observability.logging import bind_invocation, clear_invocation, configure_logging, get_logger
from icpa_shared.observability.tracing import add_metric, metrics_flushed, traced

DEFAULT_PAGE_SIZE: Final = 25
MAX_PAGE_SIZE: Final = 100
RETRY_AFTER_SECONDS: Final = "5"

# Machine-readable error per status: the API's `error` field and the audit reason code.
ERROR_CODES: Final[dict[int, str]] = {
    400: "MALFORMED_BODY",
    401: "UNAUTHENTICATED",
    403: "NOT_A_REVIEWER",
    404: "REVIEW_NOT_FOUND",
    409: "REVIEW_ALREADY_DECIDED",
    410: REVIEW_TIMED_OUT,
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "INVALID_DECISION",
    500: "INTERNAL_ERROR",
    503: "DEPENDENCY_UNAVAILABLE",
}


@dataclass(frozen=True)
class ApiResult:
    status: int
    body: BaseModel
    headers: Mapping[str, str] = field(default_factory=dict)


def refusal(
    status: int, message: str, details: list[FieldProblem] | None = None, *, error: str | None = None
) -> ApiResult:
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if status == 503 else {}
    body = ApiError(status=status, error=error or ERROR_CODES[status], message=message, details=details or [])
    return ApiResult(status, body, headers)


def result_of(outcome: ListOutcome | OpenOutcome | TimelineOutcome | DecisionOutcome) -> ApiResult:
    """The desk's outcome as an HTTP status and body."""
    match outcome:
        case Listed(page):
            return ApiResult(200, page)
        case Opened(detail):
            return ApiResult(200, detail)
        case Timeline(timeline):
            return ApiResult(200, timeline)
        case Accepted(decision):
            accepted = DecisionAccepted(
                review_id=decision.review_id, claim_id=decision.claim_id, status=ReviewStatus.DECIDED, decision=decision
            )
            return ApiResult(200, accepted)
        case NotAllowed(auth):
            return refusal(auth.status, auth.reason)
        case InvalidQuery(message):
            return refusal(400, message, error="INVALID_QUERY")
        case Malformed(error, message):
            return refusal(415 if error == ERROR_CODES[415] else 400, message, error=error)
        case NotFound():
            return refusal(404, "no such review")
        case InvalidDecision(message, problems):
            return refusal(422, message, problems)
        case AlreadyDecided():
            return refusal(409, "the review has already been decided")
        case Expired():
            return refusal(410, "the review timed out; the claim went to supervisors")
        case Unavailable(message):
            return refusal(503, message)
        case Failed():
            return refusal(500, "internal error")
    raise AssertionError(f"no HTTP answer for {outcome!r}")


def audited_answer(outcome: DecisionOutcome) -> Answer:
    """A refused attempt's audit reason codes: the HTTP status and the refusal's own code
    (BODY_TOO_DEEP, not just the status's MALFORMED_BODY)."""
    result = result_of(outcome)
    error = result.body.error if isinstance(result.body, ApiError) else ERROR_CODES.get(result.status, "REFUSED")
    return Answer(reason_codes=[f"HTTP_{result.status}", error], body=result.body)


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
    query = app.current_event.query_string_parameters or {}
    return _respond(
        result_of(
            list_reviews(
                request_context=_request_context(),
                status=_listed_status(query),
                limit=_page_size(query),
                cursor=query.get("next") or None,
                ports=deps.ports,
                access=deps.access,
            )
        )
    )


def _page_size(query: Mapping[str, str]) -> int | InvalidQuery:
    limit_text = query.get("limit", str(DEFAULT_PAGE_SIZE))
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_PAGE_SIZE:
        return InvalidQuery(f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}")
    return int(limit_text)


LISTABLE_STATUSES: Final = (ReviewStatus.PENDING, ReviewStatus.DECIDED)


def _listed_status(query: Mapping[str, str]) -> ReviewStatus | InvalidQuery:
    text = query.get("status", ReviewStatus.PENDING.value)
    for status in LISTABLE_STATUSES:
        if text == status.value:
            return status
    return InvalidQuery(f"status must be one of {', '.join(s.value for s in LISTABLE_STATUSES)}")


@app.get("/reviews/<review_id>")
def _open_review(review_id: str) -> Response[str]:
    deps = _deps()
    outcome = open_review(
        review_id, request_context=_request_context(), ports=deps.ports, access=deps.access, now=deps.clock()
    )
    return _respond(result_of(outcome))


@app.get("/reviews/<review_id>/audit")
def _review_audit(review_id: str) -> Response[str]:
    deps = _deps()
    outcome = review_timeline(review_id, request_context=_request_context(), ports=deps.ports, access=deps.access)
    return _respond(result_of(outcome))


@app.post("/reviews/<review_id>/decision")
def _decide(review_id: str) -> Response[str]:
    deps = _deps()
    event = app.current_event
    data = read_json_object(
        event.body, is_base64=bool(event.is_base64_encoded), content_type=event.headers.get("Content-Type")
    )
    outcome = submit_decision(
        review_id,
        request_context=_request_context(),
        body=data if isinstance(data, dict) else Malformed(data.error, data.message),
        raw_body=event.body,
        ports=deps.ports,
        access=deps.access,
        now=deps.clock(),
        answer=audited_answer,
    )
    add_metric(SERVICE, "ReviewDecisionAccepted" if isinstance(outcome, Accepted) else "ReviewDecisionRefused")
    if isinstance(outcome, Accepted):
        add_metric(SERVICE, "ReviewWaitTime", outcome.waited_seconds, unit="Seconds")
    return _respond(result_of(outcome))


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
