"""What the local cloud keeps across restarts: a SQLite write-through journal of its state, and
the restore that puts it back at the next start.

Pinned to moto 5.2.5 like moto_patches.py (`install()` refuses any other version): the hooks
wrap methods of that release's backends, and restored executions subclass its Execution.

Journaled (each write is one autocommitted SQLite transaction in WAL mode, so a SIGKILL loses
at most the call in flight, never a committed row):
- S3: every object version as it is after `S3Backend.put_object` (copy and multipart completion
  go through it), its metadata after `FakeKey.set_metadata`, and the key's versions after
  `delete_object` (delete markers included). The object is journaled BEFORE its event
  notification is sent, and marked notified after, so an upload whose notification a crash cut
  short is notified again at restore instead of being lost.
- DynamoDB: the item as it is after `put_item` / `update_item` / `delete_item` (batch writes go
  through them) and after a successful `transact_write_items` (whose inner writes are not
  journaled one by one: a cancelled transaction rolls back).
- Step Functions: a RUNNING row at `StepFunctionsParserBackend.start_execution` (insert only:
  a fast execution may have ended first), the result of every Task state as it succeeds (the
  Lambda and service task classes' `_eval_execution`), and the final status, output, error and
  history when the worker terminates (`moto_patches.STATE.on_execution_ended`; the task results
  go then: the history holds them).

Restore (`restore()`), with journaling suspended: objects re-put with notifications disabled (same
version ids, so a workflow input that names a version still finds it), items re-put, finished
executions added back as inert records (`RestoredExecution`: describe, list and history answer,
nothing runs). The local cloud then resumes what had no outcome (see LocalCloud._resume).

Resume continues from where the run was: moto cannot resume an interpreter mid-run, so the
execution restarts with its name and input, and while it replays, each Task whose result the
journal holds (`TASK_REPLAY`) is answered from the journal, in order, instead of invoking its
handler again: no step runs twice, and the replayed path is the one the run had taken.
"""

from __future__ import annotations

import base64
import contextlib
import inspect
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

from icpa_local.moto_patches import MOTO_VERSION

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

# --- encoding ---------------------------------------------------------------------------------


def _default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return {"__bytes__": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot journal {type(value).__name__}")


def _object_hook(value: dict[str, Any]) -> Any:
    if len(value) == 1 and "__bytes__" in value:
        return base64.b64decode(value["__bytes__"])
    return value


def dumps(value: Any) -> str:
    return json.dumps(value, default=_default, sort_keys=True, separators=(",", ":"))


def loads(text: str) -> Any:
    return json.loads(text, object_hook=_object_hook)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.isoformat()
    return str(value)


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _naive_utc(text: str, fallback: datetime) -> datetime:
    """moto's S3 keeps naive UTC times (moto.core.utils.utcnow)."""
    parsed = parse_time(text)
    return fallback if parsed is None else parsed.astimezone(UTC).replace(tzinfo=None)


def source_of(execution_input: str) -> tuple[str | None, str | None, str | None]:
    """(bucket, key, version id or ETag) of the object a workflow input names, if any."""
    try:
        doc = json.loads(execution_input)
    except (TypeError, ValueError):
        return None, None, None
    source = doc.get("source") if isinstance(doc, dict) else None
    if not isinstance(source, dict):
        return None, None, None
    version = source.get("version_id") or str(source.get("etag") or "").strip('"') or None
    return source.get("bucket"), source.get("key"), version


# --- rows -------------------------------------------------------------------------------------


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


# --- the journal ------------------------------------------------------------------------------


class Journal:
    """One SQLite file; thread-safe (one connection behind a lock); closing it turns every
    hook into a pass-through, so work still running at shutdown cannot write stale state."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._lock = threading.RLock()
        # Serializes a backend mutation with its journal write, so two writers of one item
        # cannot journal their after-images in the opposite order.
        self.write_lock = threading.RLock()
        self._suspended = threading.local()
        self._seq = time.time_ns()
        self.closed = False
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # durable across a process kill
            self._db.executescript(_SCHEMA)
            stored = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if stored is None:
                self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('created_at', ?)", (_iso(datetime.now(UTC)),))
            elif int(stored[0]) != SCHEMA_VERSION:
                raise RuntimeError(f"{path}: journal schema {stored[0]}, this icpa reads {SCHEMA_VERSION}")
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('moto_version', ?)", (MOTO_VERSION,))

    # -- state -------------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return not self.closed and not getattr(self._suspended, "on", False)

    @contextlib.contextmanager
    def suspended(self) -> Iterator[None]:
        """No journaling on this thread (restore re-puts what the journal already holds)."""
        previous = getattr(self._suspended, "on", False)
        self._suspended.on = True
        try:
            yield
        finally:
            self._suspended.on = previous

    def close(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
            self._db.close()

    def _next_seq(self) -> int:
        self._seq = max(self._seq + 1, time.time_ns())
        return self._seq

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        with self._lock:
            if self.closed:
                return
            self._db.execute(sql, params)

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return list(self._db.execute(sql, params).fetchall())

    # -- S3 ----------------------------------------------------------------------------------

    def put_object(self, row: ObjectRow) -> None:
        with self._lock:
            if self.closed:
                return
            self._db.execute("BEGIN")
            try:
                if not row.versioned:
                    self._db.execute("DELETE FROM s3_objects WHERE bucket=? AND key=?", (row.bucket, row.key))
                self._db.execute(
                    "INSERT OR REPLACE INTO s3_objects VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (row.bucket, row.key, row.version_id, self._next_seq(), row.kind, row.body, row.etag,
                     dumps(row.metadata), row.last_modified, int(row.versioned), int(row.notified)),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def set_object_metadata(self, bucket: str, key: str, version_id: str, metadata: dict[str, str]) -> None:
        self._execute(
            "UPDATE s3_objects SET metadata=? WHERE bucket=? AND key=? AND version_id=?",
            (dumps(metadata), bucket, key, version_id),
        )

    def mark_notified(self, bucket: str, key: str, version_id: str) -> None:
        self._execute(
            "UPDATE s3_objects SET notified=1 WHERE bucket=? AND key=? AND version_id=?", (bucket, key, version_id)
        )

    def keep_versions(self, bucket: str, key: str, version_ids: list[str]) -> None:
        """After a delete: drop the versions moto no longer holds for the key."""
        with self._lock:
            if self.closed:
                return
            rows = self._db.execute("SELECT version_id FROM s3_objects WHERE bucket=? AND key=?", (bucket, key))
            for (version_id,) in list(rows):
                if version_id not in version_ids:
                    self._db.execute(
                        "DELETE FROM s3_objects WHERE bucket=? AND key=? AND version_id=?", (bucket, key, version_id)
                    )

    def drop_bucket(self, bucket: str) -> None:
        self._execute("DELETE FROM s3_objects WHERE bucket=?", (bucket,))

    def objects(self) -> list[ObjectRow]:
        rows = self._query(
            "SELECT bucket, key, version_id, kind, body, etag, metadata, last_modified, versioned, notified "
            "FROM s3_objects ORDER BY seq"
        )
        return [
            ObjectRow(b, k, v, kind, body, etag, loads(meta), lm, bool(versioned), bool(notified))
            for b, k, v, kind, body, etag, meta, lm, versioned, notified in rows
        ]

    # -- DynamoDB ----------------------------------------------------------------------------

    def put_item(self, table_name: str, item_key: str, item: dict[str, Any]) -> None:
        self._execute(
            "INSERT OR REPLACE INTO ddb_items VALUES (?,?,?,?)", (table_name, item_key, dumps(item), self._next_seq())
        )

    def delete_item(self, table_name: str, item_key: str) -> None:
        self._execute("DELETE FROM ddb_items WHERE table_name=? AND item_key=?", (table_name, item_key))

    def drop_table(self, table_name: str) -> None:
        self._execute("DELETE FROM ddb_items WHERE table_name=?", (table_name,))

    def items(self) -> list[ItemRow]:
        rows = self._query("SELECT table_name, item_key, item FROM ddb_items ORDER BY seq")
        return [ItemRow(t, k, loads(i)) for t, k, i in rows]

    # -- Step Functions ----------------------------------------------------------------------

    def execution_started(self, arn: str, name: str, state_machine_arn: str, execution_input: str,
                          start_date: Any) -> None:
        bucket, key, version = source_of(execution_input)
        # Insert only: a short execution may already have ended (and written its final row),
        # and a restarted one keeps its row.
        self._execute(
            "INSERT OR IGNORE INTO executions (arn, name, state_machine_arn, status, input, start_date, "
            "source_bucket, source_key, source_version, updated_seq) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (arn, name, state_machine_arn, "RUNNING", execution_input, _iso(start_date or datetime.now(UTC)), bucket,
             key, version, self._next_seq()),
        )

    def execution_ended(self, row: ExecutionRow) -> None:
        with self._lock:
            if self.closed:
                return
            self._db.execute("BEGIN")
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO executions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (row.arn, row.name, row.state_machine_arn, row.status, row.input, row.output, row.error,
                     row.cause, row.start_date, row.stop_date, None if row.history is None else dumps(row.history),
                     row.source_bucket, row.source_key, row.source_version, self._next_seq()),
                )
                self._db.execute("DELETE FROM task_results WHERE arn=?", (row.arn,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def task_succeeded(self, arn: str, state: str, occurrence: int, output: Any) -> None:
        self._execute(
            "INSERT OR REPLACE INTO task_results VALUES (?,?,?,?,?)",
            (arn, state, occurrence, dumps(output), self._next_seq()),
        )

    def task_results(self, arn: str) -> dict[str, list[Any]]:
        """state -> the results its Task had in the run, in order (a RUNNING execution's)."""
        out: dict[str, list[Any]] = {}
        for state, output in self._query(
            "SELECT state, output FROM task_results WHERE arn=? ORDER BY state, occurrence", (arn,)
        ):
            out.setdefault(str(state), []).append(loads(output))
        return out

    def history(self, arn: str) -> list[dict[str, Any]] | None:
        """A finished execution's journaled history (None if the journal has none)."""
        with self._lock:
            if self.closed:
                return None
            row = self._db.execute("SELECT history FROM executions WHERE arn=?", (arn,)).fetchone()
        return None if row is None or row[0] is None else list(loads(row[0]))

    def executions(self) -> list[ExecutionRow]:
        rows = self._query(
            "SELECT arn, name, state_machine_arn, status, input, output, error, cause, start_date, stop_date, "
            "history, source_bucket, source_key, source_version FROM executions ORDER BY updated_seq"
        )
        return [
            ExecutionRow(a, n, sm, st, i, o, e, c, sd, sp, None if h is None else loads(h), sb, sk, sv)
            for a, n, sm, st, i, o, e, c, sd, sp, h, sb, sk, sv in rows
        ]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for table in ("s3_objects", "ddb_items", "executions", "task_results"):
            out[table] = int(self._query(f"SELECT COUNT(*) FROM {table}")[0][0])  # noqa: S608 - fixed names
        return out


# --- hooks ------------------------------------------------------------------------------------

_active: Journal | None = None
_hooks_lock = threading.Lock()
_hooks_installed = False
_quiet = threading.local()  # inner writes of a transaction


def activate(journal: Journal | None) -> None:
    """The journal the hooks write to (None: hooks pass through)."""
    global _active
    _active = journal


def active_journal() -> Journal | None:
    journal = _active
    if journal is None or not journal.active or getattr(_quiet, "on", False):
        return None
    return journal


def install_hooks() -> None:
    """Wrap the backends' mutating methods once per process (idempotent)."""
    global _hooks_installed
    with _hooks_lock:
        if _hooks_installed:
            return
        import moto

        if moto.__version__ != MOTO_VERSION:
            raise RuntimeError(f"icpa_local.persistence is pinned to moto {MOTO_VERSION}, found {moto.__version__}")
        from icpa_local.moto_patches import moto_module

        # Typed as Any: these are the methods the hooks wrap.
        s3_models, ddb_models = moto_module("moto.s3.models"), moto_module("moto.dynamodb.models")
        S3Backend, FakeKey = s3_models.S3Backend, s3_models.FakeKey
        DynamoDBBackend = ddb_models.DynamoDBBackend
        StepFunctionsParserBackend = moto_module("moto.stepfunctions.parser.models").StepFunctionsParserBackend

        S3Backend.put_object = _wrap_put_object(S3Backend.put_object)
        S3Backend.delete_object = _wrap_delete_object(S3Backend.delete_object)
        S3Backend.delete_bucket = _wrap_delete_bucket(S3Backend.delete_bucket)
        FakeKey.set_metadata = _wrap_set_metadata(FakeKey.set_metadata)
        DynamoDBBackend.put_item = _wrap_item_write(DynamoDBBackend.put_item, from_item=True)
        DynamoDBBackend.update_item = _wrap_item_write(DynamoDBBackend.update_item, from_item=False)
        DynamoDBBackend.delete_item = _wrap_item_write(DynamoDBBackend.delete_item, from_item=False)
        DynamoDBBackend.transact_write_items = _wrap_transact(DynamoDBBackend.transact_write_items)
        DynamoDBBackend.delete_table = _wrap_delete_table(DynamoDBBackend.delete_table)
        StepFunctionsParserBackend.start_execution = _wrap_start_execution(StepFunctionsParserBackend.start_execution)
        task_dir = "moto.stepfunctions.parser.asl.component.state.exec.state_task"
        StateTaskLambda = moto_module(f"{task_dir}.state_task_lambda").StateTaskLambda
        StateTaskService = moto_module(f"{task_dir}.service.state_task_service").StateTaskService
        StateTaskLambda._eval_execution = _wrap_task_execution(StateTaskLambda._eval_execution, _replayed_lambda)
        StateTaskService._eval_execution = _wrap_task_execution(StateTaskService._eval_execution, _replayed_service)
        _hooks_installed = True


# S3 ----------------------------------------------------------------------------------------------


def object_row(bucket: Any, key: Any, *, notified: bool) -> ObjectRow:
    from moto.s3.models import FakeDeleteMarker

    if isinstance(key, FakeDeleteMarker):
        return ObjectRow(bucket.name, key.name, str(key.version_id), "delete_marker", None, None, {},
                         _iso(key.last_modified) or "", bucket.is_versioned, True)
    return ObjectRow(
        bucket=bucket.name, key=key.name, version_id=str(key.version_id), kind="object", body=key.value,
        etag=key.etag.strip('"'), metadata={str(k): str(v) for k, v in dict(key.metadata).items()},
        last_modified=_iso(key.last_modified) or "", versioned=bool(bucket.is_versioned), notified=notified,
    )


def _wrap_put_object(original: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(original)

    def put_object(self: Any, *args: Any, **kwargs: Any) -> Any:
        journal = active_journal()
        if journal is None:
            return original(self, *args, **kwargs)
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        notify = not bound.arguments["disable_notification"]
        bound.arguments["disable_notification"] = True
        # Journal first, notify after: the object is safe before any workflow hears of it.
        with journal.write_lock:
            key = original(*bound.args, **bound.kwargs)
            bucket = self.get_bucket(bound.arguments["bucket_name"])
            journal.put_object(object_row(bucket, key, notified=not notify))
        if notify:
            send_created_event(self, bucket, key, bound.arguments["request_method"])
            journal.mark_notified(bucket.name, key.name, str(key.version_id))
        return key

    return put_object


def send_created_event(backend: Any, bucket: Any, key: Any, request_method: str | None = "PUT") -> None:
    """What moto's put_object sends after storing an object (moto 5.2.5, s3/models.py)."""
    from moto.s3 import notifications

    event = (
        notifications.S3NotificationEvent.OBJECT_CREATED_POST_EVENT
        if request_method == "POST"
        else notifications.S3NotificationEvent.OBJECT_CREATED_PUT_EVENT
    )
    notifications.send_event(backend.account_id, event, bucket, key)


def _wrap_delete_object(original: Callable[..., Any]) -> Callable[..., Any]:
    def delete_object(self: Any, bucket_name: str, key_name: str, *args: Any, **kwargs: Any) -> Any:
        journal = active_journal()
        if journal is None:
            return original(self, bucket_name, key_name, *args, **kwargs)
        with journal.write_lock:
            result = original(self, bucket_name, key_name, *args, **kwargs)
            bucket = self.get_bucket(bucket_name)
            versions = list(bucket.keys.getlist(key_name, []) or [])
            journal.keep_versions(bucket_name, key_name, [str(v.version_id) for v in versions])
            from moto.s3.models import FakeDeleteMarker

            for version in versions:
                if isinstance(version, FakeDeleteMarker):
                    journal.put_object(object_row(bucket, version, notified=True))
        return result

    return delete_object


def _wrap_delete_bucket(original: Callable[..., Any]) -> Callable[..., Any]:
    def delete_bucket(self: Any, bucket_name: str) -> Any:
        result = original(self, bucket_name)
        journal = active_journal()
        if journal is not None and result is not None:
            journal.drop_bucket(bucket_name)
        return result

    return delete_bucket


def _wrap_set_metadata(original: Callable[..., Any]) -> Callable[..., Any]:
    def set_metadata(self: Any, metadata: Any, replace: bool = False) -> None:
        original(self, metadata, replace)
        journal = active_journal()
        if journal is not None and getattr(self, "bucket_name", None):
            meta = {str(k): str(v) for k, v in dict(self.metadata).items()}
            journal.set_object_metadata(self.bucket_name, self.name, str(self.version_id), meta)

    return set_metadata


# DynamoDB ----------------------------------------------------------------------------------------


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
            _quiet.on = True
            try:
                result = original(self, transact_items)
            finally:
                _quiet.on = False
            for entry in transact_items:
                op_type, op = next(iter(entry.items()))
                if op_type == "ConditionCheck":
                    continue
                from_item = op_type == "Put"
                hash_value, range_value = _key_of(self, op["TableName"], op["Item"] if from_item else op["Key"],
                                                  from_item)
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


def _wrap_start_execution(original: Callable[..., Any]) -> Callable[..., Any]:
    def start_execution(self: Any, *args: Any, **kwargs: Any) -> Any:
        execution = original(self, *args, **kwargs)
        journal = active_journal()
        if journal is not None:
            journal.execution_started(
                execution.exec_arn, execution.name, execution.state_machine_arn, execution.execution_input,
                execution.start_date,
            )
        return execution

    return start_execution


class TaskReplay:
    """The task results a restarted execution had before the crash, by state, in order; and how
    many times each Task state has succeeded in the current run (its next occurrence number)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._plans: dict[str, dict[str, list[Any]]] = {}
        self._counts: dict[tuple[str, str], int] = {}

    def plan(self, arn: str, results: dict[str, list[Any]]) -> None:
        with self._lock:
            self.forget_locked(arn)
            if results:
                self._plans[arn] = {state: list(outputs) for state, outputs in results.items()}

    def take(self, arn: str, state: str) -> tuple[bool, Any]:
        """(True, result) when the journal answers this Task; else (False, None)."""
        with self._lock:
            outputs = self._plans.get(arn, {}).get(state)
            if not outputs:
                return False, None
            self._counts[(arn, state)] = self._counts.get((arn, state), 0) + 1
            value = outputs.pop(0)
            if not any(self._plans[arn].values()):
                del self._plans[arn]
            return True, value

    def count(self, arn: str, state: str) -> int:
        """The occurrence number of a live success (and count it)."""
        with self._lock:
            occurrence = self._counts.get((arn, state), 0)
            self._counts[(arn, state)] = occurrence + 1
            return occurrence

    def forget(self, arn: str) -> None:
        with self._lock:
            self.forget_locked(arn)

    def forget_locked(self, arn: str) -> None:
        self._plans.pop(arn, None)
        for key in [k for k in self._counts if k[0] == arn]:
            del self._counts[key]

    def size(self) -> int:
        with self._lock:
            return len(self._plans) + len({arn for arn, _ in self._counts})


TASK_REPLAY: Final = TaskReplay()


def _task_identity(env: Any) -> tuple[str | None, str | None]:
    """(execution arn, state name) of the Task the interpreter is evaluating."""
    try:
        data = env.states.context_object.context_object_data
        return str(data["Execution"]["Id"]), str(data["State"]["Name"])
    except (AttributeError, KeyError, TypeError):
        return None, None


def _event_details() -> Any:
    """moto's EventDetails (a total TypedDict, typed Any: each event sets only its own key)."""
    from icpa_local.moto_patches import moto_module

    return moto_module("moto.stepfunctions.parser.asl.eval.event.event_detail").EventDetails


def _replayed_lambda(task: Any, env: Any, output: Any) -> None:
    """The history events a Lambda task that succeeds adds (its result from the journal)."""
    from moto.stepfunctions.parser.api import HistoryEventType
    EventDetails = _event_details()
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    payload = task._eval_parameters(env=env)["Payload"]
    env.event_manager.add_event(
        context=env.event_history_context, event_type=HistoryEventType.LambdaFunctionScheduled,
        event_details=EventDetails(lambdaFunctionScheduledEventDetails={
            "resource": task.resource.resource_arn, "input": to_json_str(payload),
            "inputDetails": {"truncated": False}}),
    )
    env.event_manager.add_event(context=env.event_history_context, event_type=HistoryEventType.LambdaFunctionStarted)
    env.event_manager.add_event(
        context=env.event_history_context, event_type=HistoryEventType.LambdaFunctionSucceeded,
        event_details=EventDetails(lambdaFunctionSucceededEventDetails={
            "output": to_json_str(output), "outputDetails": {"truncated": False}}),
    )


def _replayed_service(task: Any, env: Any, output: Any) -> None:
    """The event a service task (e.g. a waitForTaskToken that had been answered) adds on success."""
    from moto.stepfunctions.parser.api import HistoryEventType
    EventDetails = _event_details()
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    env.event_manager.add_event(
        context=env.event_history_context, event_type=HistoryEventType.TaskSucceeded,
        event_details=EventDetails(taskSucceededEventDetails={
            "resource": task._get_sfn_resource(), "resourceType": task._get_sfn_resource_type(),
            "output": to_json_str(output), "outputDetails": {"truncated": False}}),
    )


def _wrap_task_execution(original: Callable[..., Any],
                         replayed: Callable[[Any, Any, Any], None]) -> Callable[..., Any]:
    def _eval_execution(self: Any, env: Any) -> None:
        arn, state = _task_identity(env)
        if arn is not None and state is not None:
            found, output = TASK_REPLAY.take(arn, state)
            if found:
                # The run had this result before the crash: the same result, no second call.
                replayed(self, env, output)
                env.stack.append(output)
                return
        original(self, env)
        journal = active_journal()
        if journal is not None and arn is not None and state is not None:
            journal.task_succeeded(arn, state, TASK_REPLAY.count(arn, state), env.stack[-1])

    return _eval_execution


def execution_row(execution: Any) -> ExecutionRow:
    """The final row of a moto Execution, history included."""
    output = execution.output
    if output is not None and not isinstance(output, str):
        output = json.dumps(output)
    status = str(getattr(execution.exec_status, "value", execution.exec_status))
    try:
        history = json.loads(dumps(execution.to_history_output()["events"]))
    except Exception:  # a missing history must not lose the outcome
        history = []
    bucket, key, version = source_of(execution.execution_input)
    return ExecutionRow(
        arn=execution.exec_arn, name=execution.name, state_machine_arn=execution.state_machine_arn,
        status=status, input=execution.execution_input, output=output, error=execution.error,
        cause=execution.cause, start_date=_iso(execution.start_date) or "", stop_date=_iso(execution.stop_date),
        history=history, source_bucket=bucket, source_key=key, source_version=version,
    )


def on_execution_ended(execution: Any) -> None:
    """Registered in moto_patches.STATE.on_execution_ended by a local cloud with a journal.
    Once journaled, the finished execution leaves memory: its worker (the interpreter's whole
    evaluation environment and history, ~0.9 MB a claim) gives way to an inert one that reads
    the history from the journal when asked, as AWS keeps history outside the caller."""
    TASK_REPLAY.forget(execution.exec_arn)
    journal = active_journal()
    if journal is None:
        return
    row = execution_row(execution)
    journal.execution_ended(row)
    arn = row.arn
    execution.exec_worker = _Inert(lambda: journal.history(arn) or [])
    _prune_finished_threads()


def _prune_finished_threads() -> None:
    """moto keeps every interpreter thread it starts in TMP_THREADS (7 a claim), for ever."""
    from moto.stepfunctions.parser.utils import TMP_THREADS

    TMP_THREADS[:] = [thread for thread in list(TMP_THREADS) if thread.is_alive()]


# --- restore ----------------------------------------------------------------------------------


class _Inert:
    """Stands in for a finished execution's worker: nothing to notify, the stored history (a
    list, or a function that reads it from the journal)."""

    def __init__(self, history: list[dict[str, Any]] | Callable[[], list[dict[str, Any]]]) -> None:
        self._history = history
        self.env = self
        self.callback_pool_manager = self
        self.map_run_record_pool_manager = self
        self.event_manager = self

    def notify(self, *args: Any, **kwargs: Any) -> bool:
        return False

    def heartbeat(self, *args: Any, **kwargs: Any) -> bool:
        return False

    def get(self, *args: Any, **kwargs: Any) -> None:
        return None

    def get_all(self) -> list[Any]:
        return []

    def get_event_history(self) -> list[dict[str, Any]]:
        history = self._history() if callable(self._history) else self._history
        return [dict(event) for event in history]

    def stop(self, *args: Any, **kwargs: Any) -> None:
        return None


def restored_execution(row: ExecutionRow, state_machine: Any, account_id: str, region_name: str) -> Any:
    """A finished execution as an inert record: describe, list and history answer from the
    journal; it never runs (start() refuses), and the callback API finds no task in it."""
    from icpa_local.moto_patches import moto_module

    ExecutionStatus = moto_module("moto.stepfunctions.parser.api").ExecutionStatus
    Execution = moto_module("moto.stepfunctions.parser.backend.execution").Execution

    class RestoredExecution(Execution):  # type: ignore[misc,valid-type]
        def start(self) -> None:
            raise RuntimeError("a restored execution is a record; it does not run")

        def to_history_output(self) -> Any:
            return {"events": self.exec_worker.get_event_history()}

    execution: Any = RestoredExecution(
        name=row.name, sm_type=getattr(state_machine, "sm_type", "STANDARD"), role_arn=state_machine.roleArn,
        exec_arn=row.arn, account_id=account_id, region_name=region_name, state_machine=state_machine,
        start_date=parse_time(row.start_date), cloud_watch_logging_session=None, activity_store={},
        input_data=row.input,
    )
    execution.exec_status = ExecutionStatus(row.status)
    execution.stop_date = parse_time(row.stop_date)
    execution.output = row.output
    execution.error = row.error
    execution.cause = row.cause
    execution.exec_worker = _Inert(row.history or [])
    return execution


def _as_started(row: ExecutionRow) -> ExecutionRow:
    """A RUNNING row as a record: its history is what the journal knows (the start)."""
    started = {"id": 1, "previousEventId": 0, "timestamp": row.start_date, "type": "ExecutionStarted",
               "executionStartedEventDetails": {"input": row.input, "inputDetails": {"truncated": False}}}
    return ExecutionRow(**{**row.__dict__, "history": [started]})


def status_change_detail(row: ExecutionRow) -> dict[str, Any]:
    """The detail of the "Step Functions Execution Status Change" event a finished row's
    execution sent (moto_patches.status_change_event, from the journal instead of moto)."""

    def epoch_ms(text: str | None) -> int | None:
        when = parse_time(text)
        return None if when is None else int(when.timestamp() * 1000)

    return {
        "executionArn": row.arn, "stateMachineArn": row.state_machine_arn, "name": row.name, "status": row.status,
        "startDate": epoch_ms(row.start_date), "stopDate": epoch_ms(row.stop_date), "input": row.input,
        "output": row.output, "error": row.error, "cause": row.cause,
    }


def ended_after_the_fact(row: ExecutionRow, *, output: str, stop_date: datetime) -> ExecutionRow:
    """A RUNNING row whose run had done all its work when the process died (its last task had
    recorded the outcome): ended, with what the journal knows of its history (start and end)."""
    start = row.start_date
    stop = _iso(stop_date) or start
    history = [
        {"id": 1, "previousEventId": 0, "timestamp": start, "type": "ExecutionStarted",
         "executionStartedEventDetails": {"input": row.input, "inputDetails": {"truncated": False}}},
        {"id": 2, "previousEventId": 1, "timestamp": stop, "type": "ExecutionSucceeded",
         "executionSucceededEventDetails": {"output": output, "outputDetails": {"truncated": False}}},
    ]
    return ExecutionRow(
        arn=row.arn, name=row.name, state_machine_arn=row.state_machine_arn, status="SUCCEEDED", input=row.input,
        output=output, error=None, cause=None, start_date=start, stop_date=stop, history=history,
        source_bucket=row.source_bucket, source_key=row.source_key, source_version=row.source_version,
    )


def add_restored(row: ExecutionRow, account_id: str, region_name: str) -> bool:
    """Put one finished row back as an inert execution; False if its machine is gone."""
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    sfn: Any = stepfunctions_parser_backends[account_id][region_name]
    try:
        machine = sfn.describe_state_machine(row.state_machine_arn)
    except Exception:  # a machine no longer provisioned
        return False
    if not any(e.exec_arn == row.arn for e in machine.executions):
        machine.executions.append(restored_execution(row, machine, account_id, region_name))
    return True


@dataclass
class RestoreReport:
    objects: int = 0
    items: int = 0
    finished_executions: int = 0
    skipped: list[str] = field(default_factory=list)
    running: list[ExecutionRow] = field(default_factory=list)
    unnotified: list[ObjectRow] = field(default_factory=list)


def restore(journal: Journal, account_id: str, region_name: str, *, running_as_records: bool = False) -> RestoreReport:
    """Put the journal's objects, items and finished executions back into moto's backends.
    Returns what is left to do: executions that were RUNNING, objects still owed a notification.
    `running_as_records` (a read-only cloud): RUNNING executions are also put back as inert
    records that describe as RUNNING (nothing resumes them)."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.s3.models import FakeDeleteMarker, s3_backends

    report = RestoreReport()
    s3 = s3_backends[account_id]["aws"]
    ddb = dynamodb_backends[account_id][region_name]
    with journal.suspended():
        for row in journal.objects():
            if row.bucket not in s3.buckets:
                s3.create_bucket(row.bucket, region_name)
            bucket = s3.get_bucket(row.bucket)
            if row.versioned and not bucket.is_versioned:
                bucket.versioning_status = "Enabled"
            if row.kind == "delete_marker":
                versions = list(bucket.keys.getlist(row.key, []) or [])
                if not versions:
                    continue
                marker = FakeDeleteMarker(key=versions[-1])
                marker._version_id = row.version_id
                marker.last_modified = _naive_utc(row.last_modified, marker.last_modified)
                bucket.keys.setlist(row.key, [*versions, marker])
                continue
            key = s3.put_object(row.bucket, row.key, row.body or b"", disable_notification=True)
            if row.versioned:
                key._version_id = row.version_id
            key.last_modified = _naive_utc(row.last_modified, key.last_modified)
            if row.metadata:
                key.set_metadata(dict(row.metadata))
            report.objects += 1
            if not row.notified:
                report.unnotified.append(row)
        for item in journal.items():
            if item.table_name not in ddb.tables:
                report.skipped.append(f"item of unknown table {item.table_name}")
                continue
            ddb.put_item(item.table_name, item.item)
            report.items += 1
        for execution in journal.executions():
            if not execution.finished:
                report.running.append(execution)
                if running_as_records:
                    add_restored(_as_started(execution), account_id, region_name)
                continue
            if add_restored(execution, account_id, region_name):
                report.finished_executions += 1
            else:
                report.skipped.append(f"execution of unknown state machine {execution.arn}")
    return report


def owed_notifications(report: RestoreReport, journal: Journal) -> list[ObjectRow]:
    """Objects whose notification a crash cut short and that started no execution at all (an
    execution row naming the object means the notification got through)."""
    started = {
        (e.source_bucket, e.source_key, e.source_version) for e in journal.executions() if e.source_key is not None
    }
    owed = []
    for row in report.unnotified:
        if (row.bucket, row.key, row.version_id) in started or (row.bucket, row.key, row.etag) in started:
            continue
        owed.append(row)
    return owed


def notify_again(row: ObjectRow, account_id: str) -> None:
    """Send the ObjectCreated notification a restored object is owed (the rule starts its run)."""
    from moto.s3.models import s3_backends

    s3 = s3_backends[account_id]["aws"]
    bucket = s3.get_bucket(row.bucket)
    key = next((k for k in bucket.keys.getlist(row.key, []) or [] if str(k.version_id) == row.version_id), None)
    if key is not None:
        send_created_event(s3, bucket, key)
