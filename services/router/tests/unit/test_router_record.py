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
    denied,
    paid,
)

from icpa_router import __version__
from icpa_router.domain import codes
from icpa_router.handlers.record import handle
from icpa_router.usecases.record import RecordDeps
from icpa_shared.audit import verify_chain
from icpa_shared.contracts import DecidedBy, EscalationResult, Outcome, Route, WorkflowState
from icpa_shared.contracts import reasons as rc
from icpa_shared.errors import ContractViolationError
from icpa_shared.testing.builders import a_source, a_step, an_intake_result, usd

pytestmark = pytest.mark.unit


def deps(f: Fakes) -> RecordDeps:
    return RecordDeps(records=f.records, audit=f.audit, metrics=f.metrics, annotate=f.annotations, clock=lambda: f.now)


def test_an_auto_approved_claim_is_recorded_with_its_payable() -> None:
    f = Fakes()
    state = a_decided_state(
        a_final("APPROVED", "AUTO"),
        a_routing(Route.AUTO_APPROVE, codes.ADJUDICATION_APPROVED, codes.FRAUD_SCORE_LOW),
        adjudication=an_adjudication(paid(1, "640.00"), paid(2, "12.50")),
    )
    record = handle(a_step(state), deps(f))
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
    handle(a_step(state), deps(f))
    handle(a_step(state), deps(f))
    # Then the chain holds one decision for the one outcome
    assert [e.step for e in f.audit_store.events("CLM-0001")] == ["decision"]


def test_an_auto_denied_claim_pays_nothing() -> None:
    f = Fakes()
    state = a_decided_state(
        a_final("DENIED", "AUTO"),
        a_routing(Route.AUTO_DENY, codes.ADJUDICATION_DENIED, rc.POLICY_LAPSED),
        adjudication=an_adjudication(denied(1, rc.POLICY_LAPSED)),
    )
    record = handle(a_step(state), deps(f))
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
    record = handle(a_step(state), deps(f))
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
    record = handle(a_step(state), deps(f))
    assert (record.outcome, record.decided_by, record.payable) == (Outcome.PENDED, DecidedBy.NONE, usd("0.00"))
    assert record.reason_codes == [codes.PARTIAL_OUTCOME, codes.FRAUD_SCORE_LOW, rc.REVIEW_TIMED_OUT]


def test_pended_without_an_escalation_result_still_says_why() -> None:
    state = a_decided_state(a_final("PENDED", "NONE"), a_routing(Route.HUMAN_REVIEW, codes.FRAUD_SCORE_HIGH))
    record = handle(a_step(state), deps(Fakes()))
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
        handle(a_step(state), deps(f))
    assert f.records.records == {} and f.audit_store.items == {}


def test_missing_state_is_named() -> None:
    state = WorkflowState(source=a_source(), intake=an_intake_result(), final=a_final("APPROVED", "AUTO"))
    with pytest.raises(ContractViolationError, match=r"state\.routing, state\.adjudication"):
        handle(a_step(state), deps(Fakes()))


def test_a_review_of_another_claim_is_refused() -> None:
    state = a_decided_state(
        a_final("APPROVED", "HUMAN"), a_routing(Route.HUMAN_REVIEW), review=a_review(True, claim_id="CLM-0002")
    )
    with pytest.raises(ContractViolationError, match="another claim"):
        handle(a_step(state), deps(Fakes()))
