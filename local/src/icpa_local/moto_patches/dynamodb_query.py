"""8. DynamoDB Query reads its partition, not the table (section 8 of icpa_local.moto_patches).

moto's `Table.query` sorts every item of the table (`all_items()`) and then filters by the hash
key, for the table and for a GSI/LSI alike, so a keyed lookup costs O(n log n) in the table's
size: fraud's history lookups made a local claim's CPU grow with the number of claims on file.
On AWS a Query reads one partition.

Here moto's own `query` still does all the work (key conditions, sort order, ScanIndexForward,
Limit, ExclusiveStartKey, FilterExpression, projections, size limit, errors), on a view of the
table whose `all_items()` holds only the items that can match the hash key:
- a table query: `table.items[hash_key]`, moto's own storage, which is already by partition;
- an index query: the items whose index hash attribute equals the queried value, from a
  partition map kept on the table by the writes that change items (`Table.put_item`,
  `Table.delete_item`, and the backend's in-place `update_item`). The map is rebuilt from the
  table when its storage was replaced (a transaction rolled back, a restored table) or the
  index's key schema changed. Candidates are a superset: moto re-checks every key condition.
When the partition cannot be named (no hash condition), the query runs unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from icpa_local.moto_patches.registry import Patch, moto_module

_ATTR = "_icpa_partitions"  # on the moto Table: deep-copied with it, so a rollback copy stays consistent
_lock = threading.RLock()

PrimaryKey = tuple[Any, Any]  # (hash DynamoType, range DynamoType | None)


class _IndexPartitions:
    """hash value -> {primary key: item} for one index; `where` remembers each item's value."""

    def __init__(self, attribute: str) -> None:
        self.attribute = attribute
        self.partitions: dict[Any, dict[PrimaryKey, Any]] = {}
        self.where: dict[PrimaryKey, Any] = {}

    def put(self, key: PrimaryKey, item: Any) -> None:
        self.drop(key)
        value = item.attrs.get(self.attribute)
        if value is None:
            return  # not in the index (sparse)
        self.partitions.setdefault(value, {})[key] = item
        self.where[key] = value

    def drop(self, key: PrimaryKey) -> None:
        value = self.where.pop(key, None)
        if value is None:
            return
        partition = self.partitions.get(value)
        if partition is not None:
            partition.pop(key, None)
            if not partition:
                del self.partitions[value]


class _TablePartitions:
    def __init__(self, table: Any) -> None:
        self.storage = table.items  # the dict this map describes; replaced storage = rebuild
        self.schemas: dict[str, str] = {}
        self.indexes: dict[str, _IndexPartitions] = {}


def _hash_attribute(index: Any) -> str | None:
    for key in index.schema:
        if key["KeyType"] == "HASH":
            return str(key["AttributeName"])
    return None


def _stored_items(table: Any) -> list[tuple[PrimaryKey, Any]]:
    out: list[tuple[PrimaryKey, Any]] = []
    for hash_value, stored in table.items.items():
        if table.range_key_attr:
            out.extend(((hash_value, range_value), item) for range_value, item in stored.items())
        else:
            out.append(((hash_value, None), stored))
    return out


def _partitions(table: Any) -> _TablePartitions:
    """The table's partition map, current with its storage and index schemas (lock held)."""
    state: _TablePartitions | None = vars(table).get(_ATTR)
    if state is None or state.storage is not table.items:
        state = _TablePartitions(table)
        setattr(table, _ATTR, state)
    schemas = {index.name: _hash_attribute(index) for index in table.all_indexes()}
    if any(state.schemas.get(name) != attribute for name, attribute in schemas.items() if attribute):
        state.indexes = {}
        state.schemas = {}
        stored = _stored_items(table)
        for name, attribute in schemas.items():
            if attribute is None:
                continue
            partitions = _IndexPartitions(attribute)
            for key, item in stored:
                partitions.put(key, item)
            state.indexes[name] = partitions
            state.schemas[name] = attribute
    return state


def _reindex(table: Any, key: PrimaryKey) -> None:
    state: _TablePartitions | None = vars(table).get(_ATTR)
    if state is None or state.storage is not table.items:
        return  # built (from the storage) on the next index query
    stored = table.items.get(key[0])
    item = stored.get(key[1]) if stored is not None and table.range_key_attr else stored
    for partitions in state.indexes.values():
        if item is None:
            partitions.drop(key)
        else:
            partitions.put(key, item)


class _PartitionView:
    """The table as moto's `query` sees it, with only the candidate items."""

    def __init__(self, table: Any, items: list[Any]) -> None:
        self._table = table
        self._items = items

    def all_items(self) -> list[Any]:
        return sorted(self._items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)


def _candidates(
    table: Any, hash_key: Any, index_name: str | None, conditions: list[tuple[str, Any]]
) -> list[Any] | None:
    if not index_name:
        if hash_key is None:
            return None
        stored = table.items.get(hash_key)
        if stored is None:
            return []
        return list(stored.values()) if table.range_key_attr else [stored]
    with _lock:
        state = _partitions(table)
        partitions = state.indexes.get(index_name)
        if partitions is None:
            return None  # unknown index: moto raises its own validation error
        value = dict(conditions).get(partitions.attribute)
        if value is None:
            return None
        return list(partitions.partitions.get(value, {}).values())


def _wrap_query(original: Callable[..., Any]) -> Callable[..., Any]:
    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        conditions = kwargs.get("hash_key_conditions") or []
        items = _candidates(self, hash_key, index_name, conditions)
        if items is None:
            return original(self, hash_key, *args, **kwargs)
        return original(_PartitionView(self, items), hash_key, *args, **kwargs)

    query.__wrapped__ = original  # type: ignore[attr-defined]
    return query


def _key_of(table: Any, item: Any) -> PrimaryKey:
    return (item.hash_key, item.range_key if table.range_key_attr else None)


def _wrap_put_item(original: Callable[..., Any]) -> Callable[..., Any]:
    def put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = original(self, *args, **kwargs)
        with _lock:
            _reindex(self, _key_of(self, item))
        return item

    return put_item


def _wrap_delete_item(original: Callable[..., Any]) -> Callable[..., Any]:
    def delete_item(self: Any, hash_key: Any, range_key: Any) -> Any:
        item = original(self, hash_key, range_key)
        with _lock:
            _reindex(self, (hash_key, range_key if self.range_key_attr else None))
        return item

    return delete_item


def _wrap_update_item(original: Callable[..., Any]) -> Callable[..., Any]:
    """The backend's update_item changes an item's attributes in place (no Table.put_item)."""

    def update_item(self: Any, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, table_name, key, *args, **kwargs)
        finally:
            _reindex_by_key(self, table_name, key)

    return update_item


def _reindex_by_key(backend: Any, table_name: str, key: dict[str, Any]) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    table = backend.tables.get(table_name)
    if table is None or table.hash_key_attr not in key:
        return
    range_value = key.get(table.range_key_attr) if table.range_key_attr else None
    primary = (DynamoType(key[table.hash_key_attr]), DynamoType(range_value) if range_value else None)
    with _lock:
        _reindex(table, primary)


def patches() -> list[Patch]:
    table_models = moto_module("moto.dynamodb.models.table")
    backend = moto_module("moto.dynamodb.models").DynamoDBBackend
    return [
        Patch.around(table_models.Table, "put_item", _wrap_put_item),
        Patch.around(table_models.Table, "delete_item", _wrap_delete_item),
        Patch.around(backend, "update_item", _wrap_update_item),
        Patch.around(table_models.Table, "query", _wrap_query),
    ]
