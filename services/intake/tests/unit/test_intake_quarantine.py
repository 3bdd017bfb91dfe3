"""The quarantine use case with fakes: where the original goes, the record, the audit event."""

from __future__ import annotations

import json
from dataclasses import replace

from intake_testkit import EXECUTION_ID, NOW, World, fixture_bytes, step_for

from icpa_intake.domain.ports import SourceBlob
from icpa_intake.domain.quarantine import fallback_claim_id
from icpa_intake.handlers.quarantine import handle
from icpa_intake.usecases.intake import accept_upload
from icpa_shared.contracts import Outcome, SourceObject, StepError
from icpa_shared.errors import InvalidClaimError
from icpa_shared.testing.builders import an_intake_result


def invalid_claim_error(*codes: str) -> StepError:
    exc = InvalidClaimError("claim rejected", reasons=codes)
    cause = json.dumps({"errorMessage": str(exc), "errorType": "InvalidClaimError", "stackTrace": []})
    return StepError(error="InvalidClaimError", cause=cause)


def test_a_rejected_file_is_copied_explained_recorded_and_audited(world: World) -> None:
    # Given an upload Intake rejected
    data = fixture_bytes("icpa_claim.json")
    world.sources.add("claims/a.json", data)
    step = step_for("claims/a.json", error=invalid_claim_error("TOTAL_MISMATCH", "UNKNOWN_MEMBER"))

    # When the quarantine step runs
    result = handle(step, world.quarantine_deps())

    # Then it is filed under the id the file carries, with its reasons
    assert result.claim_id == "CLM-I0001"
    assert result.outcome is Outcome.REJECTED
    assert result.reason_codes == ["TOTAL_MISMATCH", "UNKNOWN_MEMBER"]
    assert result.quarantine_uri == "s3://icpa-quarantine/CLM-I0001/"
    assert world.quarantine.objects["CLM-I0001/original"] == data
    reason = world.quarantine.reason("CLM-I0001")
    assert reason["error"] == "InvalidClaimError"
    assert reason["reason_codes"] == ["TOTAL_MISMATCH", "UNKNOWN_MEMBER"]
    assert reason["execution_id"] == EXECUTION_ID
    assert reason["source_uri"] == "s3://icpa-inbox/claims/a.json"
    assert reason["original_status"] == "COPIED"
    assert reason["quarantined_at"] == NOW.isoformat()
    record = world.claims.items["CLM-I0001"]["record"]
    assert (record.outcome, record.decided_by.value) == (Outcome.REJECTED, "NONE")
    assert record.quarantine_uri == result.quarantine_uri
    assert record.source_uri == "s3://icpa-inbox/claims/a.json"
    events = world.audit.events("CLM-I0001")
    assert [(e.step, e.decision, e.reason_codes) for e in events] == [
        ("quarantine", "REJECTED", ["TOTAL_MISMATCH", "UNKNOWN_MEMBER"])
    ]


def test_an_accepted_claim_that_failed_later_uses_the_intake_claim_id(world: World) -> None:
    world.sources.add("claims/a.json", b"not even json")
    intake = an_intake_result(claim_id="CLM-0001")
    step = step_for("claims/a.json", intake=intake, error=StepError(error="States.Timeout", cause=""))

    result = handle(step, world.quarantine_deps())

    assert (result.claim_id, result.outcome, result.reason_codes) == ("CLM-0001", Outcome.ERROR, ["STATES_TIMEOUT"])
    assert world.claims.items["CLM-0001"]["record"].claim_uri == intake.claim_uri


def test_an_unreadable_file_is_filed_under_the_deterministic_id(world: World) -> None:
    world.sources.add("claims/junk.bin", b"\x00\x01binary")
    step = step_for("claims/junk.bin", error=invalid_claim_error("NOT_UTF8"))

    result = handle(step, world.quarantine_deps())

    assert result.claim_id == fallback_claim_id(step.state.source)
    assert result.claim_id.startswith("Q-") and len(result.claim_id) == 18
    assert world.quarantine.objects[f"{result.claim_id}/original"] == b"\x00\x01binary"


def test_a_missing_object_still_gets_reason_json_and_a_record(world: World) -> None:
    step = step_for("claims/vanished.json", error=invalid_claim_error("SOURCE_NOT_FOUND"))

    result = handle(step, world.quarantine_deps())

    assert result.claim_id == fallback_claim_id(step.state.source)
    reason = world.quarantine.reason(result.claim_id)
    assert (reason["original_status"], reason["original_uri"]) == ("MISSING", None)
    assert world.claims.items[result.claim_id]["record"].outcome is Outcome.REJECTED


def test_a_duplicate_never_overwrites_the_claim_it_duplicates(world: World) -> None:
    # Given CLM-I0001 held by an accepted upload
    world.sources.add("claims/a.json", fixture_bytes("icpa_claim.json"))
    accept_upload(step_for("claims/a.json"), world.intake_deps())
    # When another upload with that id is quarantined as a duplicate
    world.sources.add("claims/b.json", fixture_bytes("icpa_claim.json"))
    step = step_for("claims/b.json", etag="etag-2", error=invalid_claim_error("DUPLICATE_CLAIM_ID"))
    result = handle(step, world.quarantine_deps())

    # Then it is filed under its own deterministic id, and the accepted claim is untouched
    assert result.claim_id == fallback_claim_id(step.state.source)
    assert world.claims.items["CLM-I0001"]["record"].outcome is Outcome.IN_PROGRESS
    assert "CLM-I0001/original" not in world.quarantine.objects
    assert [e.step for e in world.audit.events("CLM-I0001")] == ["intake"]


def test_running_twice_for_the_same_failure_audits_once(world: World) -> None:
    world.sources.add("claims/a.json", fixture_bytes("icpa_claim.json"))
    step = step_for("claims/a.json", error=invalid_claim_error("UNKNOWN_POLICY"))

    first = handle(step, world.quarantine_deps())
    second = handle(step, world.quarantine_deps())

    assert first == second
    assert len(world.audit.events("CLM-I0001")) == 1


def test_no_error_in_state_is_quarantined_as_unexpected(world: World) -> None:
    world.sources.add("claims/a.json", fixture_bytes("icpa_claim.json"))

    result = handle(step_for("claims/a.json"), world.quarantine_deps())

    assert (result.outcome, result.reason_codes) == (Outcome.ERROR, ["UNEXPECTED_ERROR"])


def test_an_object_this_role_cannot_read_is_still_quarantined(world: World) -> None:
    # Given an object S3 refuses to hand over (e.g. AccessDenied for a key that is gone)
    class Refusing:
        def read(self, source: SourceObject, *, max_bytes: int) -> SourceBlob:
            raise PermissionError("AccessDenied")

    deps = replace(world.quarantine_deps(), sources=Refusing())
    step = step_for("claims/locked.json", error=invalid_claim_error("SCHEMA_VIOLATION"))

    # When it is quarantined
    result = handle(step, deps)

    # Then it is filed under the deterministic id with its reasons
    assert result.claim_id == fallback_claim_id(step.state.source)
    assert world.claims.items[result.claim_id]["record"].reason_codes == ["SCHEMA_VIOLATION"]
