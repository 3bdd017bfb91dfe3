"""The speed patches keep moto's semantics: each is compared with moto unpatched (the patch
undone for the comparison), and each is checked to skip the cost it removes."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from local_fakes import FakeSteps

from icpa_local import moto_patches
from icpa_local.cloud import LocalCloud
from icpa_local.moto_patches import speed
from icpa_shared.errors import ModelThrottledError


def unpatched(owner: Any, name: str) -> contextlib.AbstractContextManager[None]:
    """moto as released for `owner.name`, inside the block."""
    return moto_patches.REGISTRY.undone((owner, name))


# --- DynamoDB Query on the partition ----------------------------------------------------------


@pytest.fixture
def ddb() -> Iterator[Any]:
    from moto import mock_aws

    moto_patches.install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="claims",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
                {"AttributeName": "who", "AttributeType": "S"},
                {"AttributeName": "day", "AttributeType": "S"},
            ],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "member-day",
                    "KeySchema": [
                        {"AttributeName": "who", "KeyType": "HASH"},
                        {"AttributeName": "day", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                },
                {
                    "IndexName": "member-only",
                    "KeySchema": [{"AttributeName": "who", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                },
            ],
        )
        for n in range(120):
            item = {"pk": {"S": f"p{n % 7}"}, "sk": {"N": str(n)}, "amount": {"N": str(n % 13)}}
            if n % 5:  # a sparse index: every fifth item has no member
                item["who"] = {"S": f"m{n % 4}"}
                item["day"] = {"S": f"2026-10-{1 + n % 28:02d}"}
            client.put_item(TableName="claims", Item=item)
        yield client


QUERIES: list[dict[str, Any]] = [
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p3"}}},
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "nobody"}}},
    {
        "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
        "ExpressionAttributeValues": {":p": {"S": "p2"}, ":a": {"N": "10"}, ":b": {"N": "90"}},
        "ScanIndexForward": False,
    },
    {
        "KeyConditionExpression": "pk = :p",
        "FilterExpression": "amount > :x",
        "ExpressionAttributeValues": {":p": {"S": "p1"}, ":x": {"N": "5"}},
        "Limit": 3,
    },
    {
        "IndexName": "member-day",
        "KeyConditionExpression": "who = :m AND #d BETWEEN :a AND :b",
        "ExpressionAttributeNames": {"#d": "day"},
        "ExpressionAttributeValues": {":m": {"S": "m1"}, ":a": {"S": "2026-10-03"}, ":b": {"S": "2026-10-20"}},
        "Limit": 4,
    },
    {
        "IndexName": "member-day",
        "KeyConditionExpression": "who = :m",
        "FilterExpression": "amount <> :x",
        "ProjectionExpression": "pk, sk, #d",
        "ExpressionAttributeNames": {"#d": "day"},
        "ExpressionAttributeValues": {":m": {"S": "m2"}, ":x": {"N": "3"}},
        "ScanIndexForward": False,
        "Limit": 5,
    },
    {
        "IndexName": "member-only",
        "KeyConditionExpression": "who = :m",
        "ExpressionAttributeValues": {":m": {"S": "m3"}},
        "Limit": 7,
    },
    {
        "IndexName": "member-day",
        "KeyConditionExpression": "who = :m",
        "ExpressionAttributeValues": {":m": {"S": "m9"}},
    },
]


def _all_pages(client: Any, query: dict[str, Any]) -> list[dict[str, Any]]:
    """Every page (Items, Count, ScannedCount, LastEvaluatedKey), following ExclusiveStartKey."""
    pages: list[dict[str, Any]] = []
    request = {"TableName": "claims", **query}
    while True:
        page = client.query(**request)
        page.pop("ResponseMetadata", None)
        pages.append(page)
        if "LastEvaluatedKey" not in page or len(pages) > 100:
            return pages
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _table_class() -> Any:
    return moto_patches.moto_module("moto.dynamodb.models.table").Table


def _same_as_unpatched(client: Any) -> None:
    for query in QUERIES:
        patched = _all_pages(client, query)
        with unpatched(_table_class(), "query"):
            released = _all_pages(client, query)
        assert patched == released, query


def test_query_pages_match_moto_on_table_and_indexes(ddb: Any) -> None:
    _same_as_unpatched(ddb)


def test_query_follows_writes_that_move_items_between_partitions(ddb: Any) -> None:
    # Given the index's partitions are in use -- When items are updated in place (member moved,
    # member removed), overwritten, deleted, written in a rolled-back transaction, and by
    # PartiQL -- Then every query still answers as moto does.
    _same_as_unpatched(ddb)
    key = {"pk": {"S": "p1"}, "sk": {"N": "1"}}
    ddb.update_item(
        TableName="claims", Key=key, UpdateExpression="SET who = :m", ExpressionAttributeValues={":m": {"S": "m3"}}
    )
    ddb.update_item(TableName="claims", Key={"pk": {"S": "p2"}, "sk": {"N": "2"}}, UpdateExpression="REMOVE who")
    ddb.put_item(
        TableName="claims",
        Item={"pk": {"S": "p3"}, "sk": {"N": "3"}, "who": {"S": "m1"}, "day": {"S": "2026-10-05"}},
    )
    ddb.delete_item(TableName="claims", Key={"pk": {"S": "p6"}, "sk": {"N": "6"}})
    ddb.update_item(
        TableName="claims",
        Key={"pk": {"S": "new"}, "sk": {"N": "500"}},
        UpdateExpression="SET who = :m, #d = :d",
        ExpressionAttributeNames={"#d": "day"},
        ExpressionAttributeValues={":m": {"S": "m2"}, ":d": {"S": "2026-10-09"}},
    )
    with pytest.raises(ddb.exceptions.TransactionCanceledException):
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": "claims",
                        "Item": {"pk": {"S": "t"}, "sk": {"N": "1"}, "who": {"S": "m1"}, "day": {"S": "2026-10-04"}},
                    }
                },
                {
                    "Put": {
                        "TableName": "claims",
                        "Item": {"pk": {"S": "p4"}, "sk": {"N": "4"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    ddb.execute_statement(
        Statement="UPDATE claims SET who='m0' WHERE pk=? AND sk=?", Parameters=[{"S": "p5"}, {"N": "5"}]
    )
    _same_as_unpatched(ddb)


def test_query_reads_only_the_partition(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # moto's own query sorts every item of the table (all_items) for any keyed lookup.
    table_class = _table_class()
    calls: list[int] = []
    original = table_class.all_items

    def all_items(self: Any) -> Any:
        calls.append(1)
        return original(self)

    monkeypatch.setattr(table_class, "all_items", all_items)
    for query in QUERIES:
        _all_pages(ddb, query)
    assert calls == []


# --- GetExecutionHistory without the generic serializer -----------------------------------------


def test_history_matches_moto_serializer(cloud: LocalCloud, steps: FakeSteps) -> None:
    # Given executions that succeed, retry a typed error and get caught -- Then the history
    # read through boto3 is the one moto's serializer gives, event by event.
    steps.fraud_failures = [ModelThrottledError("slow down")]
    arns = [cloud.upload(b"{}", "claims/retried.json"), cloud.upload(b"{}", "claims/plain.json")]
    assert [cloud.wait(arn) for arn in arns] == ["SUCCEEDED"] * 2
    steps.intake_error = ValueError("not a claim")
    arns.append(cloud.upload(b"{}", "claims/broken.json"))
    for arn in arns:
        cloud.wait(arn)
        fast = cloud.history(arn)
        with unpatched(moto_patches.moto_module("moto.core.responses").ActionResult, "execute_result"):
            released = cloud.history(arn)
        assert fast == released
        assert len(fast) > 4
    types = {e["type"] for arn in arns for e in cloud.history(arn)}
    assert {"LambdaFunctionFailed", "ExecutionSucceeded", "TaskStateEntered"} <= types


def test_history_skips_the_generic_serializer(cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    serialize = moto_patches.moto_module("moto.core.serialize")
    walked: list[int] = []
    original = serialize.ResponseSerializer.get_value

    def get_value(*args: Any) -> Any:
        walked.append(1)
        return original(*args)

    monkeypatch.setattr(serialize.ResponseSerializer, "get_value", get_value)
    arn = cloud.upload(b"{}", "claims/one.json")
    cloud.wait(arn)
    moto_patches.wait_for_async_invocations()  # the archiver's own calls are serialized by moto
    walked.clear()
    assert cloud.history(arn)
    assert walked == []


# --- Program cache, JSONPath memo, plumbing clients ---------------------------------------------


def test_one_program_per_definition_and_executions_keep_their_own_state(
    cloud: LocalCloud, steps: FakeSteps, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the definition's program cached -- When executions run concurrently, one retrying --
    # Then the definition is parsed once and each keeps its own retry count and outcome.
    parser = moto_patches.moto_module("moto.stepfunctions.parser.asl.parse.asl_parser").AmazonStateLanguageParser
    speed._programs.clear()
    parses: list[int] = []
    original = parser.parse

    def parse(definition: str) -> Any:
        parses.append(1)
        return original(definition)

    monkeypatch.setattr(parser, "parse", staticmethod(parse))
    steps.fraud_failures = [ModelThrottledError("slow down"), ModelThrottledError("slow down")]
    arns = [cloud.upload(b"{}", f"claims/c{n}.json") for n in range(4)]
    assert [cloud.wait(arn) for arn in arns] == ["SUCCEEDED"] * 4
    assert parses == [1]
    retries = [sum(e["type"] == "LambdaFunctionFailed" for e in cloud.history(arn)) for arn in arns]
    assert sum(retries) == 2
    assert len(steps.calls["fraud"]) == 6


def test_definitions_with_parallel_states_are_not_shared() -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    moto_patches.install()
    parallel = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "End": True,
                "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}],
            }
        },
    }
    plain = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Retry": [], "End": True}}}
    assert not speed._shareable(AmazonStateLanguageParser.parse(json.dumps(parallel))[0])
    assert speed._shareable(AmazonStateLanguageParser.parse(json.dumps(plain))[0])


def test_jsonpath_parsed_once_with_the_same_result() -> None:
    moto_patches.install()
    json_path = moto_patches.moto_module("moto.stepfunctions.parser.asl.utils.json_path")
    data = {"a": {"b": [1, 2, 3]}, "c": "x"}
    for path in ("$.a.b", "$.a.b[1]", "$.c", "$"):
        assert json_path.parse(path) is json_path.parse(path)
        with unpatched(json_path, "parse"):
            released = json_path.extract_json(path, data)
        assert json_path.extract_json(path, data) == released


def test_plumbing_clients_are_built_once(cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    original: Any = boto3.client
    lock = threading.Lock()

    def counting(service: str, *args: Any, **kwargs: Any) -> Any:
        with lock:
            built.append(service)
        return original(service, *args, **kwargs)

    monkeypatch.setattr(boto3, "client", counting)
    arns = [cloud.upload(b"{}", f"claims/p{n}.json") for n in range(3)]
    for arn in arns:
        cloud.wait(arn)
    moto_patches.wait_for_async_invocations()
    assert built.count("stepfunctions") <= 1 and built.count("events") <= 1
