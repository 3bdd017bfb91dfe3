"""Intake's use case with in-memory fakes: accepted claims, duplicates and redeliveries."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from intake_testkit import EXECUTION_ID, NOW, World, fixture_bytes, fixture_json, step_for

from icpa_intake.handlers.intake import handle
from icpa_intake.usecases.intake import accept_upload
from icpa_shared.audit import head_of, verify_chain
from icpa_shared.contracts import Outcome
from icpa_shared.digest import sha256_hex
from icpa_shared.errors import ClaimNotFoundError, InvalidClaimError


def test_an_icpa_claim_is_accepted_stored_registered_and_audited(world: World) -> None:
    # Given an ICPA claim file in the inbox
    data = fixture_bytes("icpa_claim.json")
    world.sources.add("claims/a.json", data)

    # When Intake runs for it
    result = handle(step_for("claims/a.json"), world.intake_deps())

    # Then the result describes the normalized claim and the original bytes
    assert result.claim_id == "CLM-I0001"
    assert result.claim_uri == "s3://icpa-documents/claims/CLM-I0001.json"
    assert result.claim_digest == sha256_hex(data)
    assert (result.source_format, result.line_count) == ("icpa", 2)
    assert result.total_charge.amount == Decimal("178.00")
    assert str(result.received_date) == "2026-03-04"
    # and the normalized claim is stored, the id registered IN_PROGRESS, one audit event written
    assert world.documents.stored[result.claim_uri].claim_id == "CLM-I0001"
    item = world.claims.items["CLM-I0001"]
    assert item["record"].outcome is Outcome.IN_PROGRESS
    assert item["record"].claim_uri == result.claim_uri
    assert item["record"].execution_id == EXECUTION_ID
    assert item["index"].service_date.isoformat() == "2026-03-01"
    assert [line.procedure_code for line in item["index"].lines] == ["99213", "85025"]
    assert item["source_id"] == "s3://icpa-inbox/claims/a.json#etag=etag-1"
    events = world.audit.events("CLM-I0001")
    assert [(e.step, e.decision, e.service) for e in events] == [("intake", "ACCEPTED", "intake")]
    assert events[0].occurred_at == NOW
    assert verify_chain(events).ok
    # and the result carries that event's head, for Fraud to append on without a chain read
    assert result.audit_head == head_of(events[0])


def test_a_fhir_claim_is_accepted_as_fhir(world: World) -> None:
    world.sources.add("claims/f.json", fixture_bytes("fhir_claim_contained.json"))

    result = handle(step_for("claims/f.json"), world.intake_deps())

    assert (result.claim_id, result.source_format, result.line_count) == ("CLM-F0001", "fhir", 2)
    stored = world.documents.stored[result.claim_uri]
    assert stored.patient is not None and stored.member_id == "MBR000002"
    assert stored.source is not None and stored.source.format == "fhir-claim"


def test_the_provenance_is_the_format_read_whatever_the_file_claims(world: World) -> None:
    body = fixture_json("icpa_claim.json")
    body["source"] = {"format": "x12-837p", "interchange_control_number": "999"}
    world.sources.add("claims/s.json", json.dumps(body).encode())

    result = handle(step_for("claims/s.json"), world.intake_deps())

    stored = world.documents.stored[result.claim_uri]
    assert stored.source is not None and stored.source.model_dump(exclude_none=True) == {"format": "icpa-json"}


def test_an_invalid_claim_raises_with_all_reasons_and_writes_nothing(world: World) -> None:
    body = fixture_json("icpa_claim.json")
    body["policy_id"] = "POL-NOPE999"
    body["total_charge"]["amount"] = "1.00"
    world.sources.add("claims/bad.json", json.dumps(body).encode())

    with pytest.raises(InvalidClaimError) as caught:
        handle(step_for("claims/bad.json"), world.intake_deps())

    assert caught.value.reasons == ("TOTAL_MISMATCH", "UNKNOWN_POLICY")
    assert world.claims.items == {} and world.documents.stored == {} and world.audit.by_claim == {}


def test_a_file_larger_than_the_limit_is_rejected_as_too_large(world: World) -> None:
    world.sources.add("claims/big.json", b"{" + b" " * 5000 + b"}")

    with pytest.raises(InvalidClaimError) as caught:
        handle(step_for("claims/big.json"), world.intake_deps(max_file_bytes=4096))

    assert caught.value.reasons == ("FILE_TOO_LARGE",)


def test_a_missing_object_is_claim_not_found(world: World) -> None:
    with pytest.raises(ClaimNotFoundError) as caught:
        handle(step_for("claims/gone.json"), world.intake_deps())

    assert caught.value.reasons == ("SOURCE_NOT_FOUND",)


def test_the_same_object_delivered_twice_registers_and_audits_once(world: World) -> None:
    # Given a claim already accepted from this object
    world.sources.add("claims/a.json", fixture_bytes("icpa_claim.json"))
    first = accept_upload(step_for("claims/a.json"), world.intake_deps())

    # When the same object is delivered again
    second = accept_upload(step_for("claims/a.json"), world.intake_deps())

    # Then the result is the same and nothing was written twice
    assert second == first
    assert world.claims.writes == 1
    assert len(world.audit.events("CLM-I0001")) == 1
    assert second.audit_head == head_of(world.audit.events("CLM-I0001")[0])  # the event found again


def test_another_object_with_a_claim_id_on_file_is_a_duplicate(world: World) -> None:
    # Given CLM-I0001 accepted from one object
    world.sources.add("claims/a.json", fixture_bytes("icpa_claim.json"))
    first = accept_upload(step_for("claims/a.json"), world.intake_deps())
    original_document = world.documents.stored[first.claim_uri]

    # When a different object carries the same claim id (with other content)
    body = fixture_json("icpa_claim.json")
    body["lines"][1]["charge"]["amount"] = "30.00"
    body["total_charge"]["amount"] = "180.00"
    world.sources.add("claims/b.json", json.dumps(body).encode())
    with pytest.raises(InvalidClaimError) as caught:
        accept_upload(step_for("claims/b.json", etag="etag-2"), world.intake_deps())

    # Then it is rejected, and the accepted claim's document and record are untouched
    assert caught.value.reasons == ("DUPLICATE_CLAIM_ID",)
    assert world.documents.stored[first.claim_uri] == original_document
    assert world.claims.items["CLM-I0001"]["source_id"].endswith("claims/a.json#etag=etag-1")


def test_a_claim_id_whose_submission_was_rejected_may_be_resubmitted(world: World) -> None:
    # Given CLM-I0001 quarantined as REJECTED from an earlier object
    world.sources.add("claims/a.json", fixture_bytes("icpa_claim.json"))
    accept_upload(step_for("claims/a.json"), world.intake_deps())
    world.claims.items["CLM-I0001"]["outcome"] = "REJECTED"

    # When a corrected file with that id arrives
    world.sources.add("claims/a2.json", fixture_bytes("icpa_claim.json"))
    result = accept_upload(step_for("claims/a2.json", etag="etag-2"), world.intake_deps())

    # Then it takes the id over
    assert result.claim_id == "CLM-I0001"
    assert world.claims.items["CLM-I0001"]["source_id"].endswith("claims/a2.json#etag=etag-2")
    # and its event goes after the one on the chain: the put as a new chain's first was refused
    events = world.audit.events("CLM-I0001")
    assert world.audit.refused == 1
    assert [e.sequence for e in events] == [1, 2] and verify_chain(events).ok
    assert result.audit_head == head_of(events[1])


def test_the_policy_is_looked_up_once_by_the_id_the_file_names(world: World) -> None:
    world.sources.add("claims/a.json", fixture_bytes("icpa_claim.json"))

    handle(step_for("claims/a.json"), world.intake_deps())

    assert world.policies.lookups == ["POL-GOLD001"]


def test_a_new_claims_event_is_put_as_its_chains_first_without_reading_the_chain(world: World) -> None:
    world.sources.add("claims/a.json", fixture_bytes("icpa_claim.json"))

    result = accept_upload(step_for("claims/a.json"), world.intake_deps())

    (event,) = world.audit.events("CLM-I0001")
    assert world.audit.reads == 1  # the line above's: Intake read nothing
    assert event.sequence == 1 and result.audit_head == head_of(event)
