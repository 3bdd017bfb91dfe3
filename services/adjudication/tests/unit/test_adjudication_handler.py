"""handle(): the handler's core with fakes for every port."""

from __future__ import annotations

import pytest
from adjudication_testkit import (
    MemoryClaims,
    MemoryFeeSchedules,
    MemoryPolicies,
    ScriptedExplainer,
    World,
    a_fee_schedule,
)

from icpa_adjudication import __version__
from icpa_adjudication.domain.errors import UnknownFeeScheduleError
from icpa_adjudication.domain.explanation import TemplateExplainer
from icpa_adjudication.handler import handle
from icpa_shared.audit import head_of, verify_chain
from icpa_shared.contracts import AdjudicationOutcome, AuditHead, Claim, ClaimDocument, FraudAssessment, PolicySnapshot
from icpa_shared.contracts import reasons as rc
from icpa_shared.errors import ClaimNotFoundError, ContractViolationError, ModelThrottledError, UnknownPolicyError
from icpa_shared.testing.builders import FIXED_NOW, a_claim, a_line, a_policy, a_step, an_intake_result, usd
from icpa_shared.testing.fakes import MemoryAuditStore, an_appended_head

pytestmark = pytest.mark.unit


def world(claim: Claim, **kwargs: object) -> World:
    defaults: dict[str, object] = {
        "claims": MemoryClaims(claim),
        "policies": MemoryPolicies(a_policy(deductible_met=usd("500.00"), excluded_procedures=["15780"])),
        "fee_schedules": MemoryFeeSchedules(a_fee_schedule()),
        "audit_store": MemoryAuditStore(),
        "explainer": TemplateExplainer(),
    }
    defaults.update(kwargs)
    return World(**defaults)  # type: ignore[arg-type]


def test_adjudicates_the_claim_in_state_explains_it_and_audits_it() -> None:
    # Given a claim with a covered office visit and an excluded procedure
    claim = a_claim(lines=[a_line(1), a_line(2, procedure_code="15780", charge=usd("900.00"))])
    w = world(claim)
    # When the step runs
    result = handle(a_step(intake=an_intake_result(claim)), w.deps)
    # Then: PARTIAL, line 1 pays 73.60 (92.00 less 20% coinsurance), line 2 excluded
    assert result.outcome is AdjudicationOutcome.PARTIAL
    assert result.totals.payable == usd("73.60")
    assert result.reason_codes == [rc.NOT_COVERED, rc.EXCLUDED_SERVICE]
    assert result.explanation and result.explanation.startswith("Outcome: PARTIAL.")
    assert result.explanation_model_id is None
    assert result.adjudicated_at == w.now and result.service_version == __version__
    # And one audit event records the decision
    (event,) = w.audit_store.events(claim.claim_id)
    assert (event.step, event.decision, event.reason_codes) == ("adjudication", "PARTIAL", result.reason_codes)
    assert event.execution_id and event.execution_id.endswith(":test-1")
    assert verify_chain([event]).ok


def test_a_model_drafted_explanation_is_attributed_to_the_model() -> None:
    claim = a_claim()
    explainer = ScriptedExplainer()
    w = world(claim, explainer=explainer)
    result = handle(a_step(intake=an_intake_result(claim)), w.deps)
    assert result.explanation and result.explanation.startswith("Drafted: ")
    assert result.explanation_model_id == "bedrock-agent/AGENT00001"
    (event,) = w.audit_store.events(claim.claim_id)
    assert (event.model_id, event.model_version) == ("bedrock-agent/AGENT00001", "ALIAS00001")
    # the explainer saw the computed result: amounts were settled before it was asked
    assert explainer.calls[0].totals == result.totals and explainer.calls[0].explanation is None


def test_a_throttled_explainer_fails_the_step_before_anything_is_audited() -> None:
    claim = a_claim()
    w = world(claim, explainer=ScriptedExplainer(error=ModelThrottledError("slow down")))
    with pytest.raises(ModelThrottledError):
        handle(a_step(intake=an_intake_result(claim)), w.deps)
    assert w.audit_store.events(claim.claim_id) == []


def test_state_without_intake_is_a_contract_violation() -> None:
    w = world(a_claim())
    with pytest.raises(ContractViolationError, match="intake"):
        handle(a_step(), w.deps)


def test_a_document_for_another_claim_is_a_contract_violation() -> None:
    stored = a_claim(claim_id="CLM-0002")
    w = world(stored)
    intake = an_intake_result(a_claim(), claim_uri="s3://icpa-documents/claims/CLM-0002.json")
    with pytest.raises(ContractViolationError):
        handle(a_step(intake=intake), w.deps)


def test_a_missing_claim_document_is_claim_not_found() -> None:
    w = world(a_claim(claim_id="CLM-0002"))
    with pytest.raises(ClaimNotFoundError):
        handle(a_step(intake=an_intake_result(a_claim())), w.deps)


def test_an_unknown_policy_is_unknown_policy_error() -> None:
    claim = a_claim(policy_id="POL-NOPE0001")
    w = world(claim)
    with pytest.raises(UnknownPolicyError):
        handle(a_step(intake=an_intake_result(claim)), w.deps)
    assert w.audit_store.events(claim.claim_id) == []


def test_an_unknown_fee_schedule_is_its_own_error() -> None:
    claim = a_claim()
    w = world(claim, fee_schedules=MemoryFeeSchedules())
    with pytest.raises(UnknownFeeScheduleError):
        handle(a_step(intake=an_intake_result(claim)), w.deps)


def test_the_decision_is_audited_on_the_newest_head_in_state_without_reading_the_chain() -> None:
    # Given Intake's and Fraud's events, their heads in state (Fraud's the newer)
    claim = a_claim()
    w = world(claim)
    intake_head = an_appended_head(w.audit_store, claim.claim_id, "intake")
    fraud_head = an_appended_head(w.audit_store, claim.claim_id, "fraud")
    step = a_step(intake=an_intake_result(claim, audit_head=intake_head), fraud=a_fraud_with(claim, fraud_head))
    w.audit_store.reads = 0

    result = handle(step, w.deps)

    # Then the event follows Fraud's, no chain read, and the result carries the new head
    assert w.audit_store.reads == 0
    *_, event = w.audit_store.events(claim.claim_id)
    assert (event.step, event.sequence, event.previous_hash) == ("adjudication", 3, fraud_head.hash)
    assert result.audit_head == head_of(event)
    assert verify_chain(w.audit_store.events(claim.claim_id)).ok


def test_a_decision_retried_after_its_audit_write_adds_no_second_event() -> None:
    claim = a_claim()
    w = world(claim)
    head = an_appended_head(w.audit_store, claim.claim_id, "intake")
    step = a_step(intake=an_intake_result(claim, audit_head=head))

    first = handle(step, w.deps)
    again = handle(step, w.deps)  # the ASL's Retry: the same input, its head now stale

    events = w.audit_store.events(claim.claim_id)
    assert [e.step for e in events] == ["intake", "adjudication"] and verify_chain(events).ok
    assert again.audit_head == first.audit_head == head_of(events[1])


def a_fraud_with(claim: Claim, head: AuditHead) -> FraudAssessment:
    return FraudAssessment(
        claim_id=claim.claim_id,
        score=0.0,
        rules_score=0.0,
        service_version="1.2.0",
        assessed_at=FIXED_NOW,
        audit_head=head,
    )


def test_the_claim_is_adjudicated_on_the_policy_intake_validated_it_against_not_the_tables() -> None:
    # Given a document holding the policy as Intake read it (the office visit excluded), and a
    # table that no longer has the policy at all
    claim = a_claim()
    as_read = a_policy(deductible_met=usd("500.00"), excluded_procedures=["99213"])
    w = world(ClaimDocument.of(claim, PolicySnapshot.of(as_read, read_at=FIXED_NOW)), policies=MemoryPolicies())

    result = handle(a_step(intake=an_intake_result(claim)), w.deps)

    # Then it is adjudicated on the snapshot (no UnknownPolicyError: the table was not read)
    assert result.outcome is AdjudicationOutcome.DENIED and result.reason_codes == [rc.EXCLUDED_SERVICE]
