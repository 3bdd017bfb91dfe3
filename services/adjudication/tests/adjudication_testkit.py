"""Builders and in-memory fakes for adjudication's ports, shared by both tiers (no sockets, no mocks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from icpa_adjudication.domain.errors import UnknownFeeScheduleError
from icpa_adjudication.domain.explanation import Explainer, Explanation, render_explanation
from icpa_adjudication.domain.fee_schedule import FeeSchedule
from icpa_adjudication.usecase import AdjudicationDeps
from icpa_shared.audit import AuditRecorder
from icpa_shared.contracts import Adjudication, Claim, ClaimDocument, Policy
from icpa_shared.errors import ClaimNotFoundError, UnknownPolicyError
from icpa_shared.testing.builders import FIXED_NOW
from icpa_shared.testing.fakes import MemoryAuditStore, as_document

# Round rates so the arithmetic in the tests' comments stays readable.
RATES = {
    "99213": "92.00",
    "99214": "130.00",
    "80053": "14.50",
    "71046": "32.00",
    "97110": "31.00",
    "97530": "35.00",
    "29881": "550.00",
    "15780": "900.00",
}


def a_fee_schedule(**rates: str) -> FeeSchedule:
    return FeeSchedule(
        fee_schedule_id="FS-2026",
        allowed_per_unit={code: Decimal(rate) for code, rate in {**RATES, **rates}.items()},
    )


class MemoryClaims:
    def __init__(self, *claims: Claim) -> None:
        self.claims = {f"s3://icpa-documents/claims/{c.claim_id}.json": as_document(c) for c in claims}

    def get(self, uri: str) -> ClaimDocument:
        if uri not in self.claims:
            raise ClaimNotFoundError(f"no claim document at {uri}")
        return self.claims[uri]


class MemoryPolicies:
    def __init__(self, *policies: Policy) -> None:
        self.policies = {p.policy_id: p for p in policies}

    def get(self, policy_id: str) -> Policy:
        if policy_id not in self.policies:
            raise UnknownPolicyError(f"no policy {policy_id}")
        return self.policies[policy_id]


class MemoryFeeSchedules:
    def __init__(self, *schedules: FeeSchedule) -> None:
        self.schedules = {s.fee_schedule_id: s for s in schedules}

    def get(self, fee_schedule_id: str) -> FeeSchedule:
        if fee_schedule_id not in self.schedules:
            raise UnknownFeeScheduleError(f"no fee schedule {fee_schedule_id}")
        return self.schedules[fee_schedule_id]


@dataclass
class ScriptedExplainer:
    """Answers like a model would (with a model id), or raises what it is told to."""

    error: Exception | None = None
    calls: list[Adjudication] = field(default_factory=list)

    def explain(self, adjudication: Adjudication) -> Explanation:
        self.calls.append(adjudication)
        if self.error is not None:
            raise self.error
        return Explanation(
            text="Drafted: " + render_explanation(adjudication),
            model_id="bedrock-agent/AGENT00001",
            model_version="ALIAS00001",
        )


@dataclass
class World:
    """Everything a handler test sets up, plus the deps built from it."""

    claims: MemoryClaims
    policies: MemoryPolicies
    fee_schedules: MemoryFeeSchedules
    audit_store: MemoryAuditStore
    explainer: Explainer
    now: datetime = FIXED_NOW

    @property
    def deps(self) -> AdjudicationDeps:
        return AdjudicationDeps(
            claims=self.claims,
            policies=self.policies,
            fee_schedules=self.fee_schedules,
            explainer=self.explainer,
            audit=AuditRecorder(self.audit_store, "adjudication", "1.1.0"),
            clock=lambda: self.now,
        )


def adjudicated(claim: Claim, policy: Policy, schedule: FeeSchedule | None = None) -> Adjudication:
    """adjudicate() at a fixed time with the readable test fee schedule."""
    from icpa_adjudication.domain.adjudicate import adjudicate

    return adjudicate(claim, policy, schedule or a_fee_schedule(), adjudicated_at=FIXED_NOW, service_version="1.1.0")
