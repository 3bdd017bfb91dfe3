"""In-memory fakes of the review desk's ports, with the same conditional semantics as the
real adapters (a lost condition answers None/False), plus switches to inject failures."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, SecretStr
from review_callback_builders import REVIEW_TIMEOUT, FixedClock

from icpa_review_callback import SERVICE, __version__
from icpa_review_callback.domain.errors import InvalidCursorError, TaskClosedError
from icpa_review_callback.domain.identity import ReviewerAccess
from icpa_review_callback.domain.models import ReviewRecord, ReviewSnapshot
from icpa_review_callback.domain.ports import ReviewPorts
from icpa_review_callback.wiring import ReviewDeps
from icpa_shared.audit import AuditRecorder
from icpa_shared.contracts import AuditEvent, Claim, ReviewDecision, ReviewStatus
from icpa_shared.errors import ClaimNotFoundError, TransientDependencyError
from icpa_shared.testing.fakes import MemoryAuditStore


class InMemoryReviewStore:
    def __init__(self) -> None:
        self.records: dict[str, ReviewRecord] = {}
        # method name -> exception raised by its next call (then cleared)
        self.fail_next: dict[str, Exception] = {}
        self.calls: list[str] = []

    def _enter(self, method: str) -> None:
        self.calls.append(method)
        exc = self.fail_next.pop(method, None)
        if exc is not None:
            raise exc

    def _update(self, review_id: str, **changes: object) -> ReviewRecord:
        updated = self.records[review_id].model_copy(update=changes)
        self.records[review_id] = ReviewRecord.model_validate(updated.model_dump())
        return self.records[review_id]

    def get(self, review_id: str) -> ReviewRecord | None:
        self._enter("get")
        return self.records.get(review_id)

    def create(self, record: ReviewRecord) -> bool:
        self._enter("create")
        if record.review_id in self.records:
            return False
        self.records[record.review_id] = record
        return True

    def reopen(
        self, review_id: str, *, task_token: SecretStr, snapshot: ReviewSnapshot, due_by: datetime, now: datetime
    ) -> ReviewRecord | None:
        self._enter("reopen")
        current = self.records.get(review_id)
        if current is None or current.status not in (ReviewStatus.PENDING, ReviewStatus.TIMED_OUT):
            return None
        return self._update(
            review_id,
            status=ReviewStatus.PENDING,
            task_token=task_token,
            snapshot=snapshot,
            due_by=due_by,
            updated_at=now,
            timed_out_at=None,
            escalation_notified_at=None,
            decision=None,
        )

    def mark_decided(self, decision: ReviewDecision, now: datetime) -> ReviewRecord | None:
        self._enter("mark_decided")
        current = self.records.get(decision.review_id)
        if current is None or current.status is not ReviewStatus.PENDING:
            return None
        return self._update(decision.review_id, status=ReviewStatus.DECIDED, decision=decision, updated_at=now)

    def revert_decision(self, review_id: str, *, decided_at: datetime, now: datetime) -> bool:
        self._enter("revert_decision")
        current = self.records.get(review_id)
        if (
            current is None
            or current.status is not ReviewStatus.DECIDED
            or current.decision is None
            or current.decision.decided_at != decided_at
        ):
            return False
        self._update(review_id, status=ReviewStatus.PENDING, decision=None, updated_at=now)
        return True

    def mark_timed_out(
        self,
        review_id: str,
        *,
        now: datetime,
        from_statuses: Collection[ReviewStatus],
        decided_at: datetime | None = None,
    ) -> ReviewRecord | None:
        self._enter("mark_timed_out")
        current = self.records.get(review_id)
        if current is None or current.status not in from_statuses:
            return None
        if decided_at is not None and (current.decision is None or current.decision.decided_at != decided_at):
            return None
        return self._update(review_id, status=ReviewStatus.TIMED_OUT, timed_out_at=now, updated_at=now, task_token=None)

    def mark_escalation_notified(self, review_id: str, now: datetime) -> bool:
        self._enter("mark_escalation_notified")
        current = self.records.get(review_id)
        if current is None or current.escalation_notified_at is not None:
            return False
        self._update(review_id, escalation_notified_at=now, updated_at=now)
        return True

    def list_pending(self, *, limit: int, cursor: str | None) -> tuple[list[ReviewRecord], str | None]:
        self._enter("list_pending")
        return self._page(ReviewStatus.PENDING, limit, cursor, oldest_first=True)

    def list_decided(self, *, limit: int, cursor: str | None) -> tuple[list[ReviewRecord], str | None]:
        self._enter("list_decided")
        return self._page(ReviewStatus.DECIDED, limit, cursor, oldest_first=False)

    def _page(
        self, status: ReviewStatus, limit: int, cursor: str | None, *, oldest_first: bool
    ) -> tuple[list[ReviewRecord], str | None]:
        listed = sorted(
            (r for r in self.records.values() if r.status is status),
            key=lambda r: (r.created_at, r.review_id),
            reverse=not oldest_first,
        )
        start = 0
        if cursor is not None:
            ids = [r.review_id for r in listed]
            if cursor not in ids:
                raise InvalidCursorError("unknown cursor")
            start = ids.index(cursor) + 1
        page = listed[start : start + limit]
        more = start + limit < len(listed)
        return [r.model_copy(update={"task_token": None}) for r in page], (page[-1].review_id if more else None)


@dataclass
class FakeTaskApi:
    """Step Functions' side of the callback: which tokens it still waits on, what it received."""

    waiting: set[str] = field(default_factory=set)
    successes: list[tuple[str, str]] = field(default_factory=list)
    heartbeats: list[str] = field(default_factory=list)
    transient_failures: int = 0
    error: Exception | None = None

    def _check(self, token: SecretStr, operation: str) -> str:
        if self.error is not None:
            raise self.error
        if self.transient_failures > 0:
            self.transient_failures -= 1
            raise TransientDependencyError(f"stepfunctions.{operation}: ThrottlingException")
        value = token.get_secret_value()
        if value not in self.waiting:
            raise TaskClosedError(f"stepfunctions.{operation}: TaskTimedOut")
        return value

    def send_success(self, task_token: SecretStr, output: str) -> None:
        value = self._check(task_token, "send_task_success")
        self.waiting.discard(value)
        self.successes.append((value, output))

    def send_heartbeat(self, task_token: SecretStr) -> None:
        self.heartbeats.append(self._check(task_token, "send_task_heartbeat"))


@dataclass
class RecordingTopic:
    messages: list[tuple[str, str]] = field(default_factory=list)
    fail_next: Exception | None = None

    def publish(self, message: BaseModel, *, event_type: str) -> None:
        if self.fail_next is not None:
            exc, self.fail_next = self.fail_next, None
            raise exc
        self.messages.append((event_type, message.model_dump_json()))


@dataclass
class FakeClaims:
    documents: dict[str, Claim] = field(default_factory=dict)

    def get(self, uri: str) -> Claim:
        if uri not in self.documents:
            raise ClaimNotFoundError(f"no claim document at {uri}")
        return self.documents[uri]


@dataclass
class Desk:
    """All fakes together, and the deps a handler's `handle` takes."""

    store: InMemoryReviewStore = field(default_factory=InMemoryReviewStore)
    tasks: FakeTaskApi = field(default_factory=FakeTaskApi)
    reviewer_topic: RecordingTopic = field(default_factory=RecordingTopic)
    supervisor_topic: RecordingTopic = field(default_factory=RecordingTopic)
    claims: FakeClaims = field(default_factory=FakeClaims)
    audit_store: MemoryAuditStore = field(default_factory=MemoryAuditStore)
    clock: FixedClock = field(default_factory=FixedClock)
    access: ReviewerAccess = field(
        default_factory=lambda: ReviewerAccess(
            group="claims-reviewers", role_arn_prefix="arn:aws:sts::123456789012:assumed-role/claims-reviewer/"
        )
    )

    @property
    def ports(self) -> ReviewPorts:
        return ReviewPorts(
            store=self.store,
            tasks=self.tasks,
            reviewer_topic=self.reviewer_topic,
            supervisor_topic=self.supervisor_topic,
            claims=self.claims,
            audit=AuditRecorder(self.audit_store, SERVICE, __version__),
        )

    @property
    def deps(self) -> ReviewDeps:
        return ReviewDeps(ports=self.ports, access=self.access, review_timeout=REVIEW_TIMEOUT, clock=self.clock)

    def audit(self, claim_id: str) -> list[AuditEvent]:
        return self.audit_store.events(claim_id)
