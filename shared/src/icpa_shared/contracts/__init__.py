"""The contracts: every payload that crosses a service boundary, defined once."""

from icpa_shared.contracts.adjudication import (
    Adjudication,
    AdjudicationOutcome,
    AdjudicationTotals,
    LineAdjudication,
)
from icpa_shared.contracts.audit import AuditEvent, AuditHead
from icpa_shared.contracts.claim import Address, Claim, ClaimDocument, ClaimLine, ClaimSource, ClaimType, Patient
from icpa_shared.contracts.fraud import FraudAssessment, FraudSignal, ModelJudgement
from icpa_shared.contracts.money import Money
from icpa_shared.contracts.policy import Policy, PolicySnapshot, PolicyStatus
from icpa_shared.contracts.review import ReviewDecision, ReviewNotice, ReviewStatus, ReviewVerdict
from icpa_shared.contracts.routing import DecidedBy, Outcome, Route, RoutingDecision
from icpa_shared.contracts.workflow import (
    ClaimIndexEntry,
    ClaimRecord,
    Delivery,
    DeliveryRole,
    EscalationResult,
    FinalDecision,
    IndexedLine,
    IntakeResult,
    QuarantineResult,
    SourceObject,
    StepError,
    StepInput,
    WorkflowState,
)

__all__ = [
    "Address",
    "Adjudication",
    "AdjudicationOutcome",
    "AdjudicationTotals",
    "AuditEvent",
    "AuditHead",
    "Claim",
    "ClaimDocument",
    "ClaimLine",
    "ClaimSource",
    "ClaimIndexEntry",
    "ClaimRecord",
    "ClaimType",
    "DecidedBy",
    "Delivery",
    "DeliveryRole",
    "EscalationResult",
    "FinalDecision",
    "FraudAssessment",
    "FraudSignal",
    "IndexedLine",
    "IntakeResult",
    "LineAdjudication",
    "ModelJudgement",
    "Money",
    "Outcome",
    "Patient",
    "Policy",
    "PolicySnapshot",
    "QuarantineResult",
    "PolicyStatus",
    "ReviewDecision",
    "ReviewNotice",
    "ReviewStatus",
    "ReviewVerdict",
    "Route",
    "RoutingDecision",
    "SourceObject",
    "StepError",
    "StepInput",
    "WorkflowState",
]
