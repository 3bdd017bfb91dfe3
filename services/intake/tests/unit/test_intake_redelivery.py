"""One object, one decision: a redelivered S3 event's execution learns from Intake (or from the
quarantine step) that another execution owns the object's decision, and adds nothing."""

from __future__ import annotations

from intake_testkit import EXECUTION_ID, World, fixture_bytes, step_for

from icpa_intake.usecases.intake import accept_upload
from icpa_intake.usecases.quarantine import quarantine_claim
from icpa_shared.contracts import DeliveryRole, Outcome, StepError, reasons
from icpa_shared.errors import InvalidClaimError

REDELIVERY = EXECUTION_ID.replace("test-1", "test-2")


def test_the_first_execution_owns_the_decision_and_a_retry_of_it_still_does(world: World) -> None:
    world.sources.add("claims/a.json", fixture_bytes("icpa_claim.json"))

    first = accept_upload(step_for("claims/a.json"), world.intake_deps())
    retried = accept_upload(step_for("claims/a.json"), world.intake_deps())

    assert first.delivery is not None and first.delivery.role is DeliveryRole.OWNER
    assert retried.delivery == first.delivery


def test_a_redelivery_is_a_duplicate_pointing_to_the_owner(world: World) -> None:
    # Given an object accepted by one execution, still deciding
    world.sources.add("claims/a.json", fixture_bytes("icpa_claim.json"))
    accept_upload(step_for("claims/a.json"), world.intake_deps())

    # When the same event starts another execution
    step = step_for("claims/a.json").model_copy(update={"execution_id": REDELIVERY})
    second = accept_upload(step, world.intake_deps())

    # Then it is told it is a duplicate of the first, and nothing more was written or audited
    assert second.delivery is not None
    assert (second.delivery.role, second.delivery.owner_execution_id) == (DeliveryRole.DUPLICATE, EXECUTION_ID)
    assert second.delivery.reason == reasons.DUPLICATE_DELIVERY
    assert second.delivery.outcome is Outcome.IN_PROGRESS
    assert world.claims.writes == 1
    assert len(world.audit.events(second.claim_id)) == 1


def test_a_redelivery_of_a_rejected_object_ends_with_the_first_quarantine(world: World) -> None:
    world.sources.add("claims/bad.json", fixture_bytes("icpa_claim.json"))
    exc = InvalidClaimError("claim rejected", reasons=["TOTAL_MISMATCH"])
    error = StepError(error="InvalidClaimError", cause=f'{{"errorMessage": "{exc}", "errorType": "InvalidClaimError"}}')
    first = quarantine_claim(step_for("claims/bad.json", error=error), world.quarantine_deps())

    step = step_for("claims/bad.json", error=error).model_copy(update={"execution_id": REDELIVERY})
    second = quarantine_claim(step, world.quarantine_deps())

    assert (second.claim_id, second.outcome, second.reason_codes) == (first.claim_id, first.outcome, first.reason_codes)
    assert second.quarantine_uri == first.quarantine_uri
    assert second.delivery is not None and second.delivery.role is DeliveryRole.DUPLICATE
    assert (second.delivery.owner_execution_id, second.delivery.reason) == (EXECUTION_ID, reasons.ALREADY_DECIDED)
    assert [e.step for e in world.audit.events(first.claim_id)] == ["quarantine"]
    assert world.claims.items[first.claim_id]["record"].execution_id == EXECUTION_ID
