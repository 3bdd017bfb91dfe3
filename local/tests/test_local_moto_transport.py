"""The in-process request path's speed patches keep moto's answers: JSON answers built without
the generic serializer, unsigned non-S3 requests, remembered routes and action names. Each is
compared with moto unpatched (the patch undone for the comparison) and checked to skip its cost."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icpa_local import moto_patches
from icpa_local.moto_patches import json_results, transport

REGION = "us-east-1"


Patched = tuple[Any, str]  # a patched attribute: (owner, name)


def unpatched(*attributes: Patched) -> contextlib.AbstractContextManager[None]:
    """moto (and botocore) as released for these attributes, inside the block."""
    return moto_patches.REGISTRY.undone(*attributes)


def _action_result() -> Patched:
    return moto_patches.moto_module("moto.core.responses").ActionResult, "execute_result"


def _signer() -> Patched:
    return moto_patches.moto_module("botocore.signers").RequestSigner, "get_auth_instance"


def _stubber() -> Patched:
    return moto_patches.moto_module("moto.core.botocore_stubber").BotocoreStubber, "process_request"


def _action_names() -> Patched:
    return moto_patches.moto_module("moto.core.responses"), "method_names_from_class"


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    from moto import mock_aws

    moto_patches.install()
    with mock_aws():
        names = ("dynamodb", "s3", "sns", "sqs", "sts")
        clients: dict[str, Any] = {name: boto3.client(name, region_name=REGION) for name in names}  # type: ignore[call-overload]
        clients["dynamodb"].create_table(
            TableName="t",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
                {"AttributeName": "who", "AttributeType": "S"},
            ],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-who",
                    "KeySchema": [{"AttributeName": "who", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        clients["s3"].create_bucket(Bucket="icpa-transport-test")
        yield clients


def _answer(call: Callable[[], dict[str, Any]]) -> Any:
    """What a handler sees, without the per-request metadata (request id, date header)."""
    try:
        out = call()
    except Exception as exc:  # errors are answers too: same class, code and message
        response = getattr(exc, "response", {})
        return ("error", type(exc).__name__, response.get("Error"))
    out.pop("ResponseMetadata", None)
    if "Body" in out:
        out["Body"] = out["Body"].read()
    return out


def _same_with_and_without(patches: tuple[Patched, ...], call: Callable[[], dict[str, Any]]) -> Any:
    fast = _answer(call)
    with unpatched(*patches):
        released = _answer(call)
    assert fast == released
    return fast


# --- DynamoDB answers: every attribute type, every shape ICPA reads ----------------------------------

_scalar = st.one_of(
    st.text(min_size=1, max_size=20).map(lambda s: {"S": s}),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**9), max_value=10**9).map(
        lambda d: {"N": str(Decimal(d).normalize()) if d else "0"}
    ),
    st.binary(min_size=1, max_size=16).map(lambda b: {"B": b}),
    st.booleans().map(lambda b: {"BOOL": b}),
    st.just({"NULL": True}),
    st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=4, unique=True).map(lambda v: {"SS": v}),
    st.lists(st.integers(-1000, 1000), min_size=1, max_size=4, unique=True).map(lambda v: {"NS": [str(n) for n in v]}),
)
_value = st.recursive(
    _scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda v: {"L": v}),
        st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=3).map(lambda v: {"M": v}),
    ),
    max_leaves=12,
)
_attributes = st.dictionaries(
    st.text(min_size=1, max_size=10).filter(lambda k: k not in ("pk", "sk")), _value, max_size=6
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(attributes=_attributes)
def test_dynamodb_answers_match_moto_serializer(aws: dict[str, Any], attributes: dict[str, Any]) -> None:
    ddb = aws["dynamodb"]
    key = {"pk": {"S": "p"}, "sk": {"N": "1"}}
    item = {**key, "who": {"S": "m1"}, **attributes}
    patches = (_action_result(),)
    ddb.put_item(TableName="t", Item=item)  # then every call compared leaves the table as it found it
    _same_with_and_without(patches, lambda: ddb.put_item(TableName="t", Item=item, ReturnValues="ALL_OLD"))
    got = _same_with_and_without(patches, lambda: ddb.get_item(TableName="t", Key=key, ConsistentRead=True))
    assert got["Item"] == item  # and it is the item written, types and all
    _same_with_and_without(
        patches,
        lambda: ddb.query(
            TableName="t",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "p"}},
            ReturnConsumedCapacity="TOTAL",
        ),
    )


def test_dynamodb_operations_answer_as_moto_does(aws: dict[str, Any]) -> None:
    ddb = aws["dynamodb"]
    patches = (_action_result(),)
    for n in range(5):
        ddb.put_item(TableName="t", Item={"pk": {"S": "q"}, "sk": {"N": str(n)}, "who": {"S": f"w{n % 2}"}})
    calls: list[Callable[[], dict[str, Any]]] = [
        lambda: ddb.describe_table(TableName="t"),  # nested structures, timestamps, enums
        lambda: ddb.list_tables(),
        lambda: ddb.query(
            TableName="t",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "q"}},
            Limit=2,  # LastEvaluatedKey
            ScanIndexForward=False,
        ),
        lambda: ddb.query(
            TableName="t",
            IndexName="by-who",
            KeyConditionExpression="who = :w",
            ExpressionAttributeValues={":w": {"S": "w1"}},
        ),
        lambda: ddb.update_item(
            TableName="t",
            Key={"pk": {"S": "q"}, "sk": {"N": "1"}},
            UpdateExpression="SET n = :n, tags = :t",
            ExpressionAttributeValues={":n": {"N": "7"}, ":t": {"SS": ["a", "b"]}},
            ReturnValues="ALL_NEW",
        ),
        lambda: ddb.batch_get_item(RequestItems={"t": {"Keys": [{"pk": {"S": "q"}, "sk": {"N": "2"}}]}}),
        lambda: ddb.transact_get_items(
            TransactItems=[{"Get": {"TableName": "t", "Key": {"pk": {"S": "q"}, "sk": {"N": "3"}}}}]
        ),
        lambda: ddb.scan(TableName="t", Limit=3),
        lambda: ddb.delete_item(TableName="t", Key={"pk": {"S": "nobody"}, "sk": {"N": "0"}}, ReturnValues="ALL_OLD"),
        # errors keep moto's own path (a ServiceException is not a dict result)
        lambda: ddb.put_item(
            TableName="t", Item={"pk": {"S": "q"}, "sk": {"N": "0"}}, ConditionExpression="attribute_not_exists(pk)"
        ),
        lambda: ddb.get_item(TableName="missing", Key={"pk": {"S": "q"}, "sk": {"N": "0"}}),
    ]
    for call in calls:
        _same_with_and_without(patches, call)


def test_dynamodb_answers_skip_the_generic_serializer(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    serialize = moto_patches.moto_module("moto.core.serialize")
    walked: list[int] = []
    original = serialize.ResponseSerializer.get_value

    def get_value(*args: Any) -> Any:
        walked.append(1)
        return original(*args)

    monkeypatch.setattr(serialize.ResponseSerializer, "get_value", get_value)
    aws["dynamodb"].get_item(TableName="t", Key={"pk": {"S": "q"}, "sk": {"N": "0"}})
    aws["dynamodb"].describe_table(TableName="t")
    assert walked == []
    with unpatched(_action_result()):
        aws["dynamodb"].describe_table(TableName="t")
    assert walked  # the probe sees moto's walk when the patch is undone


def test_results_the_walk_does_not_cover_fall_back_to_moto() -> None:
    class Context:
        response = type("WithTransformers", (), {"RESPONSE_KEY_PATH_TO_TRANSFORMER": {"x": str}})()

    assert json_results.fast_json_response({"a": 1}, Context()) is None
    assert json_results.fast_json_response(ValueError("an error"), Context()) is None


# --- Unsigned in-process requests ---------------------------------------------------------------------


def _headers_sent(client: Any) -> list[dict[str, str]]:
    sent: list[dict[str, str]] = []

    def before_send(request: AWSPreparedRequest, **_: Any) -> None:
        sent.append(dict(request.headers))

    client.meta.events.register_first("before-send.*.*", before_send)
    return sent


def test_only_s3_requests_are_signed_in_process(aws: dict[str, Any]) -> None:
    ddb_sent = _headers_sent(aws["dynamodb"])
    s3_sent = _headers_sent(aws["s3"])
    aws["dynamodb"].get_item(TableName="t", Key={"pk": {"S": "q"}, "sk": {"N": "0"}})
    aws["s3"].put_object(Bucket="icpa-transport-test", Key="k", Body=b"x")
    assert "Authorization" not in ddb_sent[-1]
    assert "Authorization" in s3_sent[-1]  # moto's S3 would answer an unsigned request as anonymous (403)
    with unpatched(_signer()):
        aws["dynamodb"].get_item(TableName="t", Key={"pk": {"S": "q"}, "sk": {"N": "0"}})
    assert "Authorization" in ddb_sent[-1]


def test_unsigned_requests_get_the_same_account_and_region(aws: dict[str, Any]) -> None:
    # ARNs carry both: what moto derives from a request's account and region
    patches = (_signer(),)
    topic = _same_with_and_without(patches, lambda: aws["sns"].create_topic(Name="reviews"))
    assert topic["TopicArn"] == f"arn:aws:sns:{REGION}:123456789012:reviews"
    _same_with_and_without(patches, lambda: aws["sqs"].create_queue(QueueName="dlq"))
    _same_with_and_without(patches, lambda: aws["sts"].get_caller_identity())
    _same_with_and_without(patches, lambda: aws["dynamodb"].describe_table(TableName="t"))


def test_presigned_urls_are_still_signed(aws: dict[str, Any]) -> None:
    url = aws["s3"].generate_presigned_url("get_object", Params={"Bucket": "icpa-transport-test", "Key": "k"})
    assert "X-Amz-Signature=" in url or "Signature=" in url


def test_signing_stays_when_moto_checks_iam(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from moto import settings as moto_settings

    assert transport.signature_unread()
    monkeypatch.setattr(moto_settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    assert not transport.signature_unread()


# --- Routes and action names remembered ---------------------------------------------------------------


def test_requests_reach_the_same_routes(aws: dict[str, Any]) -> None:
    s3 = aws["s3"]
    s3.put_object(Bucket="icpa-transport-test", Key="claims/a b+c%.json", Body=b'{"a": 1}')
    patches = (_stubber(), _action_names())
    for call in (
        lambda: s3.get_object(Bucket="icpa-transport-test", Key="claims/a b+c%.json"),
        lambda: s3.head_object(Bucket="icpa-transport-test", Key="claims/a b+c%.json"),
        lambda: s3.list_objects_v2(Bucket="icpa-transport-test", Prefix="claims/"),
        lambda: s3.get_object(Bucket="icpa-transport-test", Key="missing"),
        lambda: aws["sns"].list_topics(),
        lambda: aws["sqs"].list_queues(),
        lambda: aws["dynamodb"].query(
            TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "q"}}
        ),
    ):
        _same_with_and_without(patches, call)


def test_routes_are_built_once_per_service(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    base_backend = moto_patches.moto_module("moto.core.base_backend")
    built: list[str] = []
    original = base_backend.BaseBackend.urls

    def urls(self: Any) -> Any:
        built.append(type(self).__name__)
        return original.fget(self)

    monkeypatch.setattr(base_backend.BaseBackend, "urls", property(urls))
    monkeypatch.setattr(transport, "_routes", {})
    for n in range(3):
        aws["dynamodb"].get_item(TableName="t", Key={"pk": {"S": "q"}, "sk": {"N": str(n)}})
    assert built == ["DynamoDBBackend"]


def test_action_names_follow_a_class_that_gains_an_action() -> None:
    names = moto_patches.moto_module("moto.core.responses").method_names_from_class

    class Handler:
        def get_item(self) -> None: ...

    assert "get_item" in names(Handler)
    Handler.put_item = lambda self: None  # type: ignore[attr-defined]
    assert {"get_item", "put_item"} <= names(Handler)
    del Handler.put_item  # type: ignore[attr-defined]
    assert "put_item" not in names(Handler)


def test_urls_remembered_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport, "URLS_REMEMBERED", 3)
    monkeypatch.setattr(transport, "_services_by_url", type(transport._services_by_url)())
    for n in range(10):
        assert transport._services_for(f"https://icpa-transport-test.s3.amazonaws.com/k{n}") == ("s3",)
    assert len(transport._services_by_url) == 3


def test_a_blob_round_trips(aws: dict[str, Any]) -> None:
    raw = json.dumps({"x": 1}).encode()
    ddb = aws["dynamodb"]
    ddb.put_item(TableName="t", Item={"pk": {"S": "b"}, "sk": {"N": "1"}, "blob": {"B": raw}})
    got = ddb.get_item(TableName="t", Key={"pk": {"S": "b"}, "sk": {"N": "1"}})["Item"]["blob"]["B"]
    assert got == raw and base64.b64encode(got)


_offsets = st.sampled_from(["Z", "+00:00", "-05:00", "+05:30", ""])


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)),
    offset=_offsets,
    digits=st.sampled_from([0, 3, 6]),
)
def test_history_timestamps_convert_as_moto_does(moment: datetime, offset: str, digits: int) -> None:
    # The interpreter's event times are ISO strings; moto's converter parses them with dateutil.
    serialize = moto_patches.moto_module("moto.core.serialize")
    converter = serialize.TimestampSerializer("unixtimestamp")
    text = moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{moment.microsecond:06d}"[: digits + 1] if digits else "")
    text += offset
    for fmt in ("unixtimestamp", "iso8601", "rfc822"):
        assert converter._convert_timestamp_to_str(json_results.iso_datetime(text), fmt) == (
            converter._convert_timestamp_to_str(text, fmt)
        ), (text, fmt)


def test_other_timestamp_forms_are_left_to_moto() -> None:
    for value in ("1796142691.95", "Tue, 01 Dec 2026 16:38:33 GMT", "2026-12-01", 1796142691):
        assert json_results.iso_datetime(value) is value


def test_other_json_services_answer_as_moto_does(aws: dict[str, Any]) -> None:
    # SQS speaks JSON too; Step Functions' answers are checked against moto in the speed tests
    sqs = aws["sqs"]
    url = sqs.create_queue(QueueName="icpa-dlq", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    sqs.send_message(
        QueueUrl=url, MessageBody='{"claim": 1}', MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}}
    )
    patches = (_action_result(),)
    for call in (
        lambda: sqs.get_queue_url(QueueName="icpa-dlq"),
        lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]),
        lambda: sqs.list_queues(),
        lambda: sqs.get_queue_url(QueueName="missing"),
    ):
        _same_with_and_without(patches, call)
