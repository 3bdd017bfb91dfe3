"""An item's size counted once as it is built (section 22 of icpa_local.moto_patches).

moto keeps an item's attributes in a `LimitedSizeDict`, whose `__setitem__` refuses an item
over its 405,000-byte stand-in for DynamoDB's 400 KB limit by summing the size of every key and
value already in the item, then adding the new one. `Item.__init__` inserts the attributes one
by one, so building an item of n attributes sizes the item n times: n(n+1)/2 attribute sizes for
every PutItem, every transaction's Put and every item read back from a stream of updates. Cost
grows with the square of the item's width (an item of 2,000 small attributes: ~2 million sizes).

22. `Item.__init__` keeps a running total instead: each attribute is typed and sized once, and
    the item is refused at the very attribute where moto would refuse it (the running total is
    moto's sum of the attributes so far plus the new one, checked in the same order), with the
    same `ItemSizeTooLarge`. The result is moto's: a `LimitedSizeDict` of the same keys, values
    and order, so later updates of the item are checked by moto's own `__setitem__` as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from icpa_local.moto_patches.registry import Patch, moto_module

ITEM_SIZE_LIMIT: Final = 405000  # moto 5.2.5's LimitedSizeDict limit


def _sized_once(original: Callable[..., None]) -> Callable[..., None]:
    dynamo_type = moto_module("moto.dynamodb.models.dynamo_type")
    limited_size_dict = dynamo_type.LimitedSizeDict
    typed = dynamo_type.DynamoType
    bytesize = dynamo_type.bytesize
    too_large = dynamo_type.ItemSizeTooLarge

    def __init__(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        built = limited_size_dict()
        total = 0
        for key, value in attrs.items():
            attribute = typed(value)
            total += bytesize(key) + attribute.size()
            if total > ITEM_SIZE_LIMIT:
                raise too_large
            dict.__setitem__(built, key, attribute)
        self.attrs = built

    __init__.__wrapped__ = original  # type: ignore[attr-defined]
    return __init__


def patched_attributes() -> list[tuple[Any, str]]:
    """What section 22 replaces: (owner, attribute), for `REGISTRY.undone` in tests and benchmarks."""
    return [(moto_module("moto.dynamodb.models.dynamo_type").Item, "__init__")]


def patches() -> list[Patch]:
    return [Patch.around(owner, name, _sized_once) for owner, name in patched_attributes()]
