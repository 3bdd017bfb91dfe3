"""The ports Fraud's use case talks to; adapters/ implements them on AWS, tests with fakes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from icpa_fraud.domain.summary import ClaimSummary
from icpa_shared.contracts import ClaimDocument, ClaimIndexEntry, ModelJudgement, Policy


class ClaimDocuments(Protocol):
    def get(self, uri: str) -> ClaimDocument: ...


@dataclass(frozen=True)
class HistoryPage:
    entries: list[ClaimIndexEntry] = field(default_factory=list)
    truncated: bool = False


class ClaimHistoryStore(Protocol):
    """Keyed lookups on the claims table's GSIs, bounded by a service-date range."""

    def member_claims(self, member_id: str, start: date, end: date, *, exclude_claim_id: str) -> HistoryPage: ...

    def provider_claims(self, npi: str, start: date, end: date, *, exclude_claim_id: str) -> HistoryPage: ...


class Policies(Protocol):
    def get(self, policy_id: str) -> Policy | None: ...


class ModelProvider(Protocol):
    """A model's judgement of a de-identified summary. `session_key` ties calls for the same
    claim together (Bedrock's session); providers that keep no session ignore it."""

    model_id: str
    model_version: str

    def judge(self, summary: ClaimSummary, *, session_key: str) -> ModelJudgement: ...


class FraudMetrics(Protocol):
    def claim_assessed(self, signal_codes: Sequence[str], *, model_consulted: bool, score: float) -> None: ...

    def model_throttled(self) -> None: ...
