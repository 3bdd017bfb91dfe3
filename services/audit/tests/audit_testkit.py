"""Fakes for the audit service's ports and builders for AWS-shaped execution histories, audit
chains and status-change events, so tests read as claims moving through the workflow."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from icpa_audit.domain.archiving import ArchiveReceipt, parse_status_change
from icpa_audit.domain.models import CLAIMS_PREFIX, ArchiveDocument, decode_archive, encode_archive
from icpa_audit.domain.ports import ArchiverPorts, UnreadableArchiveError
from icpa_audit.domain.trail import Trail, load_trail
from icpa_audit.usecase import archive_execution
from icpa_shared.audit import AuditRecorder
from icpa_shared.contracts.audit import AuditEvent
from icpa_shared.testing.fakes import MemoryAuditStore

REGION = "us-east-1"
ACCOUNT = "123456789012"
STATE_MACHINE = "icpa-claims-workflow"
STATE_MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{STATE_MACHINE}"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/icpa-claims-workflow"
T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
ARCHIVED_AT = datetime(2026, 3, 2, 9, 30, 0, tzinfo=UTC)
CLAIM_ID = "CLM-2026-0001"

LAMBDA_FAMILY = "lambda"  # Resource: a function ARN -> LambdaFunction* events
CALLBACK_FAMILY = "task"  # lambda:invoke.waitForTaskToken -> Task* events


def execution_arn(name: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{STATE_MACHINE}:{name}"


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:icpa-{name}"


# --- fakes of the ports -------------------------------------------------------------------------


class FakeAuditStore(MemoryAuditStore):
    """The audit table in memory (AuditStore for recorders, AuditReader for the archiver), with
    the tampering an attacker with table access could do."""

    def alter(self, claim_id: str, sequence: int, /, **changes: Any) -> AuditEvent:
        chain = self.chains[claim_id]
        index = next(i for i, e in enumerate(chain) if e.sequence == sequence)
        chain[index] = chain[index].model_copy(update=changes)
        return chain[index]

    def remove(self, claim_id: str, sequence: int) -> None:
        self.chains[claim_id] = [e for e in self.chains[claim_id] if e.sequence != sequence]

    def swap(self, claim_id: str, first: int, second: int) -> None:
        """Swaps where two events are stored (their content keeps its own sequence)."""
        chain = self.chains[claim_id]
        i = next(i for i, e in enumerate(chain) if e.sequence == first)
        j = next(j for j, e in enumerate(chain) if e.sequence == second)
        chain[i], chain[j] = chain[j], chain[i]


class FakeArchive:
    """The archive bucket in memory (ArchiveWriter and ArchiveReader), storing the real bytes."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.puts: list[str] = []

    def put(self, key: str, document: ArchiveDocument) -> None:
        self.objects[key] = encode_archive(document)
        self.puts.append(key)

    def keys(self, claim_id: str) -> list[str]:
        prefix = f"{CLAIMS_PREFIX}{claim_id}/"
        return sorted(k for k in self.objects if k.startswith(prefix))

    def read(self, key: str) -> ArchiveDocument:
        if key not in self.objects:
            raise UnreadableArchiveError(key, "the archived object is gone")
        try:
            return decode_archive(self.objects[key])
        except ValueError as exc:
            raise UnreadableArchiveError(key, f"not a readable archive document ({type(exc).__name__})") from exc

    def document(self, key: str) -> ArchiveDocument:
        return decode_archive(self.objects[key])

    def rewrite(self, key: str, edit: Callable[[dict[str, Any]], None]) -> None:
        """Edits the stored JSON in place, the way someone with write access might."""
        raw = self.document(key).model_dump(mode="json")
        edit(raw)
        self.objects[key] = encode_archive(ArchiveDocument.model_validate(raw))


class FakeHistory:
    def __init__(self) -> None:
        self.by_arn: dict[str, list[dict[str, Any]]] = {}

    def events(self, execution_arn: str) -> list[dict[str, Any]]:
        return list(self.by_arn[execution_arn])


# --- an execution, as its history and its audit events ------------------------------------------


@dataclass
class Execution:
    """Drives one execution: each Task appends AWS-shaped history events (boto3 types:
    datetime timestamps, int ids) and, like the real Lambdas, its audit event."""

    name: str
    claim_id: str
    audit: FakeAuditStore
    start: datetime = T0
    source_key: str = "claims/upload-0001.json"
    events: list[dict[str, Any]] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    clock: datetime = T0

    def __post_init__(self) -> None:
        self.clock = self.start
        self.state = {
            "schema_version": "1.0",
            "source": {"bucket": "icpa-inbox", "key": self.source_key, "etag": "e1", "size": 812},
        }
        self._add(
            "ExecutionStarted",
            executionStartedEventDetails={
                "input": json.dumps(self.state),
                "inputDetails": {"truncated": False},
                "roleArn": ROLE_ARN,
            },
        )

    @property
    def arn(self) -> str:
        return execution_arn(self.name)

    def _tick(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    def _add(self, kind: str, **details: Any) -> None:
        event: dict[str, Any] = {
            "timestamp": self._tick(),
            "type": kind,
            "id": len(self.events) + 1,
            "previousEventId": len(self.events),
        }
        event.update(details)
        self.events.append(event)

    def _enter(self, kind: str, name: str) -> None:
        self._add(
            f"{kind}StateEntered",
            stateEnteredEventDetails={
                "name": name,
                "input": json.dumps(self.state),
                "inputDetails": {"truncated": False},
            },
        )

    def _exit(self, kind: str, name: str) -> None:
        self._add(
            f"{kind}StateExited",
            stateExitedEventDetails={
                "name": name,
                "output": json.dumps(self.state),
                "outputDetails": {"truncated": False},
            },
        )

    def task(
        self,
        state: str,
        result_path: str,
        result: dict[str, Any],
        *,
        audit: dict[str, Any] | list[dict[str, Any]] | None = None,
        family: str = LAMBDA_FAMILY,
    ) -> Execution:
        """A Task state whose Lambda succeeds; `audit` = the fields of the audit event(s) it
        records (service, version, step, decision, ...), or None when it records nothing."""
        self._enter("Task", state)
        if family == LAMBDA_FAMILY:
            self._add("LambdaFunctionScheduled", lambdaFunctionScheduledEventDetails={"resource": function_arn(state)})
            self._add("LambdaFunctionStarted")
        else:
            self._add("TaskScheduled", taskScheduledEventDetails={"resource": "invoke.waitForTaskToken"})
            self._add("TaskStarted", taskStartedEventDetails={"resource": "invoke.waitForTaskToken"})
        for fields in [audit] if isinstance(audit, dict) else audit or []:
            self.record(**dict(fields))
        if family == LAMBDA_FAMILY:
            self._add("LambdaFunctionSucceeded", lambdaFunctionSucceededEventDetails={"output": json.dumps(result)})
        else:
            self._add("TaskSucceeded", taskSucceededEventDetails={"output": json.dumps(result)})
        self.state[result_path] = result
        self._exit("Task", state)
        return self

    def failed_task(self, state: str, error: str, cause: str) -> Execution:
        self._enter("Task", state)
        self._add("LambdaFunctionScheduled", lambdaFunctionScheduledEventDetails={"resource": function_arn(state)})
        self._add("LambdaFunctionStarted")
        self._add("LambdaFunctionFailed", lambdaFunctionFailedEventDetails={"error": error, "cause": cause})
        self.state["error"] = {"Error": error, "Cause": cause}
        return self

    def passing(self, state: str, result_path: str | None = None, result: dict[str, Any] | None = None) -> Execution:
        self._enter("Pass", state)
        if result_path is not None:
            self.state[result_path] = result
        self._exit("Pass", state)
        return self

    def choice(self, state: str) -> Execution:
        self._enter("Choice", state)
        self._exit("Choice", state)
        return self

    def record(self, *, service: str, version: str, **fields: Any) -> AuditEvent:
        recorder = AuditRecorder(store=self.audit, service=service, service_version=version)
        return recorder.record(
            claim_id=self.claim_id,
            input_value=fields.pop("input_value", {"state": self.state.get("source")}),
            output_value=fields.pop("output_value", {"step": fields["step"]}),
            occurred_at=self.clock,
            execution_id=fields.pop("execution_id", self.arn),
            **fields,
        )

    def succeed(self) -> Execution:
        self._add(
            "ExecutionSucceeded",
            executionSucceededEventDetails={"output": json.dumps(self.state), "outputDetails": {"truncated": False}},
        )
        return self

    def fail(self, error: str, cause: str) -> Execution:
        self._add("ExecutionFailed", executionFailedEventDetails={"error": error, "cause": cause})
        return self

    @property
    def status(self) -> str:
        last = self.events[-1]["type"]
        return {"ExecutionSucceeded": "SUCCEEDED", "ExecutionFailed": "FAILED"}.get(last, "RUNNING")

    def status_change(self, *, include_output: bool = True) -> dict[str, Any]:
        """The EventBridge event AWS emits when this execution ends."""
        last = self.events[-1]
        output = None
        error = cause = None
        if last["type"] == "ExecutionSucceeded" and include_output:
            output = last["executionSucceededEventDetails"]["output"]
        if last["type"] == "ExecutionFailed":
            error = last["executionFailedEventDetails"]["error"]
            cause = last["executionFailedEventDetails"]["cause"]
        return status_change_event(
            arn=self.arn,
            name=self.name,
            status=self.status,
            start=self.start,
            stop=last["timestamp"],
            input_text=self.events[0]["executionStartedEventDetails"]["input"],
            output_text=output,
            error=error,
            cause=cause,
        )


def status_change_event(
    *,
    arn: str,
    name: str,
    status: str,
    start: datetime,
    stop: datetime | None,
    input_text: str | None,
    output_text: str | None,
    error: str | None = None,
    cause: str | None = None,
) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "315c1398-40ff-a850-213b-158f73e60175",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": ACCOUNT,
        "time": (stop or start).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [arn],
        "detail": {
            "executionArn": arn,
            "stateMachineArn": STATE_MACHINE_ARN,
            "name": name,
            "status": status,
            "startDate": int(start.timestamp() * 1000),
            "stopDate": None if stop is None else int(stop.timestamp() * 1000),
            "input": input_text,
            "inputDetails": {"included": True},
            "output": output_text,
            "outputDetails": {"included": output_text is not None},
            "error": error,
            "cause": cause,
        },
    }


# --- the workflow's paths -----------------------------------------------------------------------


def intake_result(claim_id: str) -> dict[str, Any]:
    return {"schema_version": "1.0", "claim_id": claim_id, "claim_uri": f"s3://icpa-documents/claims/{claim_id}.json"}


def through_routing(run: Execution, *, route: str, adjudication: str = "APPROVED") -> Execution:
    """Intake -> AssessFraud -> Adjudicate -> RouteClaim -> ChooseRoute, each with its audit event."""
    claim_id = run.claim_id
    run.task(
        "Intake",
        "intake",
        intake_result(claim_id),
        audit={"service": "intake", "version": "1.0.0", "step": "intake", "decision": "ACCEPTED"},
    )
    run.task(
        "AssessFraud",
        "fraud",
        {"claim_id": claim_id, "risk": "LOW"},
        audit={
            "service": "fraud",
            "version": "1.0.0",
            "step": "fraud",
            "decision": "SCORED_LOW",
            "reason_codes": ["NO_FRAUD_SIGNALS"],
            "model_id": "anthropic.claude-3-haiku-20240307-v1:0",
            "model_version": "2024-03-07",
        },
    )
    run.task(
        "Adjudicate",
        "adjudication",
        {"claim_id": claim_id, "outcome": adjudication},
        audit={
            "service": "adjudication",
            "version": "1.1.0",
            "step": "adjudication",
            "decision": adjudication,
            "reason_codes": ["COVERED_SERVICE"] if adjudication == "APPROVED" else ["EXCLUDED_SERVICE"],
        },
    )
    run.task(
        "RouteClaim",
        "routing",
        {"claim_id": claim_id, "route": route},
        audit={
            "service": "router",
            "version": "1.0.0",
            "step": "router",
            "decision": route,
            "reason_codes": ["LOW_RISK_WITHIN_LIMITS"] if route == "AUTO_APPROVE" else ["ROUTED_BY_POLICY"],
        },
    )
    return run.choice("ChooseRoute")


def record_decision(run: Execution, outcome: str, decided_by: str) -> Execution:
    record = {"schema_version": "1.0", "claim_id": run.claim_id, "outcome": outcome, "decided_by": decided_by}
    return run.task(
        "RecordDecision",
        "record",
        record,
        audit={"service": "router", "version": "1.0.0", "step": "decision", "decision": outcome},
    )


def auto_approved(
    audit: FakeAuditStore, name: str = "upload-0001-a1", claim_id: str = CLAIM_ID, **kw: Any
) -> Execution:
    run = through_routing(Execution(name=name, claim_id=claim_id, audit=audit, **kw), route="AUTO_APPROVE")
    run.passing("AutoApproved", "final", {"outcome": "APPROVED", "decided_by": "AUTO"})
    return record_decision(run, "APPROVED", "AUTO").succeed()


def human_denied(audit: FakeAuditStore, name: str = "upload-0002-b2", claim_id: str = CLAIM_ID, **kw: Any) -> Execution:
    run = through_routing(Execution(name=name, claim_id=claim_id, audit=audit, **kw), route="HUMAN_REVIEW")
    # The review service records the request, then the reviewer's decision, while the
    # callback task waits.
    run.task(
        "AwaitHumanReview",
        "review",
        {"claim_id": claim_id, "decision": "DENY", "reviewer_id": "rev.alice", "rationale": "Not covered."},
        audit=[
            {
                "service": "review-callback",
                "version": "1.0.0",
                "step": "review_requested",
                "decision": "PENDING_REVIEW",
            },
            {
                "service": "review-callback",
                "version": "1.0.0",
                "step": "review_decision",
                "decision": "DENY",
                "reviewer_id": "rev.alice",
                "rationale": "Procedure excluded by the member's plan;\nsee policy section 4.2.",
            },
        ],
        family=CALLBACK_FAMILY,
    )
    run.choice("ChooseReviewDecision")
    run.passing("HumanDenied", "final", {"outcome": "DENIED", "decided_by": "HUMAN"})
    return record_decision(run, "DENIED", "HUMAN").succeed()


def rejected_at_intake(audit: FakeAuditStore, name: str = "upload-0003-c3", claim_id: str = CLAIM_ID) -> Execution:
    run = Execution(name=name, claim_id=claim_id, audit=audit)
    run.failed_task("Intake", "InvalidClaimError", "missing diagnosis [MISSING_DIAGNOSIS]")
    run.task(
        "QuarantineClaim",
        "quarantine",
        {"claim_id": claim_id, "outcome": "REJECTED", "reason_codes": ["MISSING_DIAGNOSIS"]},
        audit={
            "service": "intake",
            "version": "1.0.0",
            "step": "quarantine",
            "decision": "REJECTED",
            "reason_codes": ["MISSING_DIAGNOSIS"],
        },
    )
    run.choice("ChooseQuarantineOutcome")
    run._enter("Succeed", "ClaimRejected")
    run._exit("Succeed", "ClaimRejected")
    return run.succeed()


def errored_in_adjudication(audit: FakeAuditStore, name: str = "upload-0004-d4", claim_id: str = CLAIM_ID) -> Execution:
    """Quarantined with outcome ERROR: the execution FAILS, so its output is null."""
    run = Execution(name=name, claim_id=claim_id, audit=audit)
    run.task(
        "Intake",
        "intake",
        intake_result(claim_id),
        audit={"service": "intake", "version": "1.0.0", "step": "intake", "decision": "ACCEPTED"},
    )
    run.failed_task("AssessFraud", "KeyError", "'risk'")
    run.task(
        "QuarantineClaim",
        "quarantine",
        {"claim_id": claim_id, "outcome": "ERROR", "reason_codes": ["UNEXPECTED_ERROR"]},
        audit={
            "service": "intake",
            "version": "1.0.0",
            "step": "quarantine",
            "decision": "ERROR",
            "reason_codes": ["UNEXPECTED_ERROR"],
        },
    )
    run.choice("ChooseQuarantineOutcome")
    run._enter("Fail", "ClaimErrored")
    return run.fail(
        "ClaimProcessingError", "The claim was quarantined after an unexpected error; see its claim record."
    )


# --- archiving and loading with the fakes -------------------------------------------------------


@dataclass
class World:
    audit: FakeAuditStore = field(default_factory=FakeAuditStore)
    archive: FakeArchive = field(default_factory=FakeArchive)
    history: FakeHistory = field(default_factory=FakeHistory)

    @property
    def ports(self) -> ArchiverPorts:
        return ArchiverPorts(history=self.history, audit=self.audit, archive=self.archive)

    def archive_run(self, run: Execution, *, now: datetime = ARCHIVED_AT, **event_kw: Any) -> ArchiveReceipt:
        self.history.by_arn[run.arn] = run.events
        change = parse_status_change(run.status_change(**event_kw))
        return archive_execution(change, self.ports, now=now, archiver_version="1.0.0")

    def trail(self, claim_id: str = CLAIM_ID) -> Trail:
        return load_trail(claim_id, self.audit, self.archive)
