"""RouteClaim's handle(): the decision, its audit event, annotation and metric."""

from __future__ import annotations

import pytest
from router_testkit import POLICY, Fakes, a_fraud, an_adjudication, denied, paid

from icpa_router import __version__
from icpa_router.domain import codes
from icpa_router.handlers.route import handle
from icpa_router.usecases.route import RouteDeps
from icpa_shared.audit import head_of, verify_chain
from icpa_shared.contracts import Route
from icpa_shared.contracts import reasons as rc
from icpa_shared.digest import sha256_hex
from icpa_shared.errors import ContractViolationError
from icpa_shared.testing.builders import a_step
from icpa_shared.testing.fakes import an_appended_head

pytestmark = pytest.mark.unit


def deps(f: Fakes) -> RouteDeps:
    return RouteDeps(policy=POLICY, audit=f.audit, metrics=f.metrics, annotate=f.annotations, clock=lambda: f.now)


def test_routes_audits_annotates_and_counts() -> None:
    f = Fakes()
    step = a_step(fraud=a_fraud(0.45, rules_score=0.40, model_score=0.50), adjudication=an_adjudication(paid()))
    decision = handle(step, deps(f))
    assert decision.route is Route.HUMAN_REVIEW
    assert decision.reasons == [codes.ADJUDICATION_APPROVED, codes.FRAUD_SCORE_ELEVATED]
    assert (decision.decided_at, decision.service_version, decision.policy_version) == (
        f.now,
        __version__,
        "2026.11.1",
    )
    (event,) = f.audit_store.events("CLM-0001")
    assert (event.step, event.decision, event.reason_codes) == ("router", "HUMAN_REVIEW", decision.reasons)
    assert (event.model_id, event.model_version) == ("anthropic.claude-fraud", "2026-10")
    assert verify_chain([event]).ok
    # the digests let an auditor check the event against the state the execution history holds
    # (the result as the history holds it, less the head: the head is this event's own hash)
    assert decision.audit_head is not None and decision.audit_head.hash == event.hash
    assert event.output_digest == sha256_hex(decision.model_copy(update={"audit_head": None}))
    assert event.input_digest == sha256_hex(
        {
            "fraud": step.state.fraud.model_dump(mode="json") if step.state.fraud else None,
            "adjudication": step.state.adjudication.model_dump(mode="json") if step.state.adjudication else None,
            "policy": POLICY.model_dump(mode="json"),
        }
    )
    assert f.annotations.calls == [{"claim_id": "CLM-0001", "route": "HUMAN_REVIEW"}]
    assert f.metrics.routed == [Route.HUMAN_REVIEW]


def test_an_auto_deny_is_audited_without_a_model() -> None:
    f = Fakes()
    step = a_step(fraud=a_fraud(0.05), adjudication=an_adjudication(denied(1, rc.EXCLUDED_SERVICE)))
    decision = handle(step, deps(f))
    assert decision.route is Route.AUTO_DENY
    (event,) = f.audit_store.events("CLM-0001")
    assert event.decision == "AUTO_DENY" and event.model_id is None


@pytest.mark.parametrize("missing", ["fraud", "adjudication"])
def test_routing_without_fraud_or_adjudication_is_a_contract_violation(missing: str) -> None:
    f = Fakes()
    step = a_step(fraud=a_fraud()) if missing == "adjudication" else a_step(adjudication=an_adjudication())
    with pytest.raises(ContractViolationError):
        handle(step, deps(f))
    assert f.audit_store.items == {} and f.metrics.routed == []


def test_the_route_is_audited_on_adjudications_head_without_reading_the_chain() -> None:
    # Given the events before it, Adjudication's head (the newest) in state
    f = Fakes()
    fraud_head = an_appended_head(f.audit_store, "CLM-0001", "fraud")
    adjudication_head = an_appended_head(f.audit_store, "CLM-0001", "adjudication")
    fraud = a_fraud(0.05).model_copy(update={"audit_head": fraud_head})
    adjudication = an_adjudication(paid()).model_copy(update={"audit_head": adjudication_head})
    f.audit_store.reads = 0

    decision = handle(a_step(fraud=fraud, adjudication=adjudication), deps(f))

    # Then the event follows Adjudication's with no chain read; the decision carries its head
    assert f.audit_store.reads == 0
    *_, event = f.audit_store.events("CLM-0001")
    assert (event.step, event.sequence, event.previous_hash) == ("router", 3, adjudication_head.hash)
    assert decision.audit_head == head_of(event)
    assert verify_chain(f.audit_store.events("CLM-0001")).ok
