"""Builders and in-memory fakes for the Router's tests, shared by both tiers (valid by default)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from icpa_router.domain.policy import RoutingPolicy
from icpa_shared.audit import AuditRecorder
from icpa_shared.contracts import (
    Adjudication,
    AdjudicationOutcome,
    AdjudicationTotals,
    AuditEvent,
    Claim,
    ClaimRecord,
    DecidedBy,
    EscalationResult,
    FinalDecision,
    FraudAssessment,
    FraudSignal,
    LineAdjudication,
    ModelJudgement,
    Outcome,
    ReviewDecision,
    Route,
    RoutingDecision,
    WorkflowState,
)
from icpa_shared.contracts import reasons as rc
from icpa_shared.contracts.money import total
from icpa_shared.errors import ClaimNotFoundError
from icpa_shared.payer.answers import PayerAnswers
from icpa_shared.testing import fakes
from icpa_shared.testing.builders import FIXED_NOW, a_claim, a_line, a_source, an_intake_result, usd

CLAIM_ID = "CLM-0001"

POLICY = RoutingPolicy(
    version="2026.11.1",
    fraud_low=0.30,
    fraud_high=0.70,
    auto_approve_max_payable=usd("2500.00"),
    disagreement_delta=0.40,
)


def a_fraud(
    score: float = 0.10,
    *,
    rules_score: float | None = None,
    model_score: float | None = None,
    signals: tuple[str, ...] = (),
    claim_id: str = CLAIM_ID,
) -> FraudAssessment:
    model = None
    if model_score is not None:
        model = ModelJudgement(model_id="anthropic.claude-fraud", model_version="2026-10", score=model_score)
    return FraudAssessment(
        claim_id=claim_id,
        score=score,
        rules_score=score if rules_score is None else rules_score,
        signals=[FraudSignal(code=code, weight=0.5) for code in signals],
        model=model,
        service_version="1.0.0",
        assessed_at=FIXED_NOW,
    )


def paid(number: int = 1, payable: str = "100.00", *extra_reasons: str) -> LineAdjudication:
    amount = usd(payable)
    return LineAdjudication(
        line_number=number,
        procedure_code="99213",
        eligible=True,
        covered=True,
        submitted=amount,
        allowed=amount,
        deductible=usd("0"),
        copay=usd("0"),
        coinsurance=usd("0"),
        payable=amount,
        reason_codes=[rc.COVERED, *extra_reasons],
    )


def denied(number: int, *reasons: str) -> LineAdjudication:
    zero = usd("0")
    return LineAdjudication(
        line_number=number,
        procedure_code="15780",
        eligible=not {rc.POLICY_LAPSED, rc.NOT_EFFECTIVE_ON_DATE, rc.MEMBER_NOT_ON_POLICY} & set(reasons),
        covered=False,
        submitted=usd("50.00"),
        allowed=zero,
        deductible=zero,
        copay=zero,
        coinsurance=zero,
        payable=zero,
        reason_codes=list(reasons),
    )


def an_adjudication(*lines: LineAdjudication, claim_id: str = CLAIM_ID) -> Adjudication:
    lines = lines or (paid(),)
    covered = sum(1 for line in lines if line.covered)
    outcome = (
        AdjudicationOutcome.APPROVED
        if covered == len(lines)
        else AdjudicationOutcome.DENIED
        if covered == 0
        else AdjudicationOutcome.PARTIAL
    )
    currency = lines[0].submitted.currency
    sums = {
        name: total((getattr(line, name) for line in lines), currency)
        for name in ("submitted", "allowed", "deductible", "copay", "coinsurance", "payable")
    }
    return Adjudication(
        claim_id=claim_id,
        policy_id="POL-GOLD001",
        outcome=outcome,
        lines=list(lines),
        totals=AdjudicationTotals(**sums),
        reason_codes=[rc.COVERED],
        service_version="1.1.0",
        adjudicated_at=FIXED_NOW,
    )


def a_routing(route: Route, *reasons: str, claim_id: str = CLAIM_ID) -> RoutingDecision:
    return RoutingDecision(
        claim_id=claim_id,
        route=route,
        reasons=list(reasons) or ["ADJUDICATION_APPROVED"],
        policy_version="2026.11.1",
        service_version="1.1.0",
        decided_at=FIXED_NOW,
    )


def a_review(approve: bool = True, **overrides: Any) -> ReviewDecision:
    fields: dict[str, Any] = {
        "review_id": "REV-" + "0" * 32,
        "claim_id": CLAIM_ID,
        "reviewer_id": "reviewer-7",
        "decision": "APPROVE" if approve else "DENY",
        "rationale": "Checked the operative note; the procedure matches the diagnosis.",
        "decided_at": FIXED_NOW + timedelta(hours=2),
    }
    fields.update(overrides)
    return ReviewDecision(**fields)


def a_final(outcome: str, decided_by: str) -> FinalDecision:
    return FinalDecision(outcome=Outcome(outcome), decided_by=DecidedBy(decided_by))


def a_decided_state(
    final: FinalDecision,
    routing: RoutingDecision,
    *,
    adjudication: Adjudication | None = None,
    review: ReviewDecision | None = None,
    escalation: EscalationResult | None = None,
) -> WorkflowState:
    return WorkflowState(
        source=a_source(),
        intake=an_intake_result(),
        fraud=a_fraud(),
        adjudication=adjudication or an_adjudication(paid(1, "640.00")),
        routing=routing,
        review=review,
        escalation=escalation,
        final=final,
    )


# --- fakes ------------------------------------------------------------------------------------


class MemoryAuditStore(fakes.MemoryAuditStore):
    """The shared in-memory audit store; `items` is the name the Router's tests read it by."""

    @property
    def items(self) -> dict[str, list[AuditEvent]]:
        return self.chains


class MemoryClaimRecords:
    def __init__(self) -> None:
        self.records: dict[str, ClaimRecord] = {}

    def put_record(self, record: ClaimRecord) -> None:
        self.records[record.claim_id] = record


@dataclass
class RecordingMetrics:
    routed: list[Route] = field(default_factory=list)
    decided: list[tuple[Outcome, Route]] = field(default_factory=list)

    def claim_routed(self, route: Route) -> None:
        self.routed.append(route)

    def claim_decided(self, outcome: Outcome, route: Route) -> None:
        self.decided.append((outcome, route))


@dataclass
class RecordingAnnotations:
    calls: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, **annotations: Any) -> None:
        self.calls.append(annotations)


def claim_for(state: WorkflowState, **overrides: Any) -> Claim:
    """The claim document a decided state's adjudication was made from (its lines' numbers,
    procedure codes and charges), at the state's claim URI."""
    assert state.adjudication is not None
    lines = [
        a_line(line.line_number, procedure_code=line.procedure_code, charge=line.submitted)
        for line in state.adjudication.lines
    ]
    return a_claim(claim_id=state.adjudication.claim_id, lines=lines, **overrides)


class MemoryClaimDocuments:
    def __init__(self) -> None:
        self.claims: dict[str, Claim] = {}

    def put(self, claim: Claim) -> str:
        uri = f"s3://icpa-documents/claims/{claim.claim_id}.json"
        self.claims[uri] = claim
        return uri

    def get(self, uri: str) -> Claim:
        if uri not in self.claims:
            raise ClaimNotFoundError(f"no claim document at {uri}")
        return self.claims[uri]


class MemoryAnswers:
    def __init__(self) -> None:
        self.answers: dict[str, PayerAnswers] = {}
        self.writes = 0

    def put(self, answers: PayerAnswers) -> list[str]:
        self.answers[answers.claim_id] = answers
        self.writes += 1
        return [f"s3://icpa-documents/answers/{answers.claim_id}/claim-response.json"]


@dataclass
class Fakes:
    audit_store: MemoryAuditStore = field(default_factory=MemoryAuditStore)
    records: MemoryClaimRecords = field(default_factory=MemoryClaimRecords)
    documents: MemoryClaimDocuments = field(default_factory=MemoryClaimDocuments)
    answers: MemoryAnswers = field(default_factory=MemoryAnswers)
    metrics: RecordingMetrics = field(default_factory=RecordingMetrics)
    annotations: RecordingAnnotations = field(default_factory=RecordingAnnotations)
    now: datetime = FIXED_NOW + timedelta(hours=3)

    @property
    def audit(self) -> AuditRecorder:
        return AuditRecorder(self.audit_store, "router", "1.1.0")


def forget_cached_wiring() -> None:
    """Forget cached boto3 clients, settings and deps (tests that change env or moto)."""
    from icpa_router.settings import get_settings
    from icpa_router.wiring import default_deps
    from icpa_shared.adapters.aws import reset_clients

    reset_clients()
    default_deps.cache_clear()
    get_settings.cache_clear()
