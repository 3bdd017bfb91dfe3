"""History lookups are keyed GSI queries bounded by date: their cost does not grow with the
number of claims on file. Checked on moto with botocore event hooks that see every call."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fraud_testkit import CLEAN_NPI, OTHER_NPI, on_file, put_on_file

from icpa_fraud.adapters.claim_history import DynamoClaimHistory

MARCH_1 = date(2026, 3, 1)


class CallSpy:
    """Records every DynamoDB operation a client makes, its parameters and the items it read."""

    def __init__(self, client: Any) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.scanned = 0
        client.meta.events.register("before-parameter-build.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb.Query", self._after)

    def _before(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.calls.append((model.name, params))

    def _after(self, parsed: dict[str, Any], **_: Any) -> None:
        self.scanned += int(parsed.get("ScannedCount", 0))


def seed_noise(ddb: Any, count: int) -> None:
    """Claims of other members and providers, and of this member/provider on far-away dates."""
    for n in range(count):
        far = date(2025, 1 + n % 12, 1 + n % 28)
        put_on_file(ddb, on_file(f"CLM-N{n:04d}", member_id=f"MBR{200000 + n}", npi=OTHER_NPI))
        put_on_file(ddb, on_file(f"CLM-F{n:04d}", lines=[("99213", "150.00", far)]))


def lookups(history: DynamoClaimHistory) -> tuple[list[str], list[str]]:
    member = history.member_claims("MBR000001", date(2026, 2, 26), date(2026, 3, 4), exclude_claim_id="CLM-0001")
    provider = history.provider_claims(CLEAN_NPI, date(2026, 2, 26), date(2026, 3, 1), exclude_claim_id="CLM-0001")
    return sorted(e.claim_id for e in member.entries), sorted(e.claim_id for e in provider.entries)


def test_only_bounded_keyed_queries_are_made_on_the_gsis(aws: dict[str, Any]) -> None:
    # Given the claim itself, one relevant claim and noise on file
    ddb = aws["dynamodb"]
    put_on_file(ddb, on_file("CLM-0001"))
    put_on_file(ddb, on_file("CLM-0100", lines=[("99213", "150.00", date(2026, 3, 2))]))
    seed_noise(ddb, 20)
    spy = CallSpy(ddb)

    # When both lookups run
    member, provider = lookups(DynamoClaimHistory("icpa-claims", dynamodb=ddb))

    # Then they found the relevant claim only (the claim itself excluded)
    assert (member, provider) == (["CLM-0100"], [])
    # and every call was a Query on a GSI with the hash key fixed and the date range bounded
    assert {name for name, _ in spy.calls} == {"Query"}
    assert sorted(params["IndexName"] for _, params in spy.calls) == ["member-date-index", "provider-date-index"]
    for _, params in spy.calls:
        assert params["KeyConditionExpression"] == "#k = :k AND service_date BETWEEN :start AND :end"
        assert params["ExpressionAttributeNames"]["#k"] in ("member_id", "provider_npi")
        assert params["ExpressionAttributeValues"][":self"] == {"S": "CLM-0001"}
        assert params["Limit"] <= 100


@pytest.mark.parametrize("noise", [10, 200])
def test_items_read_do_not_grow_with_the_claims_on_file(aws: dict[str, Any], noise: int) -> None:
    # Given the same relevant claims, and little or much unrelated history on file
    ddb = aws["dynamodb"]
    put_on_file(ddb, on_file("CLM-0001"))
    put_on_file(ddb, on_file("CLM-0100", lines=[("99213", "150.00", date(2026, 3, 2))]))
    put_on_file(ddb, on_file("CLM-0200", member_id="MBR000002", lines=[("85025", "30.00", MARCH_1)]))
    seed_noise(ddb, noise)
    spy = CallSpy(ddb)

    member, provider = lookups(DynamoClaimHistory("icpa-claims", dynamodb=ddb))

    # Then the same items are read either way: the key's claims in the window (the claim itself,
    # read and filtered out, plus CLM-0100 for the member; plus CLM-0200 for the provider)
    assert (member, provider) == (["CLM-0100"], ["CLM-0200"])
    assert spy.scanned == 2 + 2
    assert len(spy.calls) == 2


def test_a_lookup_stops_at_its_item_cap_and_says_so(aws: dict[str, Any]) -> None:
    ddb = aws["dynamodb"]
    for n in range(25):
        put_on_file(ddb, on_file(f"CLM-B{n:03d}", member_id=f"MBR{300000 + n}"))
    spy = CallSpy(ddb)

    page = DynamoClaimHistory("icpa-claims", max_items=10, page_size=4, dynamodb=ddb).provider_claims(
        CLEAN_NPI, MARCH_1, MARCH_1, exclude_claim_id="CLM-0001"
    )

    assert page.truncated is True
    assert len(page.entries) == 10
    assert [params["Limit"] for _, params in spy.calls] == [4, 4, 2]


def test_pages_are_followed_to_the_end_below_the_cap(aws: dict[str, Any]) -> None:
    ddb = aws["dynamodb"]
    for n in range(9):
        put_on_file(ddb, on_file(f"CLM-B{n:03d}", member_id=f"MBR{300000 + n}"))

    page = DynamoClaimHistory("icpa-claims", max_items=100, page_size=4, dynamodb=ddb).provider_claims(
        CLEAN_NPI, MARCH_1, MARCH_1, exclude_claim_id="CLM-0001"
    )

    assert (page.truncated, len(page.entries)) == (False, 9)


def test_an_item_without_an_index_entry_is_skipped(aws: dict[str, Any]) -> None:
    ddb = aws["dynamodb"]
    ddb.put_item(
        TableName="icpa-claims",
        Item={
            "claim_id": {"S": "CLM-0300"},
            "member_id": {"S": "MBR000001"},
            "provider_npi": {"S": CLEAN_NPI},
            "service_date": {"S": "2026-03-01"},
        },
    )

    member, _ = lookups(DynamoClaimHistory("icpa-claims", dynamodb=ddb))

    assert member == []
