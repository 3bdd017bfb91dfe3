"""What the local cloud keeps across restarts: a SQLite write-through journal of its state, and
the restore that puts it back at the next start.

- `schema`, `codec`, `journal`: the tables, how values are written, the store (`Journal`).
- `s3_hooks`, `dynamodb_hooks`, `sfn_hooks`: what each service's backend journals, wrapped as
  reversible patches in the one registry of icpa_local.moto_patches (pinned to moto 5.2.5 there:
  the hooks wrap methods of that release's backends, and restored executions subclass its
  Execution). `active`: the journal they write to.
- `restore`: the objects, items and finished executions put back at start.

Resume continues from where the run was: moto cannot resume an interpreter mid-run, so the
execution restarts with its name and input, and while it replays, each Task whose result the
journal holds (`TASK_REPLAY`) is answered from the journal, in order, instead of invoking its
handler again: no step runs twice, and the replayed path is the one the run had taken.
"""

from __future__ import annotations

from icpa_local.moto_patches.registry import REGISTRY, Patch
from icpa_local.persistence import dynamodb_hooks, s3_hooks, sfn_hooks
from icpa_local.persistence.active import activate, active_journal
from icpa_local.persistence.codec import dumps, loads, parse_time, source_of
from icpa_local.persistence.dynamodb_hooks import item_key, journal_item
from icpa_local.persistence.journal import Journal
from icpa_local.persistence.restore import (
    RestoreReport,
    add_restored,
    ended_after_the_fact,
    notify_again,
    owed_notifications,
    restore,
    restored_execution,
    status_change_detail,
)
from icpa_local.persistence.s3_hooks import object_row, send_created_event
from icpa_local.persistence.schema import (
    SCHEMA_VERSION,
    TERMINAL_STATUSES,
    ExecutionRow,
    ItemRow,
    ObjectRow,
)
from icpa_local.persistence.sfn_hooks import TASK_REPLAY, InertWorker, TaskReplay, execution_row, on_execution_ended

_Inert = InertWorker  # the name the tests know

__all__ = [
    "SCHEMA_VERSION",
    "TASK_REPLAY",
    "TERMINAL_STATUSES",
    "ExecutionRow",
    "ItemRow",
    "Journal",
    "ObjectRow",
    "InertWorker",
    "RestoreReport",
    "TaskReplay",
    "_Inert",
    "activate",
    "active_journal",
    "add_restored",
    "dumps",
    "ended_after_the_fact",
    "execution_row",
    "install_hooks",
    "item_key",
    "journal_item",
    "loads",
    "notify_again",
    "object_row",
    "on_execution_ended",
    "owed_notifications",
    "parse_time",
    "restore",
    "restored_execution",
    "send_created_event",
    "source_of",
    "status_change_detail",
]

GROUP = "persistence"


def _hooks() -> list[Patch]:
    return [*s3_hooks.patches(), *dynamodb_hooks.patches(), *sfn_hooks.patches()]


def install_hooks() -> None:
    """Wrap the backends' mutating methods once per process (idempotent)."""
    REGISTRY.install(GROUP, _hooks)
