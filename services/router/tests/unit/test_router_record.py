"""RecordDecision: the ClaimRecord for every way a claim can end, and the wiring checks."""

from __future__ import annotations

import pytest
from router_testkit import (
    Fakes,
    a_decided_state,
    a_final,
    a_review,
    a_routing,
    an_adjudication,
    claim_for,
    denied,
    paid,
)

from icpa_router import __version__
from icpa_router.domain import codes
from icpa_router.handlers.record import handle
from icpa_router.usecases.record import RecordDeps
from icpa_shared.audit import verify_chain
from icpa_shared.contracts import ClaimSource, DecidedBy, EscalationResult, Outcome, Route, WorkflowState
from icpa_shared.contracts import reasons as rc
from icpa_shared.errors import ClaimNotFoundError, ContractViolationError
from icpa_shared.testing.builders import a_source, a_step, an_intake_result, usd
from icpa_shared.testing.fakes import an_appended_head

pytestmark = pytest.mark.unit


def deps(f: Fakes, state: WorkflowState) -> RecordDeps:
    """The fakes, with the claim document the state's adjudication was made from."""
    if state.adjudication is not None:
        f.documents.put(claim_for(state))
    return RecordDeps(
        records=f.records,
        documents=f.documents,
        answers=f.answers,
        audit=f.audit,
        metrics=f.metrics,
        annotate=f.annotations,
        clock=lambda: f.now,
    )


def test_an_auto_approved_claim_is_recorded_with_its_payable() -> None:
    f = Fakes()
    state = a_decided_state(
        a_final("APPROVED", "AUTO"),
        a_routing(Route.AUTO_APPROVE, codes.ADJUDICATION_APPROVED, codes.FRAUD_SCORE_LOW),
        adjudication=an_adjudication(paid(1, "640.00"), paid(2, "12.50")),
    )
    record = handle(a_step(state), deps(f, state))
    assert (record.outcome, record.decided_by) == (Outcome.APPROVED, DecidedBy.AUTO)
    assert record.payable == usd("652.50")
    assert record.reason_codes == [codes.ADJUDICATION_APPROVED, codes.FRAUD_SCORE_LOW]
    assert record.source_uri == "s3://icpa-inbox/claims/clm-0001.json"
    assert record.claim_uri == "s3://icpa-documents/claims/CLM-0001.json"
    assert record.execution_id and record.execution_id.endswith(":test-1")
    assert (record.service_version, record.updated_at) == (__version__, f.now)
    # stored, audited, annotated, counted
    assert f.records.records["CLM-0001"] == record
    (event,) = f.audit_store.events("CLM-0001")
    assert (event.step, event.decision, event.reason_codes) == ("decision", "APPROVED", record.reason_codes)
    assert event.reviewer_id is None and event.rationale is None and verify_chain([event]).ok
    assert f.annotations.calls == [{"claim_id": "CLM-0001", "outcome": "APPROVED", "route": "AUTO_APPROVE"}]
    assert f.metrics.decided == [(Outcome.APPROVED, Route.AUTO_APPROVE)]


def test_a_retried_record_step_does_not_append_a_second_decision() -> None:
    # Given RecordDecision ran and audited, then Lambda retried it for the same execution
    f = Fakes()
    state = a_decided_state(
        a_final("APPROVED", "AUTO"),
        a_routing(Route.AUTO_APPROVE, codes.ADJUDICATION_APPROVED, codes.FRAUD_SCORE_LOW),
        adjudication=an_adjudication(paid(1, "640.00")),
    )
    handle(a_step(state), deps(f, state))
    handle(a_step(state), deps(f, state))
    # Then the chain holds one decision for the one outcome
    assert [e.step for e in f.audit_store.events("CLM-0001")] == ["decision"]


def test_an_auto_denied_claim_pays_nothing() -> None:
    f = Fakes()
    state = a_decided_state(
        a_final("DENIED", "AUTO"),
        a_routing(Route.AUTO_DENY, codes.ADJUDICATION_DENIED, rc.POLICY_LAPSED),
        adjudication=an_adjudication(denied(1, rc.POLICY_LAPSED)),
    )
    record = handle(a_step(state), deps(f, state))
    assert (record.outcome, record.payable) == (Outcome.DENIED, usd("0.00"))
    assert record.reason_codes == [codes.ADJUDICATION_DENIED, rc.POLICY_LAPSED]


@pytest.mark.parametrize(
    ("approve", "outcome", "payable", "code"),
    [(True, "APPROVED", "640.00", codes.REVIEWER_APPROVED), (False, "DENIED", "0.00", codes.REVIEWER_DENIED)],
)
def test_a_human_decision_records_the_reviewer_and_rationale(
    approve: bool, outcome: str, payable: str, code: str
) -> None:
    f = Fakes()
    state = a_decided_state(
        a_final(outcome, "HUMAN"),
        a_routing(Route.HUMAN_REVIEW, codes.ADJUDICATION_APPROVED, codes.FRAUD_SCORE_ELEVATED),
        review=a_review(approve),
    )
    record = handle(a_step(state), deps(f, state))
    assert (record.outcome.value, record.decided_by, record.payable) == (outcome, DecidedBy.HUMAN, usd(payable))
    assert record.reason_codes == [codes.ADJUDICATION_APPROVED, codes.FRAUD_SCORE_ELEVATED, code]
    (event,) = f.audit_store.events("CLM-0001")
    assert event.reviewer_id == "reviewer-7"
    assert event.rationale == "Checked the operative note; the procedure matches the diagnosis."
    assert f.metrics.decided == [(Outcome(outcome), Route.HUMAN_REVIEW)]


def test_a_timed_out_review_is_pended_with_the_escalation_reasons() -> None:
    f = Fakes()
    state = a_decided_state(
        a_final("PENDED", "NONE"),
        a_routing(Route.HUMAN_REVIEW, codes.PARTIAL_OUTCOME, codes.FRAUD_SCORE_LOW),
        escalation=EscalationResult(review_id="REV-" + "1" * 32, notified=True, reason_codes=[rc.REVIEW_TIMED_OUT]),
    )
    record = handle(a_step(state), deps(f, state))
    assert (record.outcome, record.decided_by, record.payable) == (Outcome.PENDED, DecidedBy.NONE, usd("0.00"))
    assert record.reason_codes == [codes.PARTIAL_OUTCOME, codes.FRAUD_SCORE_LOW, rc.REVIEW_TIMED_OUT]


def test_pended_without_an_escalation_result_still_says_why() -> None:
    state = a_decided_state(a_final("PENDED", "NONE"), a_routing(Route.HUMAN_REVIEW, codes.FRAUD_SCORE_HIGH))
    record = handle(a_step(state), deps(Fakes(), state))
    assert record.reason_codes == [codes.FRAUD_SCORE_HIGH, rc.REVIEW_TIMED_OUT]


@pytest.mark.parametrize(
    ("final", "routing", "review"),
    [
        (("APPROVED", "AUTO"), Route.AUTO_DENY, None),  # outcome against the route
        (("DENIED", "AUTO"), Route.HUMAN_REVIEW, None),  # AUTO after a human route
        (("PENDED", "AUTO"), Route.AUTO_APPROVE, None),
        (("APPROVED", "HUMAN"), Route.HUMAN_REVIEW, None),  # no review in state
        (("APPROVED", "HUMAN"), Route.HUMAN_REVIEW, False),  # the reviewer denied
        (("DENIED", "HUMAN"), Route.AUTO_DENY, False),  # a human decided an automatic route
        (("PENDED", "HUMAN"), Route.HUMAN_REVIEW, True),
        (("APPROVED", "NONE"), Route.HUMAN_REVIEW, None),  # NONE only for PENDED
        (("PENDED", "NONE"), Route.AUTO_APPROVE, None),
        (("REJECTED", "AUTO"), Route.AUTO_DENY, None),  # not an outcome this step records
        (("IN_PROGRESS", "NONE"), Route.HUMAN_REVIEW, None),
    ],
)
def test_a_final_decision_that_contradicts_the_state_is_refused(
    final: tuple[str, str], routing: Route, review: bool | None
) -> None:
    f = Fakes()
    state = a_decided_state(a_final(*final), a_routing(routing), review=None if review is None else a_review(review))
    with pytest.raises(ContractViolationError):
        handle(a_step(state), deps(f, state))
    assert f.records.records == {} and f.audit_store.items == {}


def test_missing_state_is_named() -> None:
    state = WorkflowState(source=a_source(), intake=an_intake_result(), final=a_final("APPROVED", "AUTO"))
    with pytest.raises(ContractViolationError, match=r"state\.routing, state\.adjudication"):
        handle(a_step(state), deps(Fakes(), state))


def test_a_review_of_another_claim_is_refused() -> None:
    state = a_decided_state(
        a_final("APPROVED", "HUMAN"), a_routing(Route.HUMAN_REVIEW), review=a_review(True, claim_id="CLM-0002")
    )
    with pytest.raises(ContractViolationError, match="another claim"):
        handle(a_step(state), deps(Fakes(), state))


# --- the payer's answers, written next to the decision ------------------------------------------


def test_a_decided_claim_gets_a_claim_response_and_an_x12_claim_an_835_too() -> None:
    f = Fakes()
    state = a_decided_state(
        a_final("APPROVED", "AUTO"),
        a_routing(Route.AUTO_APPROVE, codes.ADJUDICATION_APPROVED),
        adjudication=an_adjudication(paid(1, "640.00"), denied(2, rc.PRIOR_AUTH_REQUIRED)),
    )
    step_deps = deps(f, state)
    handle(a_step(state), step_deps)
    answers = f.answers.answers["CLM-0001"]
    assert answers.claim_response["payment"]["amount"] == {"value": 640.0, "currency": "USD"}
    assert answers.remittance is None  # an ICPA JSON claim: no 835
    x12 = ClaimSource(format="x12-837p", patient_control_number="PCN-1", sender_id="SUBMITTER", receiver_id="ICPA")
    f.documents.put(claim_for(state, source=x12))
    handle(a_step(state), step_deps)  # the same claim, had it come as an 837
    remittance = f.answers.answers["CLM-0001"].remittance
    assert remittance is not None and "CLP*PCN-1*1*690*640" in remittance and "CAS*CO*197*50" in remittance


def test_a_denied_claim_answers_with_the_denial_and_a_pended_one_not_at_all() -> None:
    f = Fakes()
    state = a_decided_state(
        a_final("DENIED", "HUMAN"),
        a_routing(Route.HUMAN_REVIEW, codes.ADJUDICATION_APPROVED),
        review=a_review(approve=False),
    )
    handle(a_step(state), deps(f, state))
    response = f.answers.answers["CLM-0001"].claim_response
    assert response["payment"]["amount"]["value"] == 0.0
    reasons = [
        c["code"] for entry in response["item"][0]["adjudication"] for c in entry.get("reason", {}).get("coding", [])
    ]
    assert codes.REVIEWER_DENIED in reasons and "96" in reasons  # the ICPA code and its CARC
    pended = Fakes()
    state = a_decided_state(a_final("PENDED", "NONE"), a_routing(Route.HUMAN_REVIEW, codes.FRAUD_SCORE_HIGH))
    handle(a_step(state), deps(pended, state))
    assert pended.answers.writes == 0


def test_a_missing_claim_document_fails_the_step_with_a_typed_error() -> None:
    f = Fakes()
    state = a_decided_state(a_final("APPROVED", "AUTO"), a_routing(Route.AUTO_APPROVE, codes.ADJUDICATION_APPROVED))
    step_deps = deps(f, state)
    f.documents.claims.clear()
    with pytest.raises(ClaimNotFoundError):
        handle(a_step(state), step_deps)
    assert f.audit_store.events("CLM-0001") == []  # not audited as decided: the step fails and is retried or caught


def _routed(f: Fakes) -> WorkflowState:
    """An auto-approved state whose routing result carries the Router's head."""
    head = an_appended_head(f.audit_store, "CLM-0001", "router")
    routing = a_routing(Route.AUTO_APPROVE, codes.ADJUDICATION_APPROVED, codes.FRAUD_SCORE_LOW)
    return a_decided_state(a_final("APPROVED", "AUTO"), routing.model_copy(update={"audit_head": head}))


def test_the_decision_is_audited_on_the_routers_head_without_reading_the_chain() -> None:
    f = Fakes()
    state = _routed(f)
    assert state.routing is not None and state.routing.audit_head is not None
    f.audit_store.reads = 0

    handle(a_step(state), deps(f, state))

    assert f.audit_store.reads == 0
    router_event, decision_event = f.audit_store.events("CLM-0001")
    assert (decision_event.step, decision_event.previous_hash) == ("decision", state.routing.audit_head.hash)
    assert verify_chain([router_event, decision_event]).ok


def test_after_a_reviewers_event_the_decision_goes_after_it_not_on_the_routers_head() -> None:
    # Given the Router's head in state, then a reviewer's event the state does not carry
    f = Fakes()
    state = _routed(f)
    an_appended_head(f.audit_store, "CLM-0001", "review_decided")

    handle(a_step(state), deps(f, state))
    handle(a_step(state), deps(f, state))  # and a Lambda retry after it

    # Then the decision was appended once, after the reviewer's event: one chain, no fork
    events = f.audit_store.events("CLM-0001")
    assert [e.step for e in events] == ["router", "review_decided", "decision"]
    assert verify_chain(events).ok


def test_after_a_review_the_decision_reads_the_chain_instead_of_trying_the_routers_head() -> None:
    # Given a reviewed claim: the Router's head in state, the review's events after it
    f = Fakes()
    head = an_appended_head(f.audit_store, "CLM-0001", "router")
    an_appended_head(f.audit_store, "CLM-0001", "review_requested")
    routing = a_routing(Route.HUMAN_REVIEW, codes.ADJUDICATION_APPROVED, codes.FRAUD_SCORE_ELEVATED)
    state = a_decided_state(
        a_final("APPROVED", "HUMAN"), routing.model_copy(update={"audit_head": head}), review=a_review(True)
    )

    handle(a_step(state), deps(f, state))

    # Then no put was refused: it read the chain first (the Router's head is known to be stale)
    assert f.audit_store.refused == 0
    assert [e.step for e in f.audit_store.events("CLM-0001")] == ["router", "review_requested", "decision"]
