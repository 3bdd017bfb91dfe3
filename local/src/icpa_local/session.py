"""One interface to the local cloud, embedded or served.

`CloudSession` is what the CLI, tests and benchmarks use. Two implementations:
- `icpa_local.cloud.LocalCloud`: the local cloud in this process, for its own duration;
- `icpa_local.remote.RemoteCloud`: a running `icpa serve`, over its AWS-compatible endpoint
  (boto3 `endpoint_url`) and its review API (HTTP, bearer token).

Everything that only needs AWS API calls (describe, history, waiting, results, claim status)
lives here once, written against `client(service)`; the two differ in how a client is built,
how an upload finds the execution it started, and how the review API is reached.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from icpa_local.resources import Names
from icpa_local.results import ClaimResult, claim_result, read_execution
from icpa_shared.adapters.items import string_attribute, to_attributes

__all__ = [
    "CLI_REVIEWER",
    "DECIDED_BY_ROUTE",
    "DEFAULT_RATIONALE",
    "TERMINAL",
    "ClaimResult",
    "ClaimStatus",
    "CloudSession",
    "Step",
    "parse_time",
]

TERMINAL: Final = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})
CLI_REVIEWER: Final = "cli"
DEFAULT_RATIONALE: Final = "Decided from the icpa command line."


@dataclass(frozen=True)
class ClaimStatus:
    """One line of `icpa status`: a claim's row in the claims table, read for people."""

    claim_id: str
    outcome: str
    route: str
    reasons: list[str]
    payable: str | None
    received_at: datetime | None
    updated_at: datetime | None
    execution_arn: str | None
    review_id: str | None = None
    source_uri: str | None = None  # the uploaded object the claim came from

    @property
    def source_file(self) -> str:
        """The uploaded file's name (the key's last part), what `icpa process` calls `file`."""
        return self.source_uri.rsplit("/", 1)[-1] if self.source_uri else "-"

    def age_seconds(self, now: datetime) -> float | None:
        since = self.received_at or self.updated_at
        return None if since is None else max(0.0, (now - since).total_seconds())

    def as_json(self, now: datetime) -> dict[str, Any]:
        return {
            "claim_id": self.claim_id,
            "outcome": self.outcome,
            "route": self.route,
            "reasons": self.reasons,
            "payable": self.payable,
            "execution_arn": self.execution_arn,
            "review_id": self.review_id,
            "file": self.source_file,
            "source_uri": self.source_uri,
            "received_at": _iso(self.received_at),
            "updated_at": _iso(self.updated_at),
            "age_seconds": self.age_seconds(now),
        }


@dataclass(frozen=True)
class Step:
    state: str
    entered_at: str
    exited_at: str | None = None


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def parse_time(value: Any) -> datetime | None:
    """A datetime or ISO-8601 string (a trailing Z allowed) as an aware datetime (UTC when naive)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


DECIDED_BY_ROUTE: Final = {"AUTO": "AUTO", "HUMAN": "HUMAN"}


class CloudSession(ABC):
    """The local cloud as the CLI sees it; use as a context manager."""

    names: Names

    # -- what each implementation provides ---------------------------------------------------

    @abstractmethod
    def client(self, service: str) -> Any: ...

    @abstractmethod
    def upload(self, body: bytes, key: str) -> str:
        """Put a claim file in the inbox; returns the execution the rule started for it."""

    @abstractmethod
    def review_api(
        self,
        method: str,
        path: str,
        *,
        reviewer: str | None,
        body: Any = None,
        groups: str = "claims-reviewers",
    ) -> tuple[int, Any]:
        """Call the reviewers' API as `reviewer`; returns (HTTP status, decoded JSON body)."""

    def close(self) -> None:  # noqa: B027 - optional hook: only the embedded cloud has work to do
        """Release what the session holds."""

    def __enter__(self) -> CloudSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- executions ----------------------------------------------------------------------------

    def describe(self, arn: str) -> dict[str, Any]:
        result: dict[str, Any] = self.client("stepfunctions").describe_execution(executionArn=arn)
        return result

    def history(self, arn: str) -> list[dict[str, Any]]:
        sfn = self.client("stepfunctions")
        events: list[dict[str, Any]] = []
        for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn, maxResults=1000):
            events.extend(page["events"])
        return events

    def executions(self, status: str | None = None) -> list[dict[str, Any]]:
        sfn = self.client("stepfunctions")
        kwargs: dict[str, Any] = {"stateMachineArn": self.names.state_machine_arn(), "maxResults": 1000}
        if status:
            kwargs["statusFilter"] = status
        out: list[dict[str, Any]] = []
        for page in sfn.get_paginator("list_executions").paginate(**kwargs):
            out.extend(page["executions"])
        return out

    def pending_review_for(self, arn: str) -> str | None:
        """The review id an execution waits on, if its review is pending."""
        return self._pending_reviews().get(arn)

    def _pending_reviews(self) -> dict[str, str]:
        """execution arn -> review id, for every PENDING review."""
        ddb = self.client("dynamodb")
        pages = ddb.get_paginator("query").paginate(
            TableName=self.names.reviews_table,
            IndexName="status-index",
            KeyConditionExpression="#s = :p",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=to_attributes({":p": "PENDING"}),
        )
        out: dict[str, str] = {}
        for page in pages:
            for item in page.get("Items", []):
                execution = string_attribute(item, "execution_id")
                review_id = string_attribute(item, "review_id")
                if execution and review_id:
                    out[execution] = review_id
        return out

    def wait(self, arn: str, *, timeout: float = 60.0, stop_at_review: bool = True) -> str:
        """Wait until the execution ends (or waits on a reviewer); returns its status."""
        deadline = time.monotonic() + timeout
        delay = 0.005
        while True:
            status = str(self.describe(arn)["status"])
            if status in TERMINAL:
                return status
            if stop_at_review and self._waiting_for_review(arn):
                return "WAITING_FOR_REVIEW"
            if time.monotonic() > deadline:
                raise TimeoutError(f"{arn} still {status} after {timeout}s")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.1)

    def _waiting_for_review(self, arn: str, pending: dict[str, str] | None = None) -> bool:
        # Parked = a PENDING review names the execution AND the review request has returned
        # (moto records TaskSubmitted once the waitForTaskToken invoke is back). The second
        # half matters after a restart: the review is still PENDING from before, but its token
        # is dead until the resumed execution reaches the wait again and re-arms it.
        # `pending`: the PENDING reviews already read for this poll (one query for many arns).
        if arn not in (self._pending_reviews() if pending is None else pending):
            return False
        return self.parked(arn)

    def parked(self, arn: str) -> bool:
        """The execution's last event says it waits on a task token."""
        events = self.history(arn)
        return bool(events) and events[-1]["type"] == "TaskSubmitted"

    def wait_settled(self, arns: list[str], *, timeout: float = 60.0) -> list[str]:
        """Wait until every execution has ended or is parked on a reviewer with a live token;
        returns the ones that have not settled by the deadline. One PENDING-reviews query per
        poll for all of them, not one per execution."""
        deadline = time.monotonic() + timeout
        pending = list(arns)
        while pending and time.monotonic() < deadline:
            running = [arn for arn in pending if str(self.describe(arn)["status"]) not in TERMINAL]
            reviews = self._pending_reviews() if running else {}
            pending = [arn for arn in running if not self._waiting_for_review(arn, reviews)]
            if pending:
                time.sleep(0.05)
        return pending

    # -- the reviewers' API ----------------------------------------------------------------

    def answer_review(self, review_id: str, decision: str, *, reviewer: str, rationale: str) -> tuple[int, Any]:
        return self.review_api(
            "POST",
            f"/reviews/{review_id}/decision",
            reviewer=reviewer,
            body={"decision": decision.upper(), "rationale": rationale},
        )

    def list_reviews(self, *, reviewer: str = CLI_REVIEWER, limit: int = 100) -> tuple[int, list[dict[str, Any]]]:
        """Every pending review through GET /reviews (all pages); (status, reviews)."""
        reviews: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            query = f"?limit={limit}" + (f"&next={cursor}" if cursor else "")
            code, page = self.review_api("GET", f"/reviews{query}", reviewer=reviewer)
            if code != 200 or not isinstance(page, dict):
                return code, [page] if isinstance(page, dict) else []
            reviews.extend(page.get("reviews", []))
            cursor = page.get("next")
            if not cursor:
                return 200, reviews

    # -- results ---------------------------------------------------------------------------

    def claim_record(self, claim_id: str) -> dict[str, Any] | None:
        item = (
            self.client("dynamodb")
            .get_item(TableName=self.names.claims_table, Key=to_attributes({"claim_id": claim_id}), ConsistentRead=True)
            .get("Item")
        )
        raw = string_attribute(item or {}, "record")
        if raw is None:
            return None
        record: dict[str, Any] = json.loads(raw)
        return record

    def result(self, arn: str, file: str = "") -> ClaimResult:
        """Read what the result needs (the review it waits on, the claims table's row only when
        the execution's own state has no outcome) and let results.claim_result decide."""
        execution = read_execution(arn, self.describe(arn), self.history(arn), datetime.now(UTC))
        review_id = self.pending_review_for(arn) if execution.may_wait_for_review else None
        claim_id = execution.claim_id
        stored = self.claim_record(claim_id) if claim_id and not execution.decided and not review_id else None
        return claim_result(execution, file=file, review_id=review_id, stored_record=stored)

    def process(
        self,
        body: bytes,
        key: str,
        *,
        review: str | None = None,
        reviewer: str = CLI_REVIEWER,
        rationale: str = DEFAULT_RATIONALE,
        timeout: float = 60.0,
    ) -> ClaimResult:
        """Upload one file and follow it to its outcome, answering a review when asked to."""
        arn = self.upload(body, key)
        return self.follow(
            arn,
            key.rsplit("/", 1)[-1],
            review=review,
            reviewer=reviewer,
            rationale=rationale,
            timeout=timeout,
        )

    def follow(
        self,
        arn: str,
        file: str = "",
        *,
        review: str | None = None,
        reviewer: str = CLI_REVIEWER,
        rationale: str = DEFAULT_RATIONALE,
        timeout: float = 60.0,
    ) -> ClaimResult:
        """Follow an uploaded file's execution to its outcome, answering a review when asked to."""
        status = self.wait(arn, timeout=timeout)
        if status == "WAITING_FOR_REVIEW" and review in ("approve", "deny"):
            review_id = self.pending_review_for(arn)
            if review_id is not None:
                code, answer = self.answer_review(review_id, review, reviewer=reviewer, rationale=rationale)
                if code != 200:
                    raise RuntimeError(f"review {review_id} was refused ({code}): {answer}")
                self.wait(arn, timeout=timeout, stop_at_review=False)
        return self.result(arn, file=file)

    # -- claim status ------------------------------------------------------------------------

    def claim_statuses(self) -> list[ClaimStatus]:
        """Every claim in the claims table with its outcome, route and times, oldest first."""
        ddb = self.client("dynamodb")
        pending = self._pending_reviews()
        out: list[ClaimStatus] = []
        for page in ddb.get_paginator("scan").paginate(TableName=self.names.claims_table, ConsistentRead=True):
            for item in page.get("Items", []):
                if "record" not in item:
                    continue
                out.append(self._status_of(json.loads(item["record"]["S"]), pending))
        far_past = datetime.min.replace(tzinfo=UTC)
        return sorted(out, key=lambda s: (s.received_at or s.updated_at or far_past, s.claim_id))

    def claim_status(self, claim_id: str) -> ClaimStatus | None:
        record = self.claim_record(claim_id)
        return None if record is None else self._status_of(record, self._pending_reviews())

    def _status_of(self, record: dict[str, Any], pending: dict[str, str]) -> ClaimStatus:
        outcome = str(record.get("outcome", "IN_PROGRESS"))
        execution = record.get("execution_id")
        review_id = pending.get(execution) if execution else None
        route = DECIDED_BY_ROUTE.get(str(record.get("decided_by")), "NONE")  # process --json's word
        if review_id is not None and outcome in ("IN_PROGRESS", "PENDING_REVIEW"):
            outcome, route = "PENDING_REVIEW", "HUMAN"
        return ClaimStatus(
            claim_id=str(record["claim_id"]),
            outcome=outcome,
            route=route,
            reasons=[str(r) for r in record.get("reason_codes", [])],
            payable=(record.get("payable") or {}).get("amount"),
            received_at=self._received_at(str(record["claim_id"])),
            updated_at=parse_time(record.get("updated_at")),
            execution_arn=execution,
            review_id=review_id,
            source_uri=record.get("source_uri"),
        )

    def _received_at(self, claim_id: str) -> datetime | None:
        """When the claim's audit chain began (intake), if it has one."""
        page = self.client("dynamodb").query(
            TableName=self.names.audit_table,
            KeyConditionExpression="claim_id = :c",
            ExpressionAttributeValues=to_attributes({":c": claim_id}),
            Limit=1,
            ConsistentRead=True,
        )
        items = page.get("Items", [])
        event = string_attribute(items[0], "event") if items else None
        if event is None:
            return None
        return parse_time(json.loads(event).get("occurred_at"))

    def steps(self, arn: str) -> list[Step]:
        """The states an execution entered, with when it entered and left each one."""
        steps: list[Step] = []
        for event in self.history(arn):
            kind = str(event["type"])
            stamp = event["timestamp"]
            when = stamp.isoformat() if isinstance(stamp, datetime) else str(stamp)
            if kind.endswith("StateEntered"):
                steps.append(Step(state=event["stateEnteredEventDetails"]["name"], entered_at=when))
            elif kind.endswith("StateExited") and steps:
                name = event["stateExitedEventDetails"]["name"]
                for index in range(len(steps) - 1, -1, -1):
                    if steps[index].state == name and steps[index].exited_at is None:
                        steps[index] = Step(steps[index].state, steps[index].entered_at, when)
                        break
        return steps
