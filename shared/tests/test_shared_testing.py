"""The test helpers every service uses: the in-memory audit store behaves like the DynamoDB
one, the AWS test environment is hermetic, and the shared tables fit the shared adapters."""

from __future__ import annotations

import os
from datetime import timedelta

import boto3
import pytest
from moto import mock_aws

from icpa_shared.adapters import aws
from icpa_shared.adapters.audit_store import DynamoAuditStore
from icpa_shared.adapters.claims import DynamoClaimRecords
from icpa_shared.adapters.policies import DynamoPolicies
from icpa_shared.audit import AuditRecorder, build_event, verify_chain
from icpa_shared.contracts import AuditEvent, ClaimRecord, DecidedBy, Outcome
from icpa_shared.errors import TransientDependencyError
from icpa_shared.testing.aws import (
    AWS_TEST_ENV,
    create_audit_table,
    create_claims_table,
    create_policies_table,
    fake_aws_env,
    patched_aws_env,
)
from icpa_shared.testing.builders import FIXED_NOW, a_policy
from icpa_shared.testing.fakes import MemoryAuditStore


def an_event(sequence: int, claim_id: str = "CLM-0001") -> AuditEvent:
    return build_event(
        None,
        claim_id=claim_id,
        step="intake",
        service="intake",
        service_version="1.0.0",
        input_digest="a" * 64,
        output_digest="b" * 64,
        decision="ACCEPTED",
        occurred_at=FIXED_NOW,
    ).model_copy(update={"sequence": sequence})


# --- MemoryAuditStore ----------------------------------------------------------------------------


def test_the_memory_store_holds_a_verifiable_chain_per_claim() -> None:
    store = MemoryAuditStore()
    recorder = AuditRecorder(store, "svc", "1.0.0")
    for i in range(3):
        recorder.record(
            claim_id="CLM-0001",
            step=f"step{i}",
            decision="DONE",
            input_value=i,
            output_value=i,
            occurred_at=FIXED_NOW + timedelta(seconds=i),
        )
    recorder.record(
        claim_id="CLM-0002", step="step", decision="DONE", input_value=0, output_value=0, occurred_at=FIXED_NOW
    )

    chain = store.events("CLM-0001")
    assert [e.sequence for e in chain] == [1, 2, 3] and verify_chain(chain).ok
    assert store.last_event("CLM-0001") == chain[-1]
    assert [e.sequence for e in store.events("CLM-0002")] == [1]
    assert store.last_event("CLM-0003") is None and store.events("CLM-0003") == []


def test_an_append_to_a_taken_sequence_loses_and_changes_nothing() -> None:
    store = MemoryAuditStore()
    first = an_event(1)

    assert store.append(first) is True
    assert store.append(an_event(1).model_copy(update={"decision": "OTHER"})) is False
    assert store.events("CLM-0001") == [first]


def test_events_come_in_sequence_order_as_dynamodb_returns_them() -> None:
    store = MemoryAuditStore()
    for sequence in (2, 3, 1):
        store.append(an_event(sequence))

    assert [e.sequence for e in store.events("CLM-0001")] == [1, 2, 3]
    assert store.last_event("CLM-0001") == an_event(3)


def test_fail_next_fails_one_append_only() -> None:
    store = MemoryAuditStore()
    store.fail_next = TransientDependencyError("audit.append: Throttling")

    with pytest.raises(TransientDependencyError):
        store.append(an_event(1))
    assert store.chains == {}
    assert store.append(an_event(1)) is True


def test_events_is_a_copy() -> None:
    store = MemoryAuditStore()
    store.append(an_event(1))

    store.events("CLM-0001").clear()

    assert len(store.events("CLM-0001")) == 1


# --- the AWS test environment --------------------------------------------------------------------


def test_fake_aws_env_adds_a_service_own_variables() -> None:
    env = fake_aws_env(POWERTOOLS_METRICS_NAMESPACE="ICPA")

    assert env == {**AWS_TEST_ENV, "POWERTOOLS_METRICS_NAMESPACE": "ICPA"}
    assert env["AWS_ACCESS_KEY_ID"] == "testing" and env["POWERTOOLS_TRACE_DISABLED"] == "true"


def test_patched_aws_env_is_hermetic_and_undone_by_monkeypatch() -> None:
    cached = object()
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("AWS_ENDPOINT_URL", "http://localhost:4566")
        monkeypatch.setenv("AWS_PROFILE", "prod")
        monkeypatch.setenv("ICPA_SOMETHING", "x")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREAL")
        aws._clients[("dynamodb", None)] = cached
        with pytest.MonkeyPatch.context() as inner:
            with patched_aws_env(inner, unset=["ICPA_SOMETHING"], POWERTOOLS_METRICS_NAMESPACE="ICPA"):
                assert aws._clients == {}
                assert {name: os.environ[name] for name in AWS_TEST_ENV} == dict(AWS_TEST_ENV)
                assert os.environ["POWERTOOLS_METRICS_NAMESPACE"] == "ICPA"
                assert not {"AWS_ENDPOINT_URL", "AWS_PROFILE", "ICPA_SOMETHING"} & set(os.environ)
                aws._clients[("dynamodb", None)] = cached
            assert aws._clients == {}
        assert os.environ["AWS_PROFILE"] == "prod" and os.environ["AWS_ACCESS_KEY_ID"] == "AKIAREAL"


# --- the shared tables ---------------------------------------------------------------------------


def test_the_shared_tables_fit_the_shared_adapters(monkeypatch: pytest.MonkeyPatch) -> None:
    with patched_aws_env(monkeypatch), mock_aws():
        ddb = boto3.client("dynamodb")
        create_claims_table(ddb)
        create_policies_table(ddb, policies=[a_policy()])
        create_audit_table(ddb)

        assert DynamoPolicies("icpa-policies", ddb).get("POL-GOLD001") == a_policy()

        record = ClaimRecord(
            claim_id="CLM-0001",
            outcome=Outcome.APPROVED,
            decided_by=DecidedBy.AUTO,
            source_uri="s3://icpa-inbox/claims/clm-0001.json",
            service_version="1.0.0",
            updated_at=FIXED_NOW,
        )
        DynamoClaimRecords("icpa-claims", ddb).put_record(record)
        assert DynamoClaimRecords("icpa-claims", ddb).get_record("CLM-0001") == record
        indexes = ddb.describe_table(TableName="icpa-claims")["Table"]["GlobalSecondaryIndexes"]
        assert {i["IndexName"] for i in indexes} == {"member-date-index", "provider-date-index"}

        store = DynamoAuditStore("icpa-audit", ddb)
        AuditRecorder(store, "svc", "1.0.0").record(
            claim_id="CLM-0001", step="step", decision="DONE", input_value=0, output_value=0, occurred_at=FIXED_NOW
        )
        assert [e.sequence for e in store.events("CLM-0001")] == [1]
