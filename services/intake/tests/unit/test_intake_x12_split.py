"""The interchange splitter with in-memory fakes: N claims -> N parts -> N executions, each
claim then through Intake on its own; a broken interchange -> REJECTED with its 999."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from intake_testkit import NOW, World, part_step, split_deps, step_for

from icpa_intake.domain.ports import X12Validation
from icpa_intake.domain.problems import Problem
from icpa_intake.domain.quarantine import fallback_claim_id
from icpa_intake.domain.x12 import reasons as x12_reasons
from icpa_intake.handlers.intake import handle as intake
from icpa_intake.handlers.split import handle as split
from icpa_shared.errors import InvalidClaimError
from icpa_shared.testing.builders import a_policy

DATA = Path(__file__).parents[1] / "data" / "x12"
FOUR_CLAIMS = (DATA / "edited" / "837p-four-claims.837").read_bytes()
# The edited samples' services are in October 2026: the claims are received after them.
RECEIVED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Validator:
    """Answers what it is told to; records what it was asked."""

    def __init__(self, problems: list[Problem] | None = None, ack: str = "ISA*...999...~") -> None:
        self.problems = problems or []
        self.ack = ack
        self.calls = 0

    def validate(self, text: str) -> X12Validation:
        self.calls += 1
        return X12Validation(problems=self.problems, acknowledgement=self.ack)


@pytest.fixture
def world() -> World:
    w = World()
    for policy_id, subscriber, members in (
        ("POL-PLAT005", "SUB000006", ["MBR000006"]),
        ("POL-SILVER002", "SUB000003", ["MBR000003"]),
    ):
        w.policies.by_id[policy_id] = a_policy(policy_id=policy_id, subscriber_id=subscriber, members=members)
    return w


def test_each_claim_gets_a_part_and_an_execution_named_after_it(world: World) -> None:
    world.sources.add("claims/batch.837", FOUR_CLAIMS)

    result = split(step_for("claims/batch.837"), split_deps(world, Validator(), clock=lambda: RECEIVED))

    assert (result.claims, result.started) == (4, 4)
    names = list(world.executions.started)
    assert names == [f"{result.interchange_id}-{n:04d}" for n in (1, 2, 3, 4)]
    first = world.executions.started[names[0]]
    assert first == {
        "schema_version": "1.0",
        "source": {"bucket": "icpa-documents", "key": f"interchanges/{result.interchange_id}/0001.json"},
    }
    # the original is kept next to its parts
    assert result.original_uri == f"s3://icpa-documents/interchanges/{result.interchange_id}/original.x12"
    assert (
        world.sources.objects[("icpa-documents", f"interchanges/{result.interchange_id}/original.x12")] == FOUR_CLAIMS
    )


def test_every_part_goes_through_intake_as_its_own_claim_with_x12_provenance(world: World) -> None:
    world.sources.add("claims/batch.837", FOUR_CLAIMS)
    split(step_for("claims/batch.837"), split_deps(world, Validator(), clock=lambda: RECEIVED))

    results = [
        intake(part_step(state["source"], f"exec-{n}"), world.intake_deps(clock=lambda: RECEIVED))
        for n, state in enumerate(world.executions.started.values())
    ]

    assert [r.source_format for r in results] == ["x12"] * 4
    stored = [world.documents.stored[r.claim_uri] for r in results]
    assert [c.member_id for c in stored] == ["MBR000001", "MBR000003", "MBR000006", "MBR000002"]
    # X12 has no subscriber id element: it is the policy's
    assert [c.subscriber_id for c in stored] == ["SUB000001", "SUB000003", "SUB000006", "SUB000001"]
    assert all(c.source is not None and c.source.format == "x12-837p" for c in stored)
    assert [c.source.claim_position for c in stored if c.source] == [1, 2, 3, 4]
    assert world.policies.lookups.count("POL-GOLD001") == 2  # once per claim, not twice


def test_a_claim_level_defect_rejects_that_claim_only(world: World) -> None:
    broken = FOUR_CLAIMS.replace(b"HI*ABK:K635", b"HI*BK:5693", 1)  # claim 2 in ICD-9
    world.sources.add("claims/batch.837", broken)
    split(step_for("claims/batch.837"), split_deps(world, Validator(), clock=lambda: RECEIVED))
    steps = [part_step(s["source"], f"exec-{n}") for n, s in enumerate(world.executions.started.values())]

    with pytest.raises(InvalidClaimError) as caught:
        intake(steps[1], world.intake_deps(clock=lambda: RECEIVED))

    assert x12_reasons.X12_ICD9_DIAGNOSIS in caught.value.reasons
    assert "HI01_1" in str(caught.value)
    assert intake(steps[2], world.intake_deps(clock=lambda: RECEIVED)).source_format == "x12"


def test_an_invalid_interchange_is_rejected_with_segment_reasons_and_its_999(world: World) -> None:
    world.sources.add("claims/bad.837", FOUR_CLAIMS)
    step = step_for("claims/bad.837")
    validator = Validator([Problem("X12_REQUIRED_ELEMENT_MISSING", "ST0021.36.CLM.CLM02")], ack="ISA*999~")

    with pytest.raises(InvalidClaimError) as caught:
        split(step, split_deps(world, validator, clock=lambda: RECEIVED))

    assert caught.value.reasons == ("X12_REQUIRED_ELEMENT_MISSING",) or list(caught.value.reasons) == [
        "X12_REQUIRED_ELEMENT_MISSING"
    ]
    assert "ST0021.36.CLM.CLM02" in str(caught.value)
    # the 999 waits where QuarantineClaim will keep the original; nothing was started
    assert world.quarantine.objects[f"{fallback_claim_id(step.state.source)}/ack.999"] == b"ISA*999~"
    assert world.executions.started == {}


def test_an_envelope_defect_is_rejected_even_when_the_validator_passes_it(world: World) -> None:
    world.sources.add("claims/cut.837", FOUR_CLAIMS[: FOUR_CLAIMS.index(b"GE*")])

    with pytest.raises(InvalidClaimError) as caught:
        split(step_for("claims/cut.837"), split_deps(world, Validator(), clock=lambda: RECEIVED))

    assert list(caught.value.reasons) == [x12_reasons.X12_ENVELOPE_MISMATCH]


def test_too_many_claims_is_refused_before_the_validator_reads_the_file(world: World) -> None:
    world.sources.add("claims/big.837", FOUR_CLAIMS)
    validator = Validator()

    with pytest.raises(InvalidClaimError) as caught:
        split(step_for("claims/big.837"), split_deps(world, validator, max_claims=3, clock=lambda: RECEIVED))

    assert list(caught.value.reasons) == [x12_reasons.X12_TOO_MANY_CLAIMS] and validator.calls == 0


def test_an_interchange_over_the_size_limit_is_refused_before_it_is_read(world: World) -> None:
    world.sources.add("claims/huge.837", FOUR_CLAIMS + b"NTE*ADD*" + b"X" * 4096 + b"~")
    validator = Validator()

    with pytest.raises(InvalidClaimError) as caught:
        split(step_for("claims/huge.837"), split_deps(world, validator, max_file_bytes=4096, clock=lambda: RECEIVED))

    assert list(caught.value.reasons) == ["FILE_TOO_LARGE"] and validator.calls == 0


def test_one_endless_segment_is_an_envelope_rejection_not_a_hang(world: World) -> None:
    endless = FOUR_CLAIMS[:106] + b"GS" + b"*X" * 200_000  # no terminator after ISA: one segment
    world.sources.add("claims/endless.837", endless)

    with pytest.raises(InvalidClaimError) as caught:
        split(step_for("claims/endless.837"), split_deps(world, Validator(), clock=lambda: RECEIVED))

    assert list(caught.value.reasons) == [x12_reasons.X12_ENVELOPE_MISMATCH]  # a GS without its GE


def test_a_txt_that_is_not_x12_is_rejected_not_crashed(world: World) -> None:
    world.sources.add("claims/notes.txt", b"call the patient back on monday")

    with pytest.raises(InvalidClaimError) as caught:
        split(step_for("claims/notes.txt"), split_deps(world, Validator(), clock=lambda: RECEIVED))

    assert list(caught.value.reasons) == [x12_reasons.X12_NOT_AN_INTERCHANGE]


def test_a_retried_split_starts_nothing_twice_and_audits_once(world: World) -> None:
    world.sources.add("claims/batch.837", FOUR_CLAIMS)
    deps = split_deps(world, Validator(), clock=lambda: NOW)

    first = split(step_for("claims/batch.837"), deps)
    again = split(step_for("claims/batch.837"), deps)

    assert (first.started, again.started) == (4, 0)
    events = world.audit.events(first.interchange_id)
    assert [(e.step, e.decision, e.occurred_at) for e in events] == [("split", "SPLIT", NOW)]


def test_other_bytes_under_a_used_interchange_control_number_are_a_duplicate_interchange(world: World) -> None:
    world.sources.add("claims/batch.837", FOUR_CLAIMS)
    world.sources.add("claims/reused.837", FOUR_CLAIMS.replace(b"PCN1001", b"PCN9001"))
    split(step_for("claims/batch.837"), split_deps(world, Validator(), clock=lambda: RECEIVED))
    parts_before = dict(world.interchanges.parts)

    with pytest.raises(InvalidClaimError) as caught:
        split(step_for("claims/reused.837"), split_deps(world, Validator(), clock=lambda: RECEIVED))

    assert list(caught.value.reasons) == [x12_reasons.X12_DUPLICATE_INTERCHANGE]
    assert world.interchanges.parts == parts_before and len(world.executions.started) == 4


def test_an_uploaded_json_cannot_claim_to_be_an_x12_part(world: World) -> None:
    world.sources.add("claims/batch.837", FOUR_CLAIMS)
    split(step_for("claims/batch.837"), split_deps(world, Validator(), clock=lambda: RECEIVED))
    part = next(iter(world.interchanges.parts.values()))
    world.sources.add("claims/forged.json", json.dumps(part).encode())

    with pytest.raises(InvalidClaimError):
        intake(step_for("claims/forged.json"), world.intake_deps(clock=lambda: RECEIVED))
