"""The journal: one SQLite file in WAL mode, each write one autocommitted transaction (a SIGKILL
loses at most the call in flight, never a committed row)."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from icpa_local.moto_patches.registry import MOTO_VERSION
from icpa_local.persistence.codec import dumps, iso, loads, source_of
from icpa_local.persistence.schema import _SCHEMA, SCHEMA_VERSION, ExecutionRow, ItemRow, ObjectRow


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
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('created_at', ?)", (iso(datetime.now(UTC)),))
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
                    (
                        row.bucket,
                        row.key,
                        row.version_id,
                        self._next_seq(),
                        row.kind,
                        row.body,
                        row.etag,
                        dumps(row.metadata),
                        row.last_modified,
                        int(row.versioned),
                        int(row.notified),
                    ),
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

    def execution_started(
        self, arn: str, name: str, state_machine_arn: str, execution_input: str, start_date: Any
    ) -> None:
        bucket, key, version = source_of(execution_input)
        # Insert only: a short execution may already have ended (and written its final row),
        # and a restarted one keeps its row.
        self._execute(
            "INSERT OR IGNORE INTO executions (arn, name, state_machine_arn, status, input, start_date, "
            "source_bucket, source_key, source_version, updated_seq) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                arn,
                name,
                state_machine_arn,
                "RUNNING",
                execution_input,
                iso(start_date or datetime.now(UTC)),
                bucket,
                key,
                version,
                self._next_seq(),
            ),
        )

    def execution_ended(self, row: ExecutionRow) -> None:
        with self._lock:
            if self.closed:
                return
            self._db.execute("BEGIN")
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO executions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        row.arn,
                        row.name,
                        row.state_machine_arn,
                        row.status,
                        row.input,
                        row.output,
                        row.error,
                        row.cause,
                        row.start_date,
                        row.stop_date,
                        None if row.history is None else dumps(row.history),
                        row.source_bucket,
                        row.source_key,
                        row.source_version,
                        self._next_seq(),
                    ),
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
