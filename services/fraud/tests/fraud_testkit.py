"""Fakes of Fraud's ports, builders for history entries, and the moto set-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from icpa_fraud.adapters.reference_data import load_reference_data
from icpa_fraud.domain.ports import HistoryPage
from icpa_fraud.domain.summary import ClaimSummary
from icpa_fraud.usecase import FraudDeps
from icpa_shared.contracts import (
    Claim,
    ClaimDocument,
    ClaimIndexEntry,
    IndexedLine,
    ModelJudgement,
    Policy,
    StepInput,
    WorkflowState,
)
from icpa_shared.testing.aws import create_audit_table, create_claims_table, create_policies_table
from icpa_shared.testing.builders import a_claim, a_line, a_policy, a_source, an_intake_result, usd
from icpa_shared.testing.fakes import MemoryAuditStore, as_document

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
EXECUTION_ID = "arn:aws:states:us-east-1:123456789012:execution:icpa-claims:fraud-test-1"
CLEAN_NPI = "1234567893"
WATCHLISTED_NPI = "1987654328"
OTHER_NPI = "1555012347"
PATIENT_NAME = "Ignatius Featherstonehaugh"
PATIENT_BIRTH_DATE = "1958-09-14"


ON_FILE_AT = datetime(2026, 3, 9, 9, 30, tzinfo=UTC)
"""When claims already on file reached the inbox: before the claim under test arrives."""


def index_of(claim: Claim, received_at: datetime | None = ON_FILE_AT) -> ClaimIndexEntry:
    """The entry Intake writes to the claims table for an accepted claim."""
    return ClaimIndexEntry(
        claim_id=claim.claim_id,
        member_id=claim.member_id,
        provider_npi=claim.provider_npi,
        service_date=claim.service_date_from,
        lines=[
            IndexedLine(procedure_code=x.procedure_code, units=x.units, charge=x.charge, service_date=x.service_date)
            for x in claim.lines
        ],
        total_charge=claim.total_charge,
        received_date=claim.received_date,
        received_at=received_at,
    )


def on_file(
    claim_id: str,
    *,
    member_id: str = "MBR000001",
    npi: str = CLEAN_NPI,
    lines: list[tuple[str, str, date]] | None = None,
    units: int = 1,
    received_date: date | None = None,
    received_at: datetime | None = ON_FILE_AT,
) -> ClaimIndexEntry:
    """A claim already on file: lines as (procedure code, amount, service date)."""
    specs = lines or [("99213", "150.00", date(2026, 3, 1))]
    built = [
        a_line(n, procedure_code=code, charge=usd(amount), service_date=served, units=units)
        for n, (code, amount, served) in enumerate(specs, start=1)
    ]
    fields: dict[str, Any] = {} if received_date is None else {"received_date": received_date}
    claim = a_claim(claim_id=claim_id, member_id=member_id, provider_npi=npi, lines=built, **fields)
    return index_of(claim, received_at)


def step_for(claim: Claim, received_at: datetime | None = None) -> StepInput:
    """The AssessFraud input for `claim`, uploaded at `received_at` (the inbox event's time)."""
    intake = an_intake_result(claim)
    source = a_source(event_time=received_at)
    return StepInput(state=WorkflowState(source=source, intake=intake), execution_id=EXECUTION_ID)


class FakeDocuments:
    def __init__(self, *claims: Claim) -> None:
        self.by_uri = {f"s3://icpa-documents/claims/{c.claim_id}.json": as_document(c) for c in claims}

    def get(self, uri: str) -> ClaimDocument:
        return self.by_uri[uri]


@dataclass
class FakeHistory:
    """Answers like the GSIs: key match, service date in range, the claim itself excluded."""

    entries: list[ClaimIndexEntry] = field(default_factory=list)
    calls: list[tuple[str, str, date, date]] = field(default_factory=list)

    def member_claims(self, member_id: str, start: date, end: date, *, exclude_claim_id: str) -> HistoryPage:
        self.calls.append(("member", member_id, start, end))
        return HistoryPage(
            [
                e
                for e in self.entries
                if e.member_id == member_id and start <= e.service_date <= end and e.claim_id != exclude_claim_id
            ]
        )

    def provider_claims(self, npi: str, start: date, end: date, *, exclude_claim_id: str) -> HistoryPage:
        self.calls.append(("provider", npi, start, end))
        return HistoryPage(
            [
                e
                for e in self.entries
                if e.provider_npi == npi and start <= e.service_date <= end and e.claim_id != exclude_claim_id
            ]
        )


@dataclass
class FakePolicies:
    by_id: dict[str, Policy] = field(default_factory=lambda: {"POL-GOLD001": a_policy()})

    def get(self, policy_id: str) -> Policy | None:
        return self.by_id.get(policy_id)


@dataclass
class RecordingModel:
    """A model that answers a fixed score and keeps what it was shown."""

    score: float = 0.5
    model_id: str = "test-model"
    model_version: str = "7"
    seen: list[ClaimSummary] = field(default_factory=list)

    def judge(self, summary: ClaimSummary, *, session_key: str) -> ModelJudgement:
        self.seen.append(summary)
        return ModelJudgement(model_id=self.model_id, model_version=self.model_version, score=self.score)


def fraud_deps(claim: Claim, on_file_entries: list[ClaimIndexEntry] | None = None, **overrides: Any) -> FraudDeps:
    fields: dict[str, Any] = {
        "documents": FakeDocuments(claim),
        "history": FakeHistory(list(on_file_entries or [])),
        "policies": FakePolicies(),
        "audit": MemoryAuditStore(),
        "reference": load_reference_data(),
        "clock": lambda: NOW,
        "model": None,
    }
    fields.update(overrides)
    return FraudDeps(**fields)


def create_aws_resources(s3: Any, ddb: Any) -> None:
    """Buckets and tables as docs/ARCHITECTURE.md lays them out (local names)."""
    s3.create_bucket(Bucket="icpa-documents")
    create_claims_table(ddb)
    create_policies_table(ddb, policies=[a_policy()])
    create_audit_table(ddb)


def put_on_file(ddb: Any, entry: ClaimIndexEntry) -> None:
    """The claims-table item Intake writes (only the attributes Fraud reads, plus the GSI keys)."""
    ddb.put_item(
        TableName="icpa-claims",
        Item={
            "claim_id": {"S": entry.claim_id},
            "member_id": {"S": entry.member_id},
            "provider_npi": {"S": entry.provider_npi},
            "service_date": {"S": entry.service_date.isoformat()},
            "index": {"S": entry.model_dump_json()},
            "outcome": {"S": "IN_PROGRESS"},
        },
    )


def money(amount: str) -> Decimal:
    return Decimal(amount)
