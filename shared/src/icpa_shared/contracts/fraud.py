"""Fraud Detection's output: a composite score and the signals that made it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from icpa_shared.contracts.audit import AuditHead
from icpa_shared.contracts.types import SCHEMA_VERSION, ClaimId, ReasonCode, Score, ServiceVersion

Evidence = dict[
    Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")],
    Annotated[str, StringConstraints(max_length=500)],
]


class FraudSignal(BaseModel):
    """One reason for suspicion, explainable on its own: code, weight and the evidence."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: ReasonCode
    weight: Score
    evidence: Evidence = Field(default_factory=dict, max_length=20)


class ModelJudgement(BaseModel):
    """What a model said, kept apart from the rules so a reviewer sees both."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model_id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    model_version: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    score: Score
    rationale: Annotated[str, StringConstraints(max_length=2000)] = ""


class FraudAssessment(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    claim_id: ClaimId
    score: Score
    rules_score: Score
    signals: list[FraudSignal] = Field(default_factory=list, max_length=50)
    model: ModelJudgement | None = None
    service_version: ServiceVersion
    assessed_at: AwareDatetime
    audit_head: AuditHead | None = None  # the audit event this step appended (absent: read the chain)

    @property
    def signal_codes(self) -> list[str]:
        return [s.code for s in self.signals]
