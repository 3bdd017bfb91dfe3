"""The journal's tables and the rows read back from them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

SCHEMA_VERSION: Final = 1
TERMINAL_STATUSES: Final = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS s3_objects (
    bucket        TEXT NOT NULL,
    key           TEXT NOT NULL,
    version_id    TEXT NOT NULL,             -- "null" in an unversioned bucket
    seq           INTEGER NOT NULL,          -- write order (versions are restored in it)
    kind          TEXT NOT NULL,             -- 'object' | 'delete_marker'
    body          BLOB,
    etag          TEXT,
    metadata      TEXT NOT NULL DEFAULT '{}',
    last_modified TEXT NOT NULL,
    versioned     INTEGER NOT NULL,
    notified      INTEGER NOT NULL,          -- 0 while its event notification is owed
    PRIMARY KEY (bucket, key, version_id)
);
CREATE TABLE IF NOT EXISTS ddb_items (
    table_name TEXT NOT NULL,
    item_key   TEXT NOT NULL,                -- canonical JSON of the key attributes
    item       TEXT NOT NULL,                -- the item in DynamoDB JSON (bytes tagged)
    seq        INTEGER NOT NULL,
    PRIMARY KEY (table_name, item_key)
);
CREATE TABLE IF NOT EXISTS executions (
    arn               TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    state_machine_arn TEXT NOT NULL,
    status            TEXT NOT NULL,         -- RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED
    input             TEXT NOT NULL,
    output            TEXT,
    error             TEXT,
    cause             TEXT,
    start_date        TEXT NOT NULL,
    stop_date         TEXT,
    history           TEXT,                  -- the event list, JSON (finished executions)
    source_bucket     TEXT,                  -- the input's source object, when it has one
    source_key        TEXT,
    source_version    TEXT,                  -- version id, else the ETag
    updated_seq       INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS task_results (
    arn        TEXT NOT NULL,                -- a RUNNING execution (rows go when it ends)
    state      TEXT NOT NULL,                -- the Task state
    occurrence INTEGER NOT NULL,             -- 0 for the state's first success in the run, ...
    output     TEXT NOT NULL,                -- the task's result (before ResultSelector/ResultPath)
    seq        INTEGER NOT NULL,
    PRIMARY KEY (arn, state, occurrence)
);
"""


@dataclass(frozen=True)
class ObjectRow:
    bucket: str
    key: str
    version_id: str
    kind: str
    body: bytes | None
    etag: str | None
    metadata: dict[str, str]
    last_modified: str
    versioned: bool
    notified: bool


@dataclass(frozen=True)
class ItemRow:
    table_name: str
    item_key: str
    item: dict[str, Any]


@dataclass(frozen=True)
class ExecutionRow:
    arn: str
    name: str
    state_machine_arn: str
    status: str
    input: str
    output: str | None
    error: str | None
    cause: str | None
    start_date: str
    stop_date: str | None
    history: list[dict[str, Any]] | None
    source_bucket: str | None = None
    source_key: str | None = None
    source_version: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL_STATUSES
