"""In-memory fakes of Intake's ports, fixture files and AWS set-up shared by the tests."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from icpa_intake.domain import reasons as intake_reasons
from icpa_intake.domain.ports import (
    ClaimRegistration,
    DecisionOwner,
    DuplicateClaimIdError,
    DuplicateInterchangeError,
    OriginalCopy,
    Registered,
    SourceBlob,
)
from icpa_intake.domain.validation import Limits
from icpa_intake.domain.x12.parts import original_key, part_key
from icpa_intake.usecases.intake import IntakeDeps
from icpa_intake.usecases.quarantine import QuarantineDeps
from icpa_intake.usecases.split import SplitDeps
from icpa_shared.codesets.files import bundled_code_sets
from icpa_shared.contracts import AuditEvent, Claim, ClaimRecord, Policy, SourceObject, StepInput, WorkflowState
from icpa_shared.errors import ClaimNotFoundError
from icpa_shared.testing.aws import create_audit_table, create_claims_table, create_policies_table
from icpa_shared.testing.builders import a_policy
from icpa_shared.testing.fakes import MemoryAuditStore

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
TODAY = date(2026, 3, 10)
EXECUTION_ID = "arn:aws:states:us-east-1:123456789012:execution:icpa-claims:test-1"
INBOX = "icpa-inbox"
CODES = bundled_code_sets()  # the code sets intake ships (ICD-10-CM releases by date of service)

# PHI that appears in the fixture files: none of it may reach a log line or an error message.
FIXTURE_PHI = ("Orrin", "Vantablack", "1971-11-23", "88 Quarry Road", "Hester", "Quill", "1984-07-19")


@dataclass(frozen=True)
class FakeLambdaContext:
    function_name: str = "icpa-intake"
    aws_request_id: str = "req-1"
    remaining_millis: int = 30_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


LAMBDA_CONTEXT = FakeLambdaContext()


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(fixture_bytes(name))
    return result


def policies() -> dict[str, Policy]:
    """The policies the fixture claims name (shaped like local/.../policies.json)."""
    return {
        "POL-GOLD001": a_policy(policy_id="POL-GOLD001", subscriber_id="SUB000001", members=["MBR000001", "MBR000002"]),
        "POL-SILVER002": a_policy(policy_id="POL-SILVER002", subscriber_id="SUB000003", members=["MBR000003"]),
    }


def step_for(key: str, *, etag: str = "etag-1", version_id: str | None = None, **state: Any) -> StepInput:
    source = SourceObject(bucket=INBOX, key=key, etag=etag, version_id=version_id, size=100)
    return StepInput(state=WorkflowState(source=source, **state), execution_id=EXECUTION_ID)


class FakeSourceObjects:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    def add(self, key: str, data: bytes, bucket: str = INBOX) -> None:
        self.objects[(bucket, key)] = data

    def read(self, source: SourceObject, *, max_bytes: int) -> SourceBlob:
        data = self.objects.get((source.bucket, source.key))
        if data is None:
            raise ClaimNotFoundError("the uploaded object is gone", reasons=[intake_reasons.SOURCE_NOT_FOUND])
        return SourceBlob(data=data[: max_bytes + 1], size=len(data))


@dataclass
class FakePolicies:
    by_id: dict[str, Policy] = field(default_factory=policies)
    lookups: list[str] = field(default_factory=list)

    def get(self, policy_id: str) -> Policy | None:
        self.lookups.append(policy_id)
        return self.by_id.get(policy_id)


class FakeDocuments:
    def __init__(self, bucket: str = "icpa-documents") -> None:
        self.bucket = bucket
        self.stored: dict[str, Claim] = {}
        self.puts = 0

    def uri_for(self, claim_id: str) -> str:
        return f"s3://{self.bucket}/claims/{claim_id}.json"

    def put(self, claim: Claim) -> str:
        uri = self.uri_for(claim.claim_id)
        self.stored[uri] = claim
        self.puts += 1
        return uri


class FakeClaimsTable:
    """Same rules as DynamoClaimsTable, in a dict keyed by claim id."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.writes = 0

    def register(self, registration: ClaimRegistration) -> Registered:
        claim_id = registration.index.claim_id
        held = self.items.get(claim_id)
        if held is not None and held.get("outcome") not in ("REJECTED", "ERROR"):
            if held["source_id"] == registration.source_id:
                return Registered.ALREADY
            raise DuplicateClaimIdError(claim_id)
        self.writes += 1
        self.items[claim_id] = {
            "index": registration.index,
            "record": registration.record,
            "outcome": registration.record.outcome.value,
            "source_id": registration.source_id,
            "claim_digest": registration.claim_digest,
        }
        return Registered.NEW

    def claim_decision(self, claim_id: str, *, source_id: str, execution_id: str) -> DecisionOwner:
        item = self.items.setdefault(claim_id, {"source_id": source_id})
        if item["source_id"] != source_id:
            raise DuplicateClaimIdError(claim_id)
        owner = item.setdefault("decision_owner", execution_id)
        record = item.get("record")
        return DecisionOwner(execution_id=owner, outcome=record.outcome if record else None, record=record)

    def file_quarantined(self, record: ClaimRecord, *, source_id: str) -> bool:
        held = self.items.get(record.claim_id)
        if held is not None and held["source_id"] != source_id:
            return False
        self.writes += 1
        item = self.items.setdefault(record.claim_id, {})
        item.update(record=record, outcome=record.outcome.value, source_id=source_id)
        return True


class FakeQuarantineStore:
    def __init__(self, sources: FakeSourceObjects, bucket: str = "icpa-quarantine") -> None:
        self.sources = sources
        self.bucket = bucket
        self.objects: dict[str, bytes] = {}

    def prefix_uri(self, claim_id: str) -> str:
        return f"s3://{self.bucket}/{claim_id}/"

    def keep_original(self, source: SourceObject, claim_id: str) -> OriginalCopy:
        data = self.sources.objects.get((source.bucket, source.key))
        if data is None:
            return OriginalCopy(status="MISSING")
        self.objects[f"{claim_id}/original"] = data
        return OriginalCopy(status="COPIED", uri=f"s3://{self.bucket}/{claim_id}/original")

    def write_reason(self, claim_id: str, document: dict[str, Any]) -> str:
        self.objects[f"{claim_id}/reason.json"] = json.dumps(document).encode()
        return f"s3://{self.bucket}/{claim_id}/reason.json"

    def reason(self, claim_id: str) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.objects[f"{claim_id}/reason.json"])
        return result

    def write_acknowledgement(self, claim_id: str, text: str) -> str:
        self.objects[f"{claim_id}/ack.999"] = text.encode()
        return f"s3://{self.bucket}/{claim_id}/ack.999"


class FakeInterchangeStore:
    """Parts land in `sources` too, so Intake reads them as the claim executions would."""

    def __init__(self, sources: FakeSourceObjects, bucket: str = "icpa-documents") -> None:
        self.sources = sources
        self.bucket = bucket
        self.parts: dict[str, dict[str, Any]] = {}

    def keep_original(self, interchange_id: str, data: bytes, digest: str) -> str:
        key = original_key(interchange_id)
        kept = self.sources.objects.get((self.bucket, key))
        if kept is not None and kept != data:
            raise DuplicateInterchangeError(interchange_id)
        self.sources.add(key, data, bucket=self.bucket)
        return f"s3://{self.bucket}/{key}"

    def put_part(self, interchange_id: str, position: int, document: dict[str, Any]) -> SourceObject:
        key = part_key(interchange_id, position)
        self.parts[key] = document
        self.sources.add(key, json.dumps(document).encode(), bucket=self.bucket)
        return SourceObject(bucket=self.bucket, key=key)


class FakeExecutions:
    """StartExecution's name rule: a name runs once."""

    def __init__(self) -> None:
        self.started: dict[str, dict[str, Any]] = {}

    def start(self, name: str, state: dict[str, Any]) -> bool:
        if name in self.started:
            return False
        self.started[name] = state
        return True


class InMemoryAuditStore(MemoryAuditStore):
    """The shared in-memory audit store; `by_claim` is the name Intake's tests read it by."""

    @property
    def by_claim(self) -> dict[str, list[AuditEvent]]:
        return self.chains


@dataclass
class World:
    """All the fakes one use case needs, wired together."""

    sources: FakeSourceObjects = field(default_factory=FakeSourceObjects)
    policies: FakePolicies = field(default_factory=FakePolicies)
    documents: FakeDocuments = field(default_factory=FakeDocuments)
    claims: FakeClaimsTable = field(default_factory=FakeClaimsTable)
    audit: InMemoryAuditStore = field(default_factory=InMemoryAuditStore)
    max_file_bytes: int = 1024 * 1024

    def __post_init__(self) -> None:
        self.quarantine = FakeQuarantineStore(self.sources)
        self.interchanges = FakeInterchangeStore(self.sources)
        self.executions = FakeExecutions()

    def intake_deps(self, **overrides: Any) -> IntakeDeps:
        fields: dict[str, Any] = {
            "sources": self.sources,
            "policies": self.policies,
            "documents": self.documents,
            "claims": self.claims,
            "audit": self.audit,
            "clock": lambda: NOW,
            "max_file_bytes": self.max_file_bytes,
            "limits": Limits(),
        }
        fields.update(overrides)
        return IntakeDeps(**fields)

    def quarantine_deps(self) -> QuarantineDeps:
        return QuarantineDeps(
            sources=self.sources,
            quarantine=self.quarantine,
            claims=self.claims,
            audit=self.audit,
            clock=lambda: NOW,
            max_file_bytes=self.max_file_bytes,
        )


def split_deps(world: World, validator: Any, **overrides: Any) -> SplitDeps:
    fields: dict[str, Any] = {
        "sources": world.sources,
        "validator": validator,
        "store": world.interchanges,
        "acknowledgements": world.quarantine,
        "executions": world.executions,
        "audit": world.audit,
        "clock": lambda: NOW,
        "max_file_bytes": world.max_file_bytes,
    }
    fields.update(overrides)
    return SplitDeps(**fields)


def part_step(source: dict[str, Any], execution_id: str = EXECUTION_ID) -> StepInput:
    """The step a claim execution's Intake gets for a part (the splitter's execution input)."""
    return StepInput.model_validate(
        {"state": {"schema_version": "1.0", "source": source}, "execution_id": execution_id}
    )


def create_aws_resources(s3: Any, ddb: Any, policy_list: list[Policy] | None = None) -> None:
    """Buckets and tables as docs/ARCHITECTURE.md lays them out (local names)."""
    for bucket in ("icpa-inbox", "icpa-documents", "icpa-quarantine"):
        s3.create_bucket(Bucket=bucket)
    create_claims_table(ddb)
    create_policies_table(ddb, policies=policy_list if policy_list is not None else policies().values())
    create_audit_table(ddb)
