"""DynamoDB items to and from the low-level client's attribute values, by boto3's own
TypeSerializer / TypeDeserializer: one place, no hand-built `{"S": ...}` literals.

Numbers come back as Decimal, so amounts stay exact (never through float); a float going in is
refused by the serializer (TypeError) rather than written inexactly. Strings, ints, Decimals,
bools, None, lists and maps round-trip as DynamoDB types S, N, BOOL, NULL, L and M."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
    from types_boto3_dynamodb.type_defs import AttributeValueTypeDef


@functools.cache
def _serializer() -> TypeSerializer:
    from boto3.dynamodb.types import TypeSerializer  # lazy, as client() is: adapters import cheaply

    return TypeSerializer()


@functools.cache
def _deserializer() -> TypeDeserializer:
    from boto3.dynamodb.types import TypeDeserializer

    return TypeDeserializer()


def to_attributes(values: Mapping[str, Any]) -> dict[str, AttributeValueTypeDef]:
    """A plain mapping (an item, a key, or expression attribute values) as attribute values."""
    serialize = _serializer().serialize
    return {name: serialize(value) for name, value in values.items()}


def from_attributes(item: Mapping[str, Any]) -> dict[str, Any]:
    """An item (or key) the client returned, as plain Python values (numbers as Decimal)."""
    deserialize = _deserializer().deserialize
    return {name: deserialize(value) for name, value in item.items()}


def string_attribute(item: Mapping[str, Any], name: str) -> str | None:
    """The named attribute of a returned item when it is a string; None when it is missing or
    of another type (an item written by something else is not trusted to be well-formed)."""
    if name not in item:
        return None
    value = _deserializer().deserialize(item[name])
    return value if isinstance(value, str) else None
