"""The AWS every service's tests run against: dummy credentials in one region with tracing off
(never the developer's endpoint or profile), cached boto3 clients forgotten around each test,
and the shared tables as the services use them (local names), to create inside moto.

Fixtures stay in each service's conftest.py (pytest finds them per package); they call these."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any, Protocol

from icpa_shared.adapters.aws import reset_clients
from icpa_shared.adapters.items import to_attributes
from icpa_shared.contracts.policy import Policy

REGION = "us-east-1"

AWS_TEST_ENV: Mapping[str, str] = MappingProxyType(
    {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
)
"""Set for every test: botocore never finds real credentials, X-Ray never records."""

AWS_TEST_UNSET: tuple[str, ...] = ("AWS_ENDPOINT_URL", "AWS_PROFILE")
"""Removed for every test: a developer's shell must not point the tests at a real account."""


class EnvPatch(Protocol):
    """What is needed of pytest's MonkeyPatch (shared code does not import pytest)."""

    def setenv(self, name: str, value: str, prepend: str | None = None) -> None: ...

    def delenv(self, name: str, raising: bool = True) -> None: ...


def fake_aws_env(**overrides: str) -> dict[str, str]:
    """AWS_TEST_ENV plus a service's own variables (e.g. POWERTOOLS_METRICS_NAMESPACE)."""
    return {**AWS_TEST_ENV, **overrides}


@contextmanager
def patched_aws_env(monkeypatch: EnvPatch, *, unset: Iterable[str] = (), **overrides: str) -> Iterator[None]:
    """For the length of a test: fake_aws_env(**overrides) set, AWS_TEST_UNSET and `unset`
    removed (monkeypatch restores them), and the cached boto3 clients forgotten on entry and
    on exit (they would hold another test's moto or credentials)."""
    for name, value in fake_aws_env(**overrides).items():
        monkeypatch.setenv(name, value)
    for name in (*AWS_TEST_UNSET, *unset):
        monkeypatch.delenv(name, raising=False)
    reset_clients()
    try:
        yield
    finally:
        reset_clients()


def count_calls(client: Any) -> Counter[str]:
    """A Counter of the operations (`"Query"`, `"PutItem"`) `client` makes from now on: what a
    test asserts when the number of AWS calls is the point (each is latency and money)."""
    counts: Counter[str] = Counter()

    def counted(model: Any, **_: Any) -> None:
        counts[model.name] += 1

    client.meta.events.register("before-call.*.*", counted)
    return counts


# --- the shared tables, on a (moto) DynamoDB client -----------------------------------------------


def create_claims_table(ddb: Any, name: str = "icpa-claims") -> None:
    """pk `claim_id`; GSIs `member-date-index` and `provider-date-index` (sk `service_date`)."""
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "claim_id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": attribute, "AttributeType": "S"}
            for attribute in ("claim_id", "member_id", "provider_npi", "service_date")
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": index,
                "KeySchema": [
                    {"AttributeName": key, "KeyType": "HASH"},
                    {"AttributeName": "service_date", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index, key in (("member-date-index", "member_id"), ("provider-date-index", "provider_npi"))
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def create_policies_table(ddb: Any, name: str = "icpa-policies", policies: Iterable[Policy] = ()) -> None:
    """pk `policy_id`, with `policies` stored the way adapters.policies reads them."""
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "policy_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "policy_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for policy in policies:
        put_policy(ddb, policy, name)


def put_policy(ddb: Any, policy: Policy, table: str = "icpa-policies") -> None:
    ddb.put_item(
        TableName=table,
        Item=to_attributes({"policy_id": policy.policy_id, "policy": policy.model_dump_json()}),
    )


def create_audit_table(ddb: Any, name: str = "icpa-audit") -> None:
    """pk `claim_id` (S), sk `sequence` (N): adapters.audit_store's layout."""
    ddb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "claim_id", "KeyType": "HASH"},
            {"AttributeName": "sequence", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "claim_id", "AttributeType": "S"},
            {"AttributeName": "sequence", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
