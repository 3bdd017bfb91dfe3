"""What the reviewers' desk answers, free of HTTP: the API handler turns each outcome into a
status code and a body (handlers/api.py holds that table, and the error codes)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel

from icpa_review_callback.domain.identity import AuthError
from icpa_review_callback.domain.models import AuditTimeline, DecidedPage, FieldProblem, ReviewDetail, ReviewPage
from icpa_shared.contracts import ReviewDecision


@dataclass(frozen=True)
class NotAllowed:
    """The caller is not an authenticated reviewer (identity is checked before anything else)."""

    auth: AuthError


@dataclass(frozen=True)
class NotFound:
    """No review has this id (or the id is not a review id)."""


@dataclass(frozen=True)
class InvalidQuery:
    message: str


@dataclass(frozen=True)
class Listed:
    page: ReviewPage | DecidedPage


@dataclass(frozen=True)
class Opened:
    detail: ReviewDetail


@dataclass(frozen=True)
class Timeline:
    """The audit chain of the review's claim."""

    timeline: AuditTimeline


@dataclass(frozen=True)
class Malformed:
    """The request's envelope was refused before any desk rule (the API handler's check);
    `error` is its own code, kept so the audit names it."""

    error: str
    message: str


@dataclass(frozen=True)
class InvalidDecision:
    """The body is a JSON object but not a decision."""

    message: str
    problems: list[FieldProblem] = field(default_factory=list)


@dataclass(frozen=True)
class Accepted:
    decision: ReviewDecision
    # How long the claim waited for a human (the ReviewWaitTime metric).
    waited_seconds: float


@dataclass(frozen=True)
class AlreadyDecided:
    """Another decision got there first: a decision is single use."""


@dataclass(frozen=True)
class Expired:
    """The workflow stopped waiting (the review timed out); the claim went to supervisors."""


@dataclass(frozen=True)
class Unavailable:
    """A dependency failed transiently or the review changed while deciding: retry."""

    message: str


@dataclass(frozen=True)
class Failed:
    """An unexpected error: audited, then raised."""


ListOutcome = NotAllowed | InvalidQuery | Listed
OpenOutcome = NotAllowed | NotFound | Opened
TimelineOutcome = NotAllowed | NotFound | Timeline
DecisionOutcome = (
    NotAllowed | Malformed | NotFound | InvalidDecision | Accepted | AlreadyDecided | Expired | Unavailable | Failed
)


@dataclass(frozen=True)
class Answer:
    """How a refused attempt was answered, as its audit event records it: reason codes and body."""

    reason_codes: list[str]
    body: BaseModel
