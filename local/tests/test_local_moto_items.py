"""An item sized once as it is built (section 22 of icpa_local.moto_patches): the same item, the
same refusal at the same attribute as moto unpatched, and each attribute sized once."""

from __future__ import annotations

import contextlib
from typing import Any

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from local_fakes import spy_on
from moto import mock_aws

from icpa_local import moto_patches
from icpa_local.moto_patches import dynamodb_items


@pytest.fixture(autouse=True)
def installed() -> None:
    moto_patches.install()


def _dynamo_type() -> Any:
    return moto_patches.moto_module("moto.dynamodb.models.dynamo_type")


def unpatched() -> contextlib.AbstractContextManager[None]:
    return moto_patches.REGISTRY.undone(*dynamodb_items.patched_attributes())


def _built(attrs: dict[str, Any]) -> tuple[str, Any]:
    module = _dynamo_type()
    try:
        item = module.Item(module.DynamoType({"S": "pk"}), None, attrs)
    except Exception as exc:
        return "raised", type(exc).__name__
    assert type(item.attrs) is module.LimitedSizeDict
    return "built", [(k, v.type, v.value) for k, v in item.attrs.items()]


def _same_as_moto(attrs: dict[str, Any]) -> tuple[str, Any]:
    patched = _built(attrs)
    with unpatched():
        theirs = _built(attrs)
    assert patched == theirs
    return patched


def _wide(n: int, size: int = 10) -> dict[str, Any]:
    return {f"a{i:05d}": {"S": "x" * size} for i in range(n)}


def test_an_item_is_built_as_moto_builds_it() -> None:
    attrs = {
        "pk": {"S": "CLAIM-1"},
        "n": {"N": "12.50"},
        "b": {"B": b"\x00\x01"},
        "ok": {"BOOL": True},
        "none": {"NULL": True},
        "tags": {"SS": ["a", "b"]},
        "nums": {"NS": ["1", "2"]},
        "lines": {"L": [{"S": "x"}, {"M": {"code": {"S": "99213"}, "cents": {"N": "12000"}}}]},
        "caf\u00e9": {"S": "\u2603"},
    }
    assert _same_as_moto(attrs)[0] == "built"


@pytest.mark.parametrize(
    ("attrs", "outcome"),
    [
        (_wide(1, 404_994), "built"),  # a 6-byte name + 404,994 bytes: 405,000, moto's limit
        (_wide(1, 404_995), "raised"),  # one byte over
        (_wide(40, 10_115), "built"),  # 40 x (6 + 10,115) = 404,840
        (_wide(41, 10_115), "raised"),  # ... the 41st attribute crosses it
        ({**_wide(41, 10_115), "bad": {"XX": "not a type"}}, "raised"),  # refused by size first, as moto
    ],
)
def test_the_size_limit_refuses_where_moto_refuses(attrs: dict[str, Any], outcome: str) -> None:
    assert _same_as_moto(attrs)[0] == outcome


def test_an_oversized_put_is_refused_as_by_moto() -> None:
    # Through the API: the same ValidationException as moto unpatched, and nothing stored
    def put(attrs: dict[str, Any]) -> tuple[str, str]:
        with mock_aws():
            client = boto3.client("dynamodb", region_name="us-east-1")
            client.create_table(
                TableName="t",
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
            try:
                client.put_item(TableName="t", Item={"pk": {"S": "k"}, **attrs})
                outcome = "stored"
            except client.exceptions.ClientError as exc:
                outcome = f"{exc.response['Error']['Code']}: {exc.response['Error']['Message']}"
            return outcome, str(client.scan(TableName="t")["Count"])

    for attrs in (_wide(41, 10_115), _wide(3, 100)):
        patched = put(attrs)
        with unpatched():
            assert put(attrs) == patched
    assert put(_wide(41, 10_115))[1] == "0"


def test_each_attribute_is_sized_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # An item 2,000 attributes wide: moto sized the whole item at every insert (~2 million sizes)
    calls = spy_on(monkeypatch, _dynamo_type().DynamoType, "size")
    assert _built(_wide(2_000))[0] == "built"
    assert len(calls) == 2_000


def test_the_built_item_still_checks_its_updates() -> None:
    # Later writes into the item go through moto's own LimitedSizeDict.__setitem__
    module = _dynamo_type()
    item = module.Item(module.DynamoType({"S": "pk"}), None, _wide(1, 400_000))
    with pytest.raises(module.ItemSizeTooLarge):
        item.attrs["more"] = module.DynamoType({"S": "y" * 10_000})


ATTRIBUTE = st.one_of(
    st.text(max_size=30).map(lambda s: {"S": s}),
    st.integers(-(10**12), 10**12).map(lambda n: {"N": str(n)}),
    st.lists(st.text(max_size=5), max_size=4, unique=True).filter(bool).map(lambda v: {"SS": v}),
    st.binary(max_size=20).map(lambda b: {"B": b}),
    st.booleans().map(lambda b: {"BOOL": b}),
)


@settings(max_examples=150, deadline=None)
@given(
    attrs=st.dictionaries(st.text(min_size=1, max_size=12), ATTRIBUTE, max_size=12),
    filler=st.integers(0, 405_100),
)
def test_generated_items_build_and_refuse_as_moto(attrs: dict[str, Any], filler: int) -> None:
    # A filler attribute puts the item anywhere around the limit
    assert _same_as_moto({"filler": {"S": "f" * filler}, **attrs})
