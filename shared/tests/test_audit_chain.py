"""The audit hash chain detects altered, removed and reordered events."""

from datetime import timedelta
from typing import Any

import pytest

from icpa_shared.audit import AuditRecorder, verify_chain
from icpa_shared.contracts import AuditEvent
from icpa_shared.testing.builders import FIXED_NOW
from icpa_shared.testing.fakes import MemoryAuditStore


@pytest.fixture
def chain() -> list[AuditEvent]:
    store = MemoryAuditStore()
    rec = AuditRecorder(store, "router", "1.0.0")
    for i, step in enumerate(["intake", "fraud", "adjudication", "router"]):
        rec.record(
            claim_id="CLM-0001",
            step=step,
            decision="DONE",
            input_value={"i": i},
            output_value={"o": i},
            occurred_at=FIXED_NOW + timedelta(seconds=i),
        )
    return store.events("CLM-0001")


def test_untouched_chain_verifies(chain: list[AuditEvent]) -> None:
    result = verify_chain(chain)
    assert result.ok and result.checked == 4
    assert chain[0].previous_hash is None and chain[1].previous_hash == chain[0].hash


def test_altered_event_is_named(chain: list[AuditEvent]) -> None:
    chain[2] = chain[2].model_copy(update={"decision": "APPROVED"})
    result = verify_chain(chain)
    assert not result.ok and result.broken_sequence == 3 and "hash" in (result.problem or "")


def test_altered_and_rehashed_event_breaks_the_next_link(chain: list[AuditEvent]) -> None:
    from icpa_shared.audit import event_hash

    forged = chain[1].model_copy(update={"decision": "APPROVED"})
    forged = forged.model_copy(update={"hash": event_hash(forged.model_dump(mode="json"))})
    chain[1] = forged
    result = verify_chain(chain)
    assert not result.ok and result.broken_sequence == 3 and "previous_hash" in (result.problem or "")


def test_removed_event_is_named(chain: list[AuditEvent]) -> None:
    del chain[1]
    result = verify_chain(chain)
    assert not result.ok and result.broken_sequence == 3


def test_reordered_events_are_detected(chain: list[AuditEvent]) -> None:
    chain[1], chain[2] = chain[2], chain[1]
    assert not verify_chain(chain).ok


def test_concurrent_writer_is_retried() -> None:
    store = MemoryAuditStore()
    rec = AuditRecorder(store, "xsvc", "1.0.0")
    first = rec.record(
        claim_id="CLM-0002", step="first", decision="ALPHA", input_value=1, output_value=2, occurred_at=FIXED_NOW
    )
    real_last = store.last_event
    calls = {"n": 0}

    def stale_once(claim_id: str) -> AuditEvent | None:
        calls["n"] += 1
        return None if calls["n"] == 1 else real_last(claim_id)  # first read is stale

    store.last_event = stale_once  # type: ignore[method-assign]
    second = rec.record(
        claim_id="CLM-0002", step="second", decision="BETA", input_value=1, output_value=2, occurred_at=FIXED_NOW
    )
    assert second.sequence == 2 and second.previous_hash == first.hash
    assert verify_chain(store.events("CLM-0002")).ok


def test_once_per_execution_steps_are_not_appended_twice() -> None:
    store = MemoryAuditStore()
    rec = AuditRecorder(store, "router", "1.0.0")
    common: dict[str, Any] = {
        "claim_id": "CLM-0003",
        "step": "decision",
        "input_value": 1,
        "occurred_at": FIXED_NOW,
        "execution_id": "arn:aws:states:us-east-1:123456789012:execution:m:run-1",
        "once_per_execution": True,
    }
    first = rec.record(decision="APPROVED", output_value={"at": 1}, **common)
    retried = rec.record(decision="APPROVED", output_value={"at": 2}, **common)  # a Lambda retry
    assert retried == first and len(store.events("CLM-0003")) == 1
    other_run = rec.record(
        **{**common, "execution_id": "arn:aws:states:us-east-1:123456789012:execution:m:run-2"},
        decision="APPROVED",
        output_value={"at": 3},
    )
    assert other_run.sequence == 2 and verify_chain(store.events("CLM-0003")).ok


# --- the canonical form: RFC 8785 now, the legacy form still verifiable -------------------------

# Two events exactly as the pre-RFC 8785 code wrote them to the audit table (generated with the
# code of c0260ee): no `canonical` field, hashed as sorted-keys json.dumps with ASCII escapes.
LEGACY_EVENTS = [
    '{"schema_version":"1.0","claim_id":"CLM-2019-0001","sequence":1,"step":"intake",'
    '"service":"review-callback","service_version":"1.0.0","execution_id":null,'
    '"input_digest":"f5179f7c191336e110cda36b0ce0a40874db936616237966c985b9c67b64e38a",'
    '"output_digest":"4062edaf750fb8074e7e83e0c9028c94e32468a8b6f1614774328ef045150f93",'
    '"decision":"ACCEPTED","reason_codes":[],"model_id":null,"model_version":null,"reviewer_id":null,'
    '"rationale":null,"occurred_at":"2019-03-01T09:00:00Z","previous_hash":null,'
    '"hash":"7c7a23c89c6da48607864acdcb75f463b7d4dfbd8142a1d2c364b739c52dd07c"}',
    '{"schema_version":"1.0","claim_id":"CLM-2019-0001","sequence":2,"step":"review",'
    '"service":"review-callback","service_version":"1.0.0","execution_id":null,'
    '"input_digest":"2bfd14f43d17fc7cea24e0917a8879b4b2f880b8baeec1b9d90fbaad655e71bd",'
    '"output_digest":"363379742f80b51bdb9206579af7754911543079b9399cb3fc315fb199f476e8",'
    '"decision":"DENIED","reason_codes":[],"model_id":null,"model_version":null,"reviewer_id":"reviewer-1",'
    '"rationale":"Behandlung in Z\u00fcrich nicht gedeckt (\u20ac 1.250,10)","occurred_at":"2019-03-02T09:00:00Z",'
    '"previous_hash":"7c7a23c89c6da48607864acdcb75f463b7d4dfbd8142a1d2c364b739c52dd07c",'
    '"hash":"38b4ebc045e8b0783b6cdad7d57e67e3370a1202d7d64e67e46e10ab769e9ce0"}',
]
LEGACY_INTAKE_INPUT = {"source_id": "s3://inbox/claims/Z\u00fcrich-\u20ac.json"}


def legacy_store() -> MemoryAuditStore:
    store = MemoryAuditStore()
    for text in LEGACY_EVENTS:
        assert store.append(AuditEvent.model_validate_json(text))
    return store


def test_a_new_event_is_hashed_as_rfc8785_of_its_fields() -> None:
    import hashlib

    import rfc8785

    store = MemoryAuditStore()
    event = AuditRecorder(store, "router", "1.0.0").record(
        claim_id="CLM-0004",
        step="review",
        decision="DENIED",
        input_value={"amount": "1250.10"},
        output_value={"note": "Z\u00fcrich"},
        occurred_at=FIXED_NOW,
        rationale="nicht gedeckt in Z\u00fcrich (\u20ac)",
    )
    fields = event.model_dump(mode="json")
    assert fields["canonical"] == "jcs"
    # Any RFC 8785 implementation reproduces it: the library directly, not our wrapper.
    expected = hashlib.sha256(rfc8785.dumps({k: v for k, v in fields.items() if k != "hash"})).hexdigest()
    assert event.hash == expected
    assert event.output_digest == hashlib.sha256('{"note":"Z\u00fcrich"}'.encode()).hexdigest()
    assert verify_chain([event]).ok


def test_a_chain_written_before_rfc8785_still_verifies() -> None:
    events = legacy_store().events("CLM-2019-0001")
    assert [e.canonical for e in events] == [None, None]
    assert verify_chain(events).ok


def test_a_legacy_chain_continues_in_rfc8785_and_verifies() -> None:
    store = legacy_store()
    new = AuditRecorder(store, "router", "1.0.0").record(
        claim_id="CLM-2019-0001",
        step="decision",
        decision="DENIED",
        input_value=1,
        output_value=2,
        occurred_at=FIXED_NOW,
    )
    events = store.events("CLM-2019-0001")
    assert new.canonical == "jcs" and new.previous_hash == events[1].hash
    assert verify_chain(events).ok


def test_tampering_a_legacy_event_still_fails() -> None:
    events = legacy_store().events("CLM-2019-0001")
    events[1] = events[1].model_copy(update={"rationale": "Behandlung in Z\u00fcrich gedeckt"})
    result = verify_chain(events)
    assert not result.ok and result.broken_sequence == 2 and "hash" in (result.problem or "")


def test_tampering_an_rfc8785_event_fails(chain: list[AuditEvent]) -> None:
    chain[3] = chain[3].model_copy(update={"reason_codes": ["FORGED"]})
    assert verify_chain(chain).broken_sequence == 4


def test_stripping_the_marker_breaks_the_hash(chain: list[AuditEvent]) -> None:
    chain[0] = chain[0].model_copy(update={"canonical": None})
    result = verify_chain(chain)
    assert not result.ok and result.broken_sequence == 1


def test_a_legacy_event_after_an_rfc8785_one_is_a_downgrade(chain: list[AuditEvent]) -> None:
    from icpa_shared.audit import event_hash

    # Rewritten in the legacy form, correctly hashed and linked: only the form gives it away.
    fields = {**chain[3].model_dump(mode="json"), "canonical": None}
    chain[3] = AuditEvent.model_validate({**fields, "hash": event_hash(fields)})
    result = verify_chain(chain)
    assert not result.ok and result.broken_sequence == 4 and "downgrade" in (result.problem or "")


def test_an_unknown_form_is_refused_when_read() -> None:
    from pydantic import ValidationError

    from icpa_shared.audit import event_hash
    from icpa_shared.digest import UnknownCanonicalFormError

    text = LEGACY_EVENTS[0].replace('"schema_version":"1.0",', '"schema_version":"1.0","canonical":"jcs-2030",')
    with pytest.raises(ValidationError):
        AuditEvent.model_validate_json(text)
    with pytest.raises(UnknownCanonicalFormError):
        event_hash({"canonical": "jcs-2030", "sequence": 1})


def test_an_event_digests_a_value_in_its_own_form() -> None:
    from icpa_shared.audit import digest_in_form_of
    from icpa_shared.digest import sha256_hex

    legacy = legacy_store().events("CLM-2019-0001")[0]
    # The redelivered intake of a claim first seen before RFC 8785 still finds its event.
    assert digest_in_form_of(legacy, LEGACY_INTAKE_INPUT) == legacy.input_digest
    assert sha256_hex(LEGACY_INTAKE_INPUT) != legacy.input_digest  # (the bytes differ: UTF-8)
