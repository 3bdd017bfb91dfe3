"""render_timeline and trail_to_json: what `icpa audit CLAIM_ID [--verify] [--json]` shows."""

from __future__ import annotations

import json

import pytest
from audit_testkit import CLAIM_ID, T0, World, auto_approved, human_denied

from icpa_audit.domain import render_timeline, trail_to_json, verify_trail

pytestmark = pytest.mark.unit


def reviewed_world() -> World:
    world = World()
    world.archive_run(human_denied(world.audit))
    return world


def test_the_timeline_has_one_line_per_event_with_who_decided_what_and_why() -> None:
    # Given a claim routed to a reviewer who denied it
    trail = reviewed_world().trail()

    # When rendered
    text = render_timeline(trail, verify_trail(trail))
    lines = text.splitlines()
    event_lines = [line for line in lines if line.startswith("  2026-")]

    # Then one line per audit event, in time order, each with time, step and service@version
    assert len(event_lines) == len(trail.events) == 7
    steps = [line.split()[2] for line in event_lines]
    assert steps == [
        "intake",
        "fraud",
        "adjudication",
        "router",
        "review_requested",
        "review_decision",
        "decision",
    ]
    assert event_lines[0].startswith("  2026-03-02T09:00:04Z  #1")
    assert "intake@1.0.0" in event_lines[0] and "ACCEPTED" in event_lines[0]
    # the model consulted, with its version
    assert "model: anthropic.claude-3-haiku-20240307-v1:0 (version 2024-03-07)" in event_lines[1]
    # decisions with their reason codes
    assert "adjudication@1.1.0" in event_lines[2] and "APPROVED  reasons: COVERED_SERVICE" in event_lines[2]
    assert "HUMAN_REVIEW  reasons: ROUTED_BY_POLICY" in event_lines[3]
    # the reviewer and the rationale (on one line), for the human decision
    assert "DENY  reviewer: rev.alice" in event_lines[5]
    assert 'rationale: "Procedure excluded by the member\'s plan; see policy section 4.2."' in event_lines[5]
    assert "DENIED" in event_lines[6] and "[execution upload-0002-b2]" in event_lines[6]
    # the archived execution and the verdict
    assert any("upload-0002-b2  SUCCEEDED" in line and "outcome DENIED" in line for line in lines)
    assert lines[-1] == (
        "Verification: OK: 7 audit event(s) in an unbroken chain, consistent with 1 archived execution(s)"
    )


def test_the_timeline_is_in_time_order_even_when_the_table_is_not() -> None:
    world = reviewed_world()
    world.audit.swap(CLAIM_ID, 2, 5)
    trail = world.trail()

    event_lines = [line for line in render_timeline(trail).splitlines() if line.startswith("  2026-")]

    assert [line.split()[1] for line in event_lines] == ["#1", "#2", "#3", "#4", "#5", "#6", "#7"]


def test_the_timeline_ends_with_the_broken_links() -> None:
    world = reviewed_world()
    world.audit.alter(CLAIM_ID, 6, rationale="Approved after all.")
    trail = world.trail()

    text = render_timeline(trail, verify_trail(trail))

    assert text.endswith(
        "Verification: BROKEN: 2 broken link(s)\n"
        "  - sequence 6 (review_decision): content does not match its hash\n"
        "  - sequence 6 (review_decision): differs from the copy archived with upload-0002-b2 (rationale)"
    )


def test_the_timeline_without_verification_says_so() -> None:
    world = World()
    trail = world.trail()

    text = render_timeline(trail)

    assert text.splitlines() == [
        f"Claim {CLAIM_ID}: 0 audit event(s), 0 archived execution(s)",
        "",
        "Timeline:",
        "  (no audit events)",
        "",
        "Archived executions:",
        "  (none)",
        "",
        "Verification: not run",
    ]


def test_trail_to_json_is_json_with_events_executions_and_the_verdict() -> None:
    # Given two archived executions of one claim, one event altered afterwards
    world = World()
    world.archive_run(auto_approved(world.audit))
    world.archive_run(human_denied(world.audit, start=T0.replace(hour=11)))
    world.audit.alter(CLAIM_ID, 3, reason_codes=["FORGED_REASON"])
    trail = world.trail()

    # When exported
    data = trail_to_json(trail, verify_trail(trail))

    # Then it survives JSON and says what the CLI prints
    assert json.loads(json.dumps(data)) == data
    assert data["claim_id"] == CLAIM_ID
    assert [e["sequence"] for e in data["events"]] == list(range(1, 13))
    assert [(x["name"], x["status"], x["outcome"]) for x in data["executions"]] == [
        ("upload-0001-a1", "SUCCEEDED", "APPROVED"),
        ("upload-0002-b2", "SUCCEEDED", "DENIED"),
    ]
    assert data["executions"][0]["archive_key"] == f"claims/{CLAIM_ID}/upload-0001-a1.json.gz"
    verification = data["verification"]
    assert verification["ok"] is False
    assert [(b["check"], b["sequence"], b["step"]) for b in verification["broken"]] == [
        ("chain", 3, "adjudication"),
        ("chain", 3, "adjudication"),
    ]
    assert trail_to_json(trail)["verification"] is None


@pytest.mark.parametrize("width", [80, 100])
def test_at_a_terminal_width_each_line_fits_and_nothing_is_lost(width: int) -> None:
    trail = reviewed_world().trail()
    one_line = render_timeline(trail, verify_trail(trail))
    wrapped = render_timeline(trail, verify_trail(trail), width=width)
    event_lines = [line for line in wrapped.splitlines() if line.startswith("  2026-")]
    assert len(event_lines) == 7  # still one head line per event, continuations indented under it
    for line in wrapped.splitlines():
        # a line may pass the width only with a single word longer than the line (never cut)
        assert len(line) <= width or " " not in line.strip(), line
    assert wrapped.split() == one_line.split()  # the same words in the same order
    assert "[execution upload-0002-b2]" in wrapped  # an id is never broken across lines
