"""One object, one decision: a redelivered S3 event's execution learns from Intake (or from the
quarantine step) that another execution owns the object's decision, and adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

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


def test_a_redelivery_leaves_the_owners_document_as_its_steps_read_it(world: World) -> None:
    """The owner's Fraud and Adjudication read the document Intake wrote, with the policy it was
    validated against: a redelivery (of an object whose policy changed meanwhile) must not
    replace it under them."""
    world.sources.add("claims/a.json", fixture_bytes("icpa_claim.json"))
    first = accept_upload(step_for("claims/a.json"), world.intake_deps())
    written = world.documents.stored[first.claim_uri]
    policy = world.policies.by_id["POL-GOLD001"]
    world.policies.by_id["POL-GOLD001"] = policy.model_copy(update={"benefits_paid_to_date": policy.deductible_met})

    step = step_for("claims/a.json").model_copy(update={"execution_id": REDELIVERY})
    second = accept_upload(step, world.intake_deps())

    assert second.delivery is not None and second.delivery.role is DeliveryRole.DUPLICATE
    assert world.documents.puts == 1 and world.documents.stored[first.claim_uri] == written
    assert second.audit_head is None  # it appended nothing, and ends with the owner's decision


def test_the_owners_retry_writes_its_document_again_and_finds_its_event(world: World) -> None:
    """A Lambda retry of the owner after a failure between registration and document (the
    registration stands): the document is written, and the event is appended once."""
    world.sources.add("claims/a.json", fixture_bytes("icpa_claim.json"))
    first = accept_upload(step_for("claims/a.json"), world.intake_deps())
    del world.documents.stored[first.claim_uri]

    retried = accept_upload(step_for("claims/a.json"), world.intake_deps())

    assert retried.delivery is not None and retried.delivery.role is DeliveryRole.OWNER
    assert first.claim_uri in world.documents.stored
    assert len(world.audit.events(first.claim_id)) == 1 and retried.audit_head == first.audit_head


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


def test_a_redelivery_finds_an_intake_event_written_before_rfc8785() -> None:
    """The audit chain moved to RFC 8785: an event recorded in the legacy form digested its input
    in that form, and a redelivery must still recognise it instead of appending a second one."""
    from icpa_intake.usecases.intake import record_once
    from icpa_shared.audit import AuditRecorder, event_hash
    from icpa_shared.contracts import AuditEvent
    from icpa_shared.digest import LEGACY_FORM, sha256_hex
    from icpa_shared.testing.fakes import MemoryAuditStore

    claim_id, seen = "CLM-2019-0001", {"source_id": "s3://inbox/claims/Z\u00fcrich-\u20ac.json"}
    later: dict[str, Any] = {"output_value": {"outcome": "ACCEPTED"}, "occurred_at": datetime(2019, 5, 1, tzinfo=UTC)}
    recorded = MemoryAuditStore()
    AuditRecorder(store=recorded, service="intake", service_version="1.0.0").record(
        claim_id=claim_id, step="intake", input_value=seen, decision="ACCEPTED", **later
    )
    (current,) = recorded.events(claim_id)
    fields = {**current.model_dump(mode="json"), "canonical": LEGACY_FORM}
    fields["input_digest"] = sha256_hex(seen, LEGACY_FORM)  # as the pre-RFC 8785 code digested it
    legacy = AuditEvent.model_validate({**fields, "hash": event_hash(fields)})
    assert legacy.input_digest != sha256_hex(seen)  # non-ASCII: the two forms' bytes differ
    store = MemoryAuditStore()
    assert store.append(legacy)

    found = record_once(
        store, version="1.1.0", claim_id=claim_id, step="intake", input_value=seen, decision="ACCEPTED", **later
    )

    assert found == legacy and store.events(claim_id) == [legacy]
