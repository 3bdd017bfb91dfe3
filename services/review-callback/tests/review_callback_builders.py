"""Builders for the review desk's tests: a workflow state routed to human review, the step
input AwaitHumanReview sends, API Gateway REST proxy events, and a clock tests can move."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from icpa_shared.contracts import (
    Adjudication,
    AdjudicationTotals,
    Claim,
    FraudAssessment,
    FraudSignal,
    LineAdjudication,
    ModelJudgement,
    RoutingDecision,
    StepError,
    StepInput,
    WorkflowState,
)
from icpa_shared.testing.builders import FIXED_NOW, a_claim, a_source, an_intake_result, usd

REVIEW_TIMEOUT = timedelta(hours=72)
EXECUTION_ID = "arn:aws:states:us-east-1:123456789012:execution:icpa-claims:clm-0001-run-1"
# Distinctive, so a test can search any output for it.
TASK_TOKEN = "AQCEAAAAKgAAAAMAAAAAAAAAAS3cr3t-t4sk-t0k3n-7f3a9c1e"
OTHER_TOKEN = "AQCEAAAAKgAAAAMAAAAAAAAAAS3cr3t-t4sk-t0k3n-2b8d4e60"
REVIEWER_SUB = "3f1c2d3e-4a5b-4c6d-8e9f-a0b1c2d3e4f5"
CLAIMS_URI = "s3://icpa-documents/claims/CLM-0001.json"


@dataclass
class FixedClock:
    now: datetime = field(default=FIXED_NOW)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now = self.now + delta


def a_human_review_claim(**overrides: Any) -> Claim:
    """A claim whose patient block is filled in, so tests can prove it never leaks."""
    from icpa_shared.contracts import Patient

    fields: dict[str, Any] = {
        "patient": Patient(name="Jane Q Patient", birth_date="1961-07-04", gender="female"),
        "diagnosis_codes": ["J06.9", "R05.9"],
    }
    fields.update(overrides)
    return a_claim(**fields)


def a_fraud_assessment(claim_id: str = "CLM-0001") -> FraudAssessment:
    return FraudAssessment(
        claim_id=claim_id,
        score=0.72,
        rules_score=0.6,
        signals=[
            FraudSignal(
                code="NEAR_DUPLICATE",
                weight=0.4,
                evidence={"matched_claim_id": "CLM-0000", "days_apart": "2"},
            ),
            FraudSignal(code="CHARGE_OUTLIER", weight=0.2, evidence={"percentile": "99"}),
        ],
        model=ModelJudgement(model_id="anthropic.claude", model_version="1", score=0.8, rationale="pattern"),
        service_version="1.0.0",
        assessed_at=FIXED_NOW,
    )


def an_adjudication(claim_id: str = "CLM-0001") -> Adjudication:
    line = LineAdjudication(
        line_number=1,
        procedure_code="99213",
        eligible=True,
        covered=True,
        submitted=usd("150.00"),
        allowed=usd("120.00"),
        deductible=usd("20.00"),
        copay=usd("0.00"),
        coinsurance=usd("20.00"),
        payable=usd("80.00"),
        reason_codes=["COVERED", "FEE_SCHEDULE_APPLIED", "DEDUCTIBLE_APPLIED", "COINSURANCE_APPLIED"],
    )
    return Adjudication(
        claim_id=claim_id,
        policy_id="POL-GOLD001",
        outcome="APPROVED",
        lines=[line],
        totals=AdjudicationTotals(
            submitted=usd("150.00"),
            allowed=usd("120.00"),
            deductible=usd("20.00"),
            copay=usd("0.00"),
            coinsurance=usd("20.00"),
            payable=usd("80.00"),
        ),
        reason_codes=["COVERED"],
        service_version="1.0.0",
        adjudicated_at=FIXED_NOW,
    )


def a_human_review_routing(claim_id: str = "CLM-0001", route: str = "HUMAN_REVIEW") -> RoutingDecision:
    return RoutingDecision(
        claim_id=claim_id,
        route=route,
        reasons=["FRAUD_SCORE_HIGH", "NEAR_DUPLICATE"],
        policy_version="2026.1",
        service_version="1.0.0",
        decided_at=FIXED_NOW,
    )


def a_review_state(claim: Claim | None = None, **overrides: Any) -> WorkflowState:
    claim = claim or a_human_review_claim()
    fields: dict[str, Any] = {
        "source": a_source(),
        "intake": an_intake_result(claim),
        "fraud": a_fraud_assessment(claim.claim_id),
        "adjudication": an_adjudication(claim.claim_id),
        "routing": a_human_review_routing(claim.claim_id),
    }
    fields.update(overrides)
    return WorkflowState(**fields)


def a_review_step(
    state: WorkflowState | None = None, *, execution_id: str = EXECUTION_ID, task_token: str | None = TASK_TOKEN
) -> StepInput:
    return StepInput(state=state or a_review_state(), execution_id=execution_id, task_token=task_token)


def an_escalation_step(
    state: WorkflowState | None = None, *, execution_id: str = EXECUTION_ID, error: str = "States.Timeout"
) -> StepInput:
    """What the Catch hands EscalateReview: the state with the wait's error at $.error."""
    base = state or a_review_state()
    failed = base.model_copy(update={"error": StepError(error=error, cause="")})
    return StepInput(state=failed, execution_id=execution_id)


# --- API Gateway REST proxy events ---------------------------------------------------------------

COGNITO_REVIEWER: dict[str, Any] = {
    "sub": REVIEWER_SUB,
    "cognito:username": "alice",
    "cognito:groups": "claims-reviewers",
    "token_use": "id",
}


def api_event(
    method: str,
    path: str,
    *,
    claims: dict[str, Any] | None = COGNITO_REVIEWER,
    user_arn: str | None = None,
    body: Any = None,
    raw_body: str | None = None,
    base64_body: bool = False,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event as Lambda receives it. `claims=None` and no
    `user_arn` is an unauthenticated call; `headers` replace the JSON defaults."""
    segments = path.strip("/").split("/")
    resource = "/" + "/".join(
        "{review_id}" if i == 1 and len(segments) > 1 else part for i, part in enumerate(segments)
    )
    path_parameters = {"review_id": segments[1]} if len(segments) > 1 else None
    text = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
    if base64_body and text is not None:
        text = base64.b64encode(text.encode()).decode()
    request_context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "a1b2c3d4e5",
        "httpMethod": method,
        "path": f"/prod{path}",
        "resourcePath": resource,
        "stage": "prod",
        "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "identity": {"sourceIp": "203.0.113.10", "userAgent": "pytest", "userArn": user_arn},
    }
    if claims is not None:
        request_context["authorizer"] = {"claims": claims}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json", "Accept": "application/json"} if headers is None else headers,
        "multiValueHeaders": {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": request_context,
        "body": text,
        "isBase64Encoded": base64_body,
    }


def a_decision_body(
    decision: str = "APPROVE", rationale: str = "Duplicate is a legitimate follow-up visit."
) -> dict[str, str]:
    return {"decision": decision, "rationale": rationale}


@dataclass
class LambdaContext:
    function_name: str = "icpa-review-api"
    aws_request_id: str = "0f7e1c2d-0000-4000-8000-000000000001"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:icpa-review-api"


def response_json(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def header(response: dict[str, Any], name: str) -> str:
    """REST (v1) proxy responses carry headers as multiValueHeaders."""
    values = response.get("multiValueHeaders", {}).get(name) or []
    if not values and name in response.get("headers", {}):
        return str(response["headers"][name])
    assert len(values) == 1, f"{name}: {values}"
    return str(values[0])
