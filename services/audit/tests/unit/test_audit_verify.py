"""verify_trail: the hash chain, and the chain against the archived execution histories.
Every failure must name the event (sequence and step) or the execution that broke."""

from __future__ import annotations

from typing import Any

import pytest
from audit_testkit import (
    CLAIM_ID,
    T0,
    Execution,
    World,
    auto_approved,
    errored_in_adjudication,
    human_denied,
    intake_result,
    record_decision,
    rejected_at_intake,
    through_routing,
)

from icpa_audit.domain import BrokenLink, TrailVerification, load_trail, verify_trail
from icpa_shared.audit import event_hash

pytestmark = pytest.mark.unit

LATER = T0.replace(hour=11)


def links(verification: TrailVerification) -> list[str]:
    return [str(link) for link in verification.broken]


def approved_world() -> tuple[World, Execution]:
    world = World()
    run = auto_approved(world.audit)
    world.archive_run(run)
    return world, run


# --- untouched ------------------------------------------------------------------------------------


def test_an_untouched_trail_verifies() -> None:
    # Given a claim approved automatically, then re-run and denied by a reviewer, both archived
    world = World()
    world.archive_run(auto_approved(world.audit))
    world.archive_run(human_denied(world.audit, start=LATER))

    # When its trail is verified
    verification = verify_trail(world.trail())

    # Then every check passes
    assert verification.ok, links(verification)
    assert verification.broken == []
    assert verification.checked_events == 12
    assert verification.checked_executions == 2
    assert verification.summary().startswith("OK: 12 audit event(s)")


def test_quarantined_claims_verify_whether_rejected_or_errored() -> None:
    # Given a claim rejected at intake (SUCCEEDED) and one that errored (FAILED: no output)
    world = World()
    world.archive_run(rejected_at_intake(world.audit))
    world.archive_run(errored_in_adjudication(world.audit, claim_id="CLM-2026-0002"))

    # Then both trails verify, the errored one with its outcome read from the history
    rejected = world.trail()
    errored = world.trail("CLM-2026-0002")
    assert verify_trail(rejected).ok, links(verify_trail(rejected))
    assert verify_trail(errored).ok, links(verify_trail(errored))
    assert [run.outcome for run in errored.archives] == ["ERROR"]
    assert errored.archives[0].document.execution.output is None


# --- the hash chain -----------------------------------------------------------------------------------


def test_an_altered_event_is_named_by_sequence_and_step() -> None:
    # Given an archived, approved claim whose router event is later edited in the table
    world, run = approved_world()
    world.audit.alter(CLAIM_ID, 4, decision="AUTO_DENY")

    # When verified
    verification = verify_trail(world.trail())

    # Then the edited event is named: its hash no longer matches, and it differs from the archive
    assert not verification.ok
    assert links(verification) == [
        "sequence 4 (router): content does not match its hash",
        f"sequence 4 (router): differs from the copy archived with {run.name} (decision)",
    ]
    first = verification.broken[0]
    assert (first.check, first.sequence, first.step) == ("chain", 4, "router")


def test_an_altered_event_with_a_recomputed_hash_is_still_caught() -> None:
    # Given an attacker who edits the adjudication event and recomputes its hash
    world, run = approved_world()
    edited = world.audit.alter(CLAIM_ID, 3, decision="DENIED")
    world.audit.alter(CLAIM_ID, 3, hash=event_hash(edited.model_dump(mode="json")))

    # When verified
    verification = verify_trail(world.trail())

    # Then the next link breaks (naming the edited event) and the archived copy names it too
    assert links(verification) == [
        "sequence 4 (router): previous_hash does not match the hash of sequence 3 (adjudication): "
        "that event was changed or replaced",
        f"sequence 3 (adjudication): differs from the copy archived with {run.name} (decision, hash)",
    ]


def test_a_removed_event_is_named() -> None:
    # Given the adjudication event deleted from the table
    world, run = approved_world()
    world.audit.remove(CLAIM_ID, 3)

    # When verified
    verification = verify_trail(world.trail())

    # Then the gap is named where it is, and the removed event by its archived copy
    assert links(verification) == [
        "sequence 4 (router): sequence 3 missing before it (removed from the chain)",
        f"sequence 3 (adjudication): archived with {run.name} but missing from the audit table",
        f"history of {run.name}: Adjudicate succeeded but no adjudication audit event",
    ]


def test_a_removed_last_event_is_named_although_the_chain_itself_still_links() -> None:
    # Given the final decision event deleted (the remaining chain is internally consistent)
    world, run = approved_world()
    world.audit.remove(CLAIM_ID, 5)

    # When verified
    verification = verify_trail(world.trail())

    # Then the archive and the history both name what is missing
    assert links(verification) == [
        f"sequence 5 (decision): archived with {run.name} but missing from the audit table",
        f"history of {run.name}: RecordDecision succeeded but no decision audit event",
    ]


def test_reordered_events_are_named() -> None:
    # Given the fraud and adjudication events stored in each other's place
    world, _ = approved_world()
    world.audit.swap(CLAIM_ID, 2, 3)

    # When verified
    verification = verify_trail(world.trail())

    # Then the first misplaced event is named
    assert links(verification) == ["sequence 3 (adjudication): out of order: sequence 2 belongs here, found 3"]


def test_an_event_of_another_claim_in_the_chain_is_named() -> None:
    world, _ = approved_world()
    world.audit.alter(CLAIM_ID, 2, claim_id="CLM-OTHER-9")

    verification = verify_trail(world.trail())

    assert "sequence 2 (fraud): belongs to claim CLM-OTHER-9, not CLM-2026-0001" in links(verification)


# --- the chain against the archived histories -----------------------------------------------------


def test_a_succeeded_state_without_its_audit_event_is_named() -> None:
    # Given a run whose RouteClaim Lambda succeeded without writing its router event
    world = World()
    run = Execution(name="upload-0005-e5", claim_id=CLAIM_ID, audit=world.audit)
    run.task("Intake", "intake", intake_result(CLAIM_ID), audit=_audit("intake", "ACCEPTED"))
    run.task("AssessFraud", "fraud", {"risk": "LOW"}, audit=_audit("fraud", "SCORED_LOW"))
    run.task("Adjudicate", "adjudication", {"outcome": "APPROVED"}, audit=_audit("adjudication", "APPROVED"))
    run.task("RouteClaim", "routing", {"route": "AUTO_APPROVE"}, audit=None)
    run.choice("ChooseRoute").passing("AutoApproved", "final", {"outcome": "APPROVED", "decided_by": "AUTO"})
    record_decision(run, "APPROVED", "AUTO").succeed()
    world.archive_run(run)

    # When verified
    verification = verify_trail(world.trail())

    # Then the state and the missing step are named
    assert links(verification) == [f"history of {run.name}: RouteClaim succeeded but no router audit event"]
    assert verification.broken[0] == BrokenLink(
        check="history",
        link=f"history of {run.name}",
        problem="RouteClaim succeeded but no router audit event",
        step="router",
        execution=run.name,
        state="RouteClaim",
    )


def test_an_outcome_that_differs_from_the_recorded_one_is_named() -> None:
    # Given a run that recorded APPROVED on the claim, but whose decision event says DENIED
    world = World()
    run = through_routing(Execution(name="upload-0006-f6", claim_id=CLAIM_ID, audit=world.audit), route="AUTO_APPROVE")
    run.passing("AutoApproved", "final", {"outcome": "APPROVED", "decided_by": "AUTO"})
    run.task(
        "RecordDecision",
        "record",
        {"claim_id": CLAIM_ID, "outcome": "APPROVED", "decided_by": "AUTO"},
        audit=_audit("decision", "DENIED", service="router"),
    ).succeed()
    world.archive_run(run)

    # When verified
    verification = verify_trail(world.trail())

    # Then the mismatch names the execution and the event (once, not also as "final outcome")
    assert links(verification) == [
        f"history of {run.name}: recorded outcome APPROVED but sequence 5 (decision) says DENIED"
    ]
    assert verification.broken[0].check == "outcome"


def test_an_errored_claim_whose_quarantine_event_says_otherwise_is_named() -> None:
    # Given a FAILED execution (no output) that quarantined with ERROR, recorded as REJECTED
    world = World()
    run = Execution(name="upload-0007-g7", claim_id=CLAIM_ID, audit=world.audit)
    run.task("Intake", "intake", intake_result(CLAIM_ID), audit=_audit("intake", "ACCEPTED"))
    run.failed_task("AssessFraud", "KeyError", "'risk'")
    run.task(
        "QuarantineClaim",
        "quarantine",
        {"claim_id": CLAIM_ID, "outcome": "ERROR", "reason_codes": ["UNEXPECTED_ERROR"]},
        audit=_audit("quarantine", "REJECTED", service="intake"),
    )
    run.choice("ChooseQuarantineOutcome").fail("ClaimProcessingError", "quarantined")
    world.archive_run(run)

    verification = verify_trail(world.trail())

    assert links(verification) == [
        f"history of {run.name}: recorded outcome ERROR but sequence 2 (quarantine) says REJECTED"
    ]


def test_a_final_outcome_that_differs_from_the_latest_execution_is_named() -> None:
    # Given an approved, archived claim, and a later decision event outside any execution
    world, run = approved_world()
    Execution(name="manual", claim_id=CLAIM_ID, audit=world.audit).record(
        service="router", version="1.0.0", step="decision", decision="DENIED", execution_id=None
    )

    verification = verify_trail(world.trail())

    assert links(verification) == [
        f"final outcome: the chain ends with DENIED (sequence 6 (decision)) but the latest archived "
        f"execution {run.name} recorded APPROVED"
    ]


def test_an_event_of_an_execution_that_was_never_archived_is_named() -> None:
    # Given a second execution whose events are in the chain but which was never archived
    world, _ = approved_world()
    second = auto_approved(world.audit, name="upload-0001-rerun", start=LATER)

    verification = verify_trail(world.trail())

    assert links(verification) == [
        f"execution {second.name}: referenced by sequence 6 (intake), sequence 7 (fraud), sequence 8 (adjudication), "
        "sequence 9 (router), sequence 10 (decision) but not archived (still running, or its archive is missing)"
    ]
    assert verification.broken[0].check == "execution"


def test_a_rerun_for_the_same_upload_may_reuse_the_first_intake_event() -> None:
    # Given a second execution for the same upload: Intake's record_once returns the first
    # execution's event instead of writing another one
    world, _ = approved_world()
    rerun = Execution(name="upload-0001-dup", claim_id=CLAIM_ID, audit=world.audit, start=LATER)
    rerun.task("Intake", "intake", intake_result(CLAIM_ID), audit=None)
    rerun.task("AssessFraud", "fraud", {"risk": "LOW"}, audit=_audit("fraud", "SCORED_LOW"))
    rerun.task("Adjudicate", "adjudication", {"outcome": "APPROVED"}, audit=_audit("adjudication", "APPROVED"))
    rerun.task("RouteClaim", "routing", {"route": "AUTO_APPROVE"}, audit=_audit("router", "AUTO_APPROVE"))
    rerun.choice("ChooseRoute").passing("AutoApproved", "final", {"outcome": "APPROVED", "decided_by": "AUTO"})
    record_decision(rerun, "APPROVED", "AUTO").succeed()
    world.archive_run(rerun)

    verification = verify_trail(world.trail())

    assert verification.ok, links(verification)


# --- the archives -------------------------------------------------------------------------------------


def test_an_altered_archived_history_is_named() -> None:
    world, run = approved_world()
    key = world.archive.keys(CLAIM_ID)[0]

    def forge(raw: dict[str, Any]) -> None:
        raw["history"][5]["type"] = "LambdaFunctionFailed"

    world.archive.rewrite(key, forge)

    verification = verify_trail(world.trail())

    assert links(verification) == [
        f"archive of {run.name}: history does not match its history_sha256 (the archived history was altered)"
    ]


def test_an_unreadable_archive_is_named_and_its_execution_reported() -> None:
    world, run = approved_world()
    key = world.archive.keys(CLAIM_ID)[0]
    world.archive.objects[key] = b"\x1f\x8b not really gzip"

    trail = world.trail()
    verification = verify_trail(trail)

    assert trail.archives == [] and [u.key for u in trail.unreadable] == [key]
    assert links(verification) == [
        f"archive {key}: not a readable archive document (ValueError)",
        f"execution {run.name}: referenced by sequence 1 (intake), sequence 2 (fraud), sequence 3 (adjudication), "
        "sequence 4 (router), sequence 5 (decision) but not archived (its archive is unreadable)",
    ]


def test_an_archive_made_after_tampering_reports_the_chain_it_saw() -> None:
    # Given a router event edited before the execution was archived
    world = World()
    run = auto_approved(world.audit)
    world.audit.alter(CLAIM_ID, 4, decision="AUTO_DENY")
    receipt = world.archive_run(run)

    verification = verify_trail(world.trail())

    assert receipt.chain_ok is False
    assert links(verification) == [
        "sequence 4 (router): content does not match its hash",
        f"archive of {run.name}: the chain was already broken when archived "
        "(sequence 4: content does not match its hash)",
    ]


def test_an_archive_under_another_claims_prefix_is_named() -> None:
    world, run = approved_world()
    key = world.archive.keys(CLAIM_ID)[0]
    misfiled = f"claims/{CLAIM_ID}/copy-of-{run.name}.json.gz"
    world.archive.objects[misfiled] = world.archive.objects[key]

    verification = verify_trail(world.trail())

    assert f"archive of {run.name}: stored at {misfiled}, expected {key}" in links(verification)


def test_load_trail_refuses_what_is_not_a_claim_id() -> None:
    world = World()
    for bad in ("", "../CLM-1", "CLM 1", "x"):
        with pytest.raises(ValueError, match="not a claim id"):
            load_trail(bad, world.audit, world.archive)


def _audit(step: str, decision: str, *, service: str | None = None) -> dict[str, Any]:
    return {"service": service or step, "version": "1.0.0", "step": step, "decision": decision}
