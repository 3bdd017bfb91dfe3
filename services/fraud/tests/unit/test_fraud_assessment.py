"""Fraud's use case with fakes: what it looks up, what it returns, what it audits."""

from __future__ import annotations

from datetime import date

import pytest
from fraud_testkit import (
    EXECUTION_ID,
    NOW,
    WATCHLISTED_NPI,
    FakeHistory,
    FakePolicies,
    RecordingModel,
    fraud_deps,
    on_file,
    step_for,
)

from icpa_fraud.handler import handle
from icpa_fraud.usecase import FraudDeps
from icpa_shared.audit import head_of, verify_chain
from icpa_shared.contracts import AuditHead, Claim, ClaimDocument, PolicySnapshot, StepInput, WorkflowState
from icpa_shared.errors import ContractViolationError
from icpa_shared.testing.builders import a_claim, a_line, a_policy, a_source, an_intake_result, usd
from icpa_shared.testing.fakes import MemoryAuditStore, an_appended_head


def test_a_clean_claim_is_scored_zero_by_the_rules_and_audited() -> None:
    claim = a_claim()
    deps = fraud_deps(claim)

    assessment = handle(step_for(claim), deps)

    assert (assessment.claim_id, assessment.score, assessment.rules_score) == ("CLM-0001", 0.0, 0.0)
    assert (assessment.signals, assessment.model, assessment.assessed_at) == ([], None, NOW)
    events = deps.audit.events("CLM-0001")  # type: ignore[attr-defined]
    assert [(e.step, e.decision, e.service, e.reason_codes) for e in events] == [("fraud", "SCORED", "fraud", [])]
    assert events[0].execution_id == EXECUTION_ID
    assert verify_chain(events).ok


def test_history_is_looked_up_by_member_and_provider_over_the_claims_windows() -> None:
    claim = a_claim()
    history = FakeHistory()

    handle(step_for(claim), fraud_deps(claim, history=history))

    assert history.calls == [
        ("member", "MBR000001", date(2026, 2, 26), date(2026, 3, 4)),
        ("provider", "1234567893", date(2026, 2, 26), date(2026, 3, 1)),
    ]


def test_an_exact_duplicate_with_a_model_is_scored_blended_and_audited_with_the_model() -> None:
    # Given a duplicate of CLM-0100 and a model answering 0.5
    claim = a_claim()
    model = RecordingModel(score=0.5)
    deps = fraud_deps(claim, [on_file("CLM-0100")], model=model)

    # When it is assessed
    assessment = handle(step_for(claim), deps)

    # Then the rules say 0.9, the blend 0.7 * 0.9 + 0.3 * 0.5 = 0.78
    assert assessment.signal_codes == ["EXACT_DUPLICATE"]
    assert (assessment.rules_score, assessment.score) == (0.9, 0.78)
    assert assessment.model is not None and assessment.model.model_id == "test-model"
    # and the model saw the history count and the signal, never the member
    seen = model.seen[0]
    assert (seen.member_claims_in_window, [s.code for s in seen.signals]) == (1, ["EXACT_DUPLICATE"])
    event = deps.audit.events("CLM-0001")[0]  # type: ignore[attr-defined]
    assert (event.reason_codes, event.model_id, event.model_version) == (["EXACT_DUPLICATE"], "test-model", "7")


def test_several_signals_make_the_score_together() -> None:
    # Given a watchlisted provider (0.6) billing a 99215 at 2400.00 (extreme outlier, 0.6)
    claim = a_claim(provider_npi=WATCHLISTED_NPI, lines=[a_line(1, procedure_code="99215", charge=usd("2400.00"))])

    assessment = handle(step_for(claim), fraud_deps(claim))

    # Then 1 - (1 - 0.6)(1 - 0.6) = 0.84
    assert assessment.signal_codes == ["CHARGE_OUTLIER", "PROVIDER_WATCHLIST"]
    assert assessment.score == assessment.rules_score == 0.84


def test_a_policy_that_ended_before_the_service_is_outside_coverage() -> None:
    claim = a_claim()
    policies = FakePolicies({"POL-GOLD001": a_policy(effective_from=date(2025, 1, 1), effective_to=date(2025, 12, 31))})

    assessment = handle(step_for(claim), fraud_deps(claim, policies=policies))

    assert assessment.signal_codes == ["OUTSIDE_COVERAGE_DATES"]


def test_without_the_intake_result_in_state_it_is_a_contract_violation() -> None:
    step = StepInput(state=WorkflowState(source=a_source()), execution_id=EXECUTION_ID)

    with pytest.raises(ContractViolationError):
        handle(step, fraud_deps(a_claim()))


def test_a_document_of_another_claim_is_a_contract_violation() -> None:
    claim = a_claim()
    step = StepInput(
        state=WorkflowState(source=a_source(), intake=an_intake_result(claim, claim_id="CLM-9999")),
        execution_id=EXECUTION_ID,
    )
    deps = fraud_deps(claim)
    deps.documents.by_uri["s3://icpa-documents/claims/CLM-9999.json"] = claim  # type: ignore[attr-defined]

    with pytest.raises(ContractViolationError):
        handle(step, deps)


def _after_intake(claim: Claim, deps: FraudDeps) -> tuple[StepInput, AuditHead]:
    """Intake's event on the claim's chain, and the AssessFraud input carrying its head."""
    head = an_appended_head(deps.audit, claim.claim_id, "intake", EXECUTION_ID)  # type: ignore[arg-type]
    step = step_for(claim)
    intake = an_intake_result(claim, audit_head=head)
    return step.model_copy(update={"state": step.state.model_copy(update={"intake": intake})}), head


def test_the_assessment_is_audited_on_intakes_head_without_reading_the_chain() -> None:
    # Given Intake's head in state
    claim = a_claim()
    deps = fraud_deps(claim)
    step, intake_head = _after_intake(claim, deps)
    store: MemoryAuditStore = deps.audit  # type: ignore[assignment]
    store.reads = 0

    assessment = handle(step, deps)

    # Then the event follows Intake's, no chain read, and the result carries the new head
    intake_event, fraud_event = store.events(claim.claim_id)
    assert store.reads == 1  # the line above's
    assert (fraud_event.step, fraud_event.previous_hash) == ("fraud", intake_head.hash)
    assert assessment.audit_head == head_of(fraud_event)
    assert verify_chain([intake_event, fraud_event]).ok


def test_an_assessment_retried_after_its_audit_write_adds_no_second_event() -> None:
    claim = a_claim()
    deps = fraud_deps(claim)
    step, _ = _after_intake(claim, deps)

    first = handle(step, deps)
    again = handle(step, deps)  # the ASL's Retry: the same input, the same (now stale) head

    events = deps.audit.events(claim.claim_id)  # type: ignore[attr-defined]
    assert [e.step for e in events] == ["intake", "fraud"] and verify_chain(events).ok
    assert again.audit_head == first.audit_head == head_of(events[1])


def test_the_claim_is_screened_on_the_policy_intake_validated_it_against_not_the_tables() -> None:
    # Given a document holding the policy as Intake read it (ended before the service), and a
    # table that no longer has it
    claim = a_claim()
    ended = a_policy(effective_from=date(2025, 1, 1), effective_to=date(2025, 12, 31))
    document = ClaimDocument.of(claim, PolicySnapshot.of(ended, read_at=NOW))

    assessment = handle(step_for(claim), fraud_deps(document, policies=FakePolicies({})))

    # Then it is screened on the snapshot, with no read of the table
    assert assessment.signal_codes == ["OUTSIDE_COVERAGE_DATES"]


def test_a_document_written_before_snapshots_is_screened_on_the_policy_on_file() -> None:
    claim = a_claim()  # no snapshot: an execution started before Intake stored one
    on_file = a_policy(effective_from=date(2025, 1, 1), effective_to=date(2025, 12, 31))

    assessment = handle(step_for(claim), fraud_deps(claim, policies=FakePolicies({"POL-GOLD001": on_file})))

    assert assessment.signal_codes == ["OUTSIDE_COVERAGE_DATES"]
