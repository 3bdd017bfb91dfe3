"""DynamoDB into the journal: the item as it is after `put_item` / `update_item` / `delete_item`
(batch writes go through them) and after a successful `transact_write_items` (whose inner writes
are not journaled one by one: a cancelled transaction rolls back)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from icpa_local.moto_patches.registry import Patch, moto_module
from icpa_local.persistence.active import active_journal, quiet
from icpa_local.persistence.codec import dumps
from icpa_local.persistence.journal import Journal


def _canonical(attr: Any) -> Any:
    """A key attribute as stable text: numbers compare by value in DynamoDB, so normalize them."""
    as_json = attr.to_json() if hasattr(attr, "to_json") else attr
    if isinstance(as_json, dict) and "N" in as_json:
        try:
            return {"N": str(Decimal(str(as_json["N"])).normalize())}
        except InvalidOperation:
            return as_json
    return as_json


def item_key(hash_value: Any, range_value: Any) -> str:
    return dumps([_canonical(hash_value), None if range_value is None else _canonical(range_value)])


def _key_of(backend: Any, table_name: str, key_or_item: dict[str, Any], from_item: bool) -> tuple[Any, Any]:
    table = backend.get_table(table_name)
    if from_item:
        key_or_item = {
            name: key_or_item[name]
            for name in (table.hash_key_attr, table.range_key_attr)
            if name is not None and name in key_or_item
        }
    hash_value, range_value = backend.get_keys_value(table, key_or_item)
    return hash_value, range_value


def journal_item(journal: Journal, backend: Any, table_name: str, hash_value: Any, range_value: Any) -> None:
    table = backend.get_table(table_name)
    item = table.get_item(hash_value, range_value)
    key = item_key(hash_value, range_value)
    if item is None:
        journal.delete_item(table_name, key)
    else:
        journal.put_item(table_name, key, item.to_json()["Attributes"])


def _wrap_item_write(original: Callable[..., Any], *, from_item: bool) -> Callable[..., Any]:
    def write(self: Any, table_name: str, key_or_item: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        journal = active_journal()
        if journal is None:
            return original(self, table_name, key_or_item, *args, **kwargs)
        with journal.write_lock:
            result = original(self, table_name, key_or_item, *args, **kwargs)
            hash_value, range_value = _key_of(self, table_name, key_or_item, from_item)
            journal_item(journal, self, table_name, hash_value, range_value)
        return result

    return write


def _wrap_transact(original: Callable[..., Any]) -> Callable[..., Any]:
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        journal = active_journal()
        if journal is None:
            return original(self, transact_items)
        with journal.write_lock:
            with quiet():
                result = original(self, transact_items)
            for entry in transact_items:
                op_type, op = next(iter(entry.items()))
                if op_type == "ConditionCheck":
                    continue
                from_item = op_type == "Put"
                hash_value, range_value = _key_of(
                    self, op["TableName"], op["Item"] if from_item else op["Key"], from_item
                )
                journal_item(journal, self, op["TableName"], hash_value, range_value)
        return result

    return transact_write_items


def _wrap_delete_table(original: Callable[..., Any]) -> Callable[..., Any]:
    def delete_table(self: Any, name: str) -> Any:
        result = original(self, name)
        journal = active_journal()
        if journal is not None:
            journal.drop_table(name)
        return result

    return delete_table


# Step Functions ----------------------------------------------------------------------------------


def patches() -> list[Patch]:
    backend = moto_module("moto.dynamodb.models").DynamoDBBackend
    return [
        Patch.around(backend, "put_item", lambda original: _wrap_item_write(original, from_item=True)),
        Patch.around(backend, "update_item", lambda original: _wrap_item_write(original, from_item=False)),
        Patch.around(backend, "delete_item", lambda original: _wrap_item_write(original, from_item=False)),
        Patch.around(backend, "transact_write_items", _wrap_transact),
        Patch.around(backend, "delete_table", _wrap_delete_table),
    ]
