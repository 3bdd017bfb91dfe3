"""The ports the Router's use cases need besides the shared audit recorder. Adapters
implement them (adapters/metrics.py, icpa_shared's claims table); tests use fakes."""

from __future__ import annotations

from typing import Protocol

from icpa_shared.contracts import Claim, ClaimRecord, Outcome, Route
from icpa_shared.payer.answers import PayerAnswers


class DecisionMetrics(Protocol):
    def claim_routed(self, route: Route) -> None: ...

    def claim_decided(self, outcome: Outcome, route: Route) -> None: ...


class ClaimRecordWriter(Protocol):
    def put_record(self, record: ClaimRecord) -> None: ...


class ClaimReader(Protocol):
    def get(self, uri: str) -> Claim: ...


class AnswerWriter(Protocol):
    def put(self, answers: PayerAnswers) -> list[str]: ...
