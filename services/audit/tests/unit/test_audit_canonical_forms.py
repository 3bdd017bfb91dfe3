"""Archives in RFC 8785 (JCS) now; archives and chains written before it stay verifiable
(HIPAA keeps them for years), in the form each one names."""

from __future__ import annotations

import gzip
import hashlib
import json
from typing import Any

import pytest
import rfc8785
from audit_testkit import CLAIM_ID, T0, World, auto_approved, human_denied

from icpa_audit.domain import verify_trail
from icpa_audit.domain.history import json_safe, parse_json_text
from icpa_audit.domain.models import decode_archive
from icpa_shared.contracts.audit import AuditEvent

pytestmark = pytest.mark.unit

# Written into the oldest archive's history: differs between the two forms (UTF-8 against
# \\u escapes; ECMAScript against Python's float repr).
NOTE: dict[str, Any] = {"note": "Behandlung in Z\u00fcrich (\u20ac)", "ratio": 1e16}


def _legacy_bytes(value: Any) -> bytes:
    # The pre-JCS code, spelled out: this is what the old archiver and recorder did.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def _legacy_event(fields: dict[str, Any], previous_hash: str | None) -> dict[str, Any]:
    fields = {k: v for k, v in fields.items() if k not in ("hash", "canonical")}
    fields["previous_hash"] = previous_hash
    return {**fields, "hash": hashlib.sha256(_legacy_bytes(fields)).hexdigest()}


def make_legacy(world: World) -> None:
    """Rewrites the world as the pre-JCS code would have written it: every event and every
    archive in the legacy form, without the `canonical` marker."""
    chain = world.audit.chains[CLAIM_ID]
    previous: str | None = None
    legacy: dict[int, dict[str, Any]] = {}
    for index, event in enumerate(chain):
        raw = _legacy_event(event.model_dump(mode="json"), previous)
        legacy[event.sequence] = raw
        chain[index] = AuditEvent.model_validate(raw)
        previous = raw["hash"]
    for key in list(world.archive.objects):
        raw = world.archive.document(key).model_dump(mode="json")
        del raw["canonical"]
        raw["history"][0].update(NOTE)
        raw["audit_chain"] = [legacy[e["sequence"]] for e in raw["audit_chain"]]
        raw["history_sha256"] = hashlib.sha256(_legacy_bytes(raw["history"])).hexdigest()
        world.archive.objects[key] = gzip.compress(_legacy_bytes(raw), mtime=0)


def test_a_new_archive_is_rfc8785_bytes_with_an_rfc8785_history_digest() -> None:
    world = World()
    receipt = world.archive_run(auto_approved(world.audit))
    data = gzip.decompress(world.archive.objects[receipt.key])
    raw = json.loads(data)
    assert raw["canonical"] == "jcs"
    assert data == rfc8785.dumps(raw)  # the file itself is canonical
    assert raw["history_sha256"] == hashlib.sha256(rfc8785.dumps(raw["history"])).hexdigest()
    assert verify_trail(world.trail()).ok


def test_a_trail_written_before_rfc8785_still_verifies() -> None:
    world = World()
    world.archive_run(auto_approved(world.audit))
    make_legacy(world)
    (run,) = world.trail().archives
    assert run.document.canonical is None and run.document.history[0]["note"] == NOTE["note"]
    verification = verify_trail(world.trail())
    assert verification.ok, [str(b) for b in verification.broken]


def test_a_legacy_archive_whose_history_was_altered_fails() -> None:
    world = World()
    world.archive_run(auto_approved(world.audit))
    make_legacy(world)
    (key,) = world.archive.objects
    raw = json.loads(gzip.decompress(world.archive.objects[key]))
    raw["history"][0]["note"] = "Behandlung in Z\u00fcrich gedeckt"
    world.archive.objects[key] = gzip.compress(_legacy_bytes(raw), mtime=0)
    problems = [b.problem for b in verify_trail(world.trail()).broken]
    assert any("history_sha256" in p for p in problems), problems


def test_an_archive_relabelled_as_rfc8785_fails() -> None:
    # Claiming the other form does not make a digest match: the form is part of what is checked.
    world = World()
    world.archive_run(auto_approved(world.audit))
    make_legacy(world)
    (key,) = world.archive.objects
    world.archive.rewrite(key, lambda raw: raw.update(canonical="jcs"))
    problems = [b.problem for b in verify_trail(world.trail()).broken]
    assert any("history_sha256" in p for p in problems), problems


def test_a_legacy_trail_continues_in_rfc8785_and_verifies() -> None:
    world = World()
    world.archive_run(auto_approved(world.audit))
    make_legacy(world)
    world.archive_run(human_denied(world.audit, start=T0.replace(hour=11)))
    trail = world.trail()
    assert {run.document.canonical for run in trail.archives} == {None, "jcs"}
    assert {event.canonical for event in trail.events} == {None, "jcs"}
    verification = verify_trail(trail)
    assert verification.ok, [str(b) for b in verification.broken]


def test_an_archive_in_an_unknown_form_is_unreadable_not_guessed() -> None:
    world = World()
    receipt = world.archive_run(auto_approved(world.audit))
    raw = json.loads(gzip.decompress(world.archive.objects[receipt.key]))
    raw["canonical"] = "jcs-2030"
    world.archive.objects[receipt.key] = gzip.compress(rfc8785.dumps(raw), mtime=0)
    with pytest.raises(ValueError):
        decode_archive(world.archive.objects[receipt.key])
    assert [u.key for u in world.trail().unreadable] == [receipt.key]


@pytest.mark.parametrize("text", ['{"n": 12345678901234567891}', '{"n": NaN}', '{"n": 1e400}', "[-Infinity]"])
def test_execution_documents_outside_i_json_stay_text(text: str) -> None:
    # RFC 8785 cannot canonicalize them: the archive keeps the exact text instead of failing.
    assert parse_json_text(text) == text
    rfc8785.dumps(parse_json_text(text))


def test_history_values_outside_i_json_become_text() -> None:
    assert json_safe({"big": 2**64 + 1, "ok": 2**53 - 1, "double": 2**64, "nan": float("nan")}) == {
        "big": str(2**64 + 1),
        "ok": 2**53 - 1,
        "double": 2**64,
        "nan": "nan",
    }
