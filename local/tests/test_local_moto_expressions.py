"""DynamoDB expressions parsed once per text, walked with one processing map per traversal
(sections 17-19 of icpa_local.moto_patches): moto answers every request as it does unpatched,
and each patch skips the cost it removes."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from local_fakes import spy_on
from moto import mock_aws

from icpa_local import moto_patches
from icpa_local.moto_patches import dynamodb_expressions as de

EXPRESSIONS = moto_patches.moto_module("moto.dynamodb.parsing.expressions")
COMPARISONS = moto_patches.moto_module("moto.dynamodb.comparisons")
AST_NODES = moto_patches.moto_module("moto.dynamodb.parsing.ast_nodes")
TOKENS = moto_patches.moto_module("moto.dynamodb.parsing.tokens")
PATCHED = de.patched_attributes()

IDEMPOTENCY_CONDITION = (
    "attribute_not_exists(#id) OR #expiry < :now OR (#status = :inprogress AND "
    "attribute_exists(#in_progress_expiry) AND #in_progress_expiry < :now_in_millis)"
)


@pytest.fixture(autouse=True)
def installed() -> Iterator[None]:
    moto_patches.install()
    de.UPDATE_ASTS.clear()
    de.CONDITION_TOKENS.clear()
    yield


@contextlib.contextmanager
def table() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def key(pk: str, sk: int = 1) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}}


def put(pk: str, condition: str | None = None, **extra: Any) -> tuple[str, dict[str, Any]]:
    item = {**key(pk), "status": {"S": "INPROGRESS"}, "expiry": {"N": "9"}, "in_progress_expiry": {"N": "5"}}
    request: dict[str, Any] = {"TableName": "t", "Item": item, **extra}
    if condition:
        request["ConditionExpression"] = condition
    return "put_item", request


def update(
    pk: str, expression: str, names: dict[str, str], values: dict[str, Any] | None, **extra: Any
) -> tuple[str, dict[str, Any]]:
    request: dict[str, Any] = {"TableName": "t", "Key": key(pk), "UpdateExpression": expression, **extra}
    if names:
        request["ExpressionAttributeNames"] = names
    if values:
        request["ExpressionAttributeValues"] = values
    return "update_item", request


IDEMPOTENCY_NAMES = {"#id": "pk", "#expiry": "expiry", "#status": "status", "#in_progress_expiry": "in_progress_expiry"}
IDEMPOTENCY_VALUES = {":now": {"N": "10"}, ":inprogress": {"S": "INPROGRESS"}, ":now_in_millis": {"N": "1000"}}
SAVE = "SET #response_data = :response_data, #expiry = :expiry, #status = :status"
SAVE_NAMES = {"#response_data": "data", "#expiry": "expiry", "#status": "status"}


def save_values(n: int) -> dict[str, Any]:
    return {":response_data": {"S": f'{{"n": {n}}}'}, ":expiry": {"N": str(100 + n)}, ":status": {"S": "COMPLETED"}}


# Every request twice or more (the second answered from the caches), answers and refusals alike.
SCENARIO: list[tuple[str, dict[str, Any]]] = [
    put(
        "a",
        IDEMPOTENCY_CONDITION,
        ExpressionAttributeNames=IDEMPOTENCY_NAMES,
        ExpressionAttributeValues=IDEMPOTENCY_VALUES,
    ),
    put(
        "a",
        IDEMPOTENCY_CONDITION,
        ExpressionAttributeNames=IDEMPOTENCY_NAMES,
        ExpressionAttributeValues=IDEMPOTENCY_VALUES,
    ),
    put("b", "attribute_not_exists(pk)"),
    put("b", "attribute_not_exists(pk)"),  # refused: the item exists
    update("a", SAVE, SAVE_NAMES, save_values(1), ReturnValues="ALL_NEW"),
    update("a", SAVE, SAVE_NAMES, save_values(2), ReturnValues="UPDATED_OLD"),
    update("a", SAVE, SAVE_NAMES, save_values(3), ConditionExpression="#status = :status"),
    update("a", SAVE, SAVE_NAMES, save_values(4), ConditionExpression="#status = :status"),
    update("c", SAVE, SAVE_NAMES, save_values(5), ConditionExpression="attribute_exists(pk)"),  # refused
    update(
        "c",
        "SET n = if_not_exists(n, :zero) + :one, tags = list_append(if_not_exists(tags, :empty), :t)",
        {},
        {":zero": {"N": "0"}, ":one": {"N": "1"}, ":empty": {"L": []}, ":t": {"L": [{"S": "x"}]}},
        ReturnValues="ALL_NEW",
    ),
    update(
        "c",
        "SET n = if_not_exists(n, :zero) + :one, tags = list_append(if_not_exists(tags, :empty), :t)",
        {},
        {":zero": {"N": "0"}, ":one": {"N": "1"}, ":empty": {"L": []}, ":t": {"L": [{"S": "y"}]}},
        ReturnValues="ALL_NEW",
    ),
    update(
        "c",
        "SET m.#i = :v, #s = :s REMOVE tags[0] ADD tally :one",
        {"#s": "state", "#i": "inner"},
        {":v": {"M": {"deep": {"S": "1"}}}, ":s": {"S": "done"}, ":one": {"N": "1"}},
    ),
    update(
        "c",
        "SET m.#i = :v, #s = :s REMOVE tags[0] ADD tally :one",
        {"#s": "state", "#i": "inner"},
        {":v": {"M": {"deep": {"S": "2"}}}, ":s": {"S": "done"}, ":one": {"N": "1"}},
        ReturnValues="UPDATED_NEW",
    ),
    update("c", "ADD colours :c", {}, {":c": {"SS": ["red", "blue"]}}),
    update("c", "DELETE colours :c", {}, {":c": {"SS": ["red"]}}, ReturnValues="ALL_NEW"),
    update("c", "DELETE colours :c", {}, {":c": {"SS": ["blue"]}}, ReturnValues="ALL_NEW"),
    update("a", "SET pk = :p", {}, {":p": {"S": "z"}}),  # refused: a key attribute
    update("a", "SET pk = :p", {}, {":p": {"S": "z"}}),
    update("a", "SET a = :a, a = :b", {}, {":a": {"S": "1"}, ":b": {"S": "2"}}),  # refused: overlapping paths
    update("a", "SET a = :a, a = :b", {}, {":a": {"S": "1"}, ":b": {"S": "2"}}),
    update("a", "SET a = :missing", {}, {":a": {"S": "1"}}),  # refused: an undefined value
    update("a", "SET a = :missing", {}, {":a": {"S": "1"}}),
    update("a", "SET a = = :a", {}, {":a": {"S": "1"}}),  # refused: syntax
    update("a", "SET a = = :a", {}, {":a": {"S": "1"}}),
    update("a", "SET n = n + :one", {}, {":one": {"S": "text"}}),  # refused: type mismatch
    update("a", "SET n = n + :one", {}, {":one": {"S": "text"}}),
    put(
        "d",
        "attribute_not_exists(pk) OR (begins_with(#s, :p) AND size(#s) > :n)",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":p": {"S": "IN"}, ":n": {"N": "3"}},
    ),
    put(
        "d",
        "attribute_not_exists(pk) OR (begins_with(#s, :p) AND size(#s) > :n)",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":p": {"S": "IN"}, ":n": {"N": "3"}},
    ),
    put("e", "attribute_not_exists(pk) AND ((pk = :x)", ExpressionAttributeValues={":x": {"S": "e"}}),  # refused
    put("e", "attribute_not_exists(pk) AND ((pk = :x)", ExpressionAttributeValues={":x": {"S": "e"}}),
    put(
        "e",
        "pk IN (:a, :b) OR sk BETWEEN :lo AND :hi",
        ExpressionAttributeValues={":a": {"S": "e"}, ":b": {"S": "f"}, ":lo": {"N": "0"}, ":hi": {"N": "2"}},
    ),
    put(
        "e",
        "pk IN (:a, :b) OR sk BETWEEN :lo AND :hi",
        ExpressionAttributeValues={":a": {"S": "e"}, ":b": {"S": "f"}, ":lo": {"N": "0"}, ":hi": {"N": "2"}},
    ),
]


def outcomes() -> list[Any]:
    """Each request's answer (without its request id) or refusal, then what the table holds."""
    seen: list[Any] = []
    with table() as client:
        for operation, request in SCENARIO:
            try:
                answer = getattr(client, operation)(**request)
                answer.pop("ResponseMetadata", None)
                seen.append(answer)
            except ClientError as error:
                seen.append((error.response["Error"]["Code"], error.response["Error"]["Message"]))
            except ValueError as error:  # moto raises some parse errors as they are, on both sides
                seen.append((type(error).__name__, str(error)))
        items = client.scan(TableName="t")["Items"]
        seen.append(sorted(items, key=lambda item: (item["pk"]["S"], item["sk"]["N"])))
    return seen


def test_every_answer_and_refusal_is_moto_unpatched() -> None:
    patched = outcomes()
    with moto_patches.REGISTRY.undone(*PATCHED):
        released = outcomes()
    assert patched == released
    refusals = [o for o in patched[:-1] if isinstance(o, tuple)]
    assert len(refusals) >= 12, refusals  # the scenario exercises the error paths, not only successes
    assert de.UPDATE_ASTS.hits > 0 and de.CONDITION_TOKENS.hits > 0


def shape(node: Any) -> Any:
    """An AST as nested (class, own scalar attributes, children): what a caller could change."""
    if not isinstance(node, AST_NODES.Node):
        return repr(node)
    scalars = tuple(sorted((k, repr(v)) for k, v in vars(node).items() if k not in ("children", "parent")))
    children = tuple(shape(child) for child in node.children or ())
    return type(node).__name__, scalars, children


def test_the_shared_update_ast_is_never_changed_by_the_updates_that_use_it() -> None:
    expression = "SET m.#i = :v, #s = :s, n = if_not_exists(n, :zero) + :one REMOVE tags[0] ADD tally :one"
    with table() as client:
        client.put_item(TableName="t", Item={**key("a"), "m": {"M": {}}, "tags": {"L": [{"S": "x"}, {"S": "y"}]}})
        ast = EXPRESSIONS.UpdateExpressionParser.make(expression)
        before = shape(ast)
        for n in range(3):
            client.update_item(
                TableName="t",
                Key=key("a"),
                UpdateExpression=expression,
                ExpressionAttributeNames={"#s": "state", "#i": "inner"},
                ExpressionAttributeValues={
                    ":v": {"M": {"n": {"N": str(n)}}},
                    ":s": {"S": "x"},
                    ":zero": {"N": "0"},
                    ":one": {"N": "1"},
                },
            )
        assert EXPRESSIONS.UpdateExpressionParser.make(expression) is ast
        assert shape(ast) == before
        item = client.get_item(TableName="t", Key=key("a"))["Item"]
        assert item["n"] == {"N": "3"} and item["tally"] == {"N": "3"}


def test_an_expression_is_tokenized_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = spy_on(monkeypatch, TOKENS.ExpressionTokenizer, "make_list")
    with table() as client:
        for n in range(4):
            client.update_item(
                TableName="t",
                Key=key("a"),
                UpdateExpression=SAVE,
                ExpressionAttributeNames=SAVE_NAMES,
                ExpressionAttributeValues=save_values(n),
            )
    assert [call.args for call in calls] == [
        (SAVE,)
    ]  # unpatched: twice per UpdateItem (the response's check, the backend's)


def test_a_condition_is_lexed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = spy_on(monkeypatch, COMPARISONS.ConditionExpressionParser, "_lex_one_node")
    with table() as client:
        for n in range(3):
            client.put_item(
                TableName="t",
                Item={**key(f"k{n}")},
                ConditionExpression=IDEMPOTENCY_CONDITION,
                ExpressionAttributeNames=IDEMPOTENCY_NAMES,
                ExpressionAttributeValues=IDEMPOTENCY_VALUES,
            )
    lexed = [call.args[1] for call in calls]  # (self, the expression still to lex)
    assert lexed and all(r == IDEMPOTENCY_CONDITION for r in lexed[:1])
    assert sum(1 for r in lexed if r == IDEMPOTENCY_CONDITION) == 1  # unpatched: once per request


def test_a_traversal_reads_its_processing_map_once(monkeypatch: pytest.MonkeyPatch) -> None:
    validators = moto_patches.moto_module("moto.dynamodb.parsing.validators")
    reads = spy_on(monkeypatch, validators.ActionCountValidator, "_processing_map")
    with table() as client:
        client.update_item(
            TableName="t",
            Key=key("a"),
            UpdateExpression=SAVE,
            ExpressionAttributeNames=SAVE_NAMES,
            ExpressionAttributeValues=save_values(0),
        )
    # One validation for the new item, one for the update; unpatched: twice per node visited.
    assert len(reads) == 2


def test_a_traverser_with_its_own_walk_keeps_it() -> None:
    visited: list[str] = []

    base: Any = AST_NODES.DepthFirstTraverser

    class Own(base):  # type: ignore[misc, valid-type]
        def _processing_map(self) -> dict[Any, Any]:
            return {}

        def traverse_node_recursively(self, node: Any, child_id: int = -1) -> Any:
            visited.append(type(node).__name__)
            return node

    ast = EXPRESSIONS.UpdateExpressionParser.make(SAVE)
    assert Own().traverse(ast) is ast
    assert visited == ["UpdateExpression"]


def test_refused_texts_are_not_remembered_and_refuse_every_time() -> None:
    for _ in range(2):
        with pytest.raises(Exception, match="Invalid UpdateExpression|Syntax error"):
            EXPRESSIONS.UpdateExpressionParser.make("SET a = = :a")
        with pytest.raises(ValueError, match="Cannot parse condition"):
            COMPARISONS.ConditionExpressionParser("a = :a ~ b", {}, {":a": {"S": "1"}}).parse()
    assert len(de.UPDATE_ASTS) == 0 and len(de.CONDITION_TOKENS) == 0


def test_the_caches_are_bounded_and_skip_texts_over_the_dynamodb_limit() -> None:
    for n in range(de.MAX_ENTRIES + 50):
        EXPRESSIONS.UpdateExpressionParser.make(f"SET a{n} = :v")
    assert len(de.UPDATE_ASTS) == de.MAX_ENTRIES
    assert EXPRESSIONS.UpdateExpressionParser.make(
        f"SET a{de.MAX_ENTRIES + 49} = :v"
    ) is EXPRESSIONS.UpdateExpressionParser.make(f"SET a{de.MAX_ENTRIES + 49} = :v")
    long_text = "SET " + ", ".join(f"a{n} = :v" for n in range(600))
    assert len(long_text) > de.MAX_TEXT
    de.UPDATE_ASTS.clear()
    assert EXPRESSIONS.UpdateExpressionParser.make(long_text) is not EXPRESSIONS.UpdateExpressionParser.make(long_text)
    assert len(de.UPDATE_ASTS) == 0


def test_concurrent_updates_through_the_shared_ast_all_land() -> None:
    """Four threads update their own items with one expression text (one shared AST, one shared
    token tuple): every update lands on its own item."""
    with table() as client:
        errors: list[BaseException] = []

        def bump(pk: str) -> None:
            try:
                for _ in range(25):
                    client.update_item(
                        TableName="t",
                        Key=key(pk),
                        UpdateExpression="SET n = if_not_exists(n, :zero) + :one",
                        ConditionExpression="attribute_not_exists(done)",
                        ExpressionAttributeValues={":zero": {"N": "0"}, ":one": {"N": "1"}},
                    )
            except BaseException as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=bump, args=(f"t{n}",)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        for n in range(4):
            assert client.get_item(TableName="t", Key=key(f"t{n}"))["Item"]["n"] == {"N": "25"}
