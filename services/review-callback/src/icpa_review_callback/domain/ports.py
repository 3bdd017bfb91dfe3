"""The review desk's ports: small Protocols the adapters (and the tests' fakes) implement."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, SecretStr

from icpa_review_callback.domain.models import ReviewRecord, ReviewSnapshot
from icpa_shared.audit import AuditRecorder
from icpa_shared.contracts import Claim, ReviewDecision, ReviewStatus


class ReviewStore(Protocol):
    """The reviews table. Every state change is a conditional write on `status`, so two
    writers never both win: methods return None/False when the condition did not hold."""

    def get(self, review_id: str) -> ReviewRecord | None: ...

    def create(self, record: ReviewRecord) -> bool:
        """Put the record only if no review with its id exists."""
        ...

    def reopen(
        self,
        review_id: str,
        *,
        task_token: SecretStr,
        snapshot: ReviewSnapshot,
        due_by: datetime,
        now: datetime,
    ) -> ReviewRecord | None:
        """PENDING or TIMED_OUT -> PENDING with a new token (a retried or redriven wait)."""
        ...

    def mark_decided(self, decision: ReviewDecision, now: datetime) -> ReviewRecord | None:
        """PENDING -> DECIDED (single use); returns the record as written, token included."""
        ...

    def revert_decision(self, review_id: str, *, decided_at: datetime, now: datetime) -> bool:
        """DECIDED (by the decision made at `decided_at`) -> PENDING, decision removed."""
        ...

    def mark_timed_out(
        self,
        review_id: str,
        *,
        now: datetime,
        from_statuses: Collection[ReviewStatus],
        decided_at: datetime | None = None,
    ) -> ReviewRecord | None:
        """One of `from_statuses` (and, if given, the decision made at `decided_at`) ->
        TIMED_OUT, token removed."""
        ...

    def mark_escalation_notified(self, review_id: str, now: datetime) -> bool:
        """Remember that supervisors have the escalation notice (set once)."""
        ...

    def list_pending(self, *, limit: int, cursor: str | None) -> tuple[list[ReviewRecord], str | None]:
        """PENDING reviews, oldest first, read through the status index (never a scan).
        Listed records carry no task token."""
        ...

    def list_decided(self, *, limit: int, cursor: str | None) -> tuple[list[ReviewRecord], str | None]:
        """DECIDED reviews with their decisions, most recently requested first, through the
        status index. Listed records carry no task token."""
        ...


class TaskApi(Protocol):
    """Step Functions' callback API for waitForTaskToken tasks. Raises TaskTokenGoneError when
    the execution no longer waits on the token, TransientDependencyError when a retry may help."""

    def send_success(self, task_token: SecretStr, output: str) -> None: ...

    def send_heartbeat(self, task_token: SecretStr) -> None: ...


class TopicPublisher(Protocol):
    def publish(self, message: BaseModel, *, event_type: str) -> None: ...


class ClaimDocuments(Protocol):
    def get(self, uri: str) -> Claim: ...


@dataclass(frozen=True)
class ReviewPorts:
    store: ReviewStore
    tasks: TaskApi
    reviewer_topic: TopicPublisher
    supervisor_topic: TopicPublisher
    claims: ClaimDocuments
    audit: AuditRecorder
