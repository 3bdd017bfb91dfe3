"""A claim's decision trail: its audit chain plus every archived execution of the claim."""

from __future__ import annotations

import re
from typing import Final

from pydantic import BaseModel, ConfigDict

from icpa_audit.domain.history import recorded_outcome
from icpa_audit.domain.models import ArchiveDocument
from icpa_audit.domain.ports import ArchiveReader, AuditReader, UnreadableArchiveError
from icpa_shared.contracts.audit import AuditEvent

_CLAIM_ID: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$")


class ArchivedRun(BaseModel):
    """One archived execution, as read back from the archive."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    document: ArchiveDocument

    @property
    def name(self) -> str:
        return self.document.execution.name

    @property
    def arn(self) -> str:
        return self.document.execution.arn

    @property
    def outcome(self) -> str | None:
        return recorded_outcome(self.document.execution.output, self.document.history)


class UnreadableArchive(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    problem: str


class Trail(BaseModel):
    """`events` stay in the order the audit table returned them (sequence-key order), never
    re-sorted: verification must see a reordered chain as it is stored."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    claim_id: str
    events: list[AuditEvent]
    archives: list[ArchivedRun]
    unreadable: list[UnreadableArchive]

    def archive_for(self, execution_arn: str) -> ArchivedRun | None:
        return next((run for run in self.archives if run.arn == execution_arn), None)


def load_trail(claim_id: str, audit_store: AuditReader, archive_reader: ArchiveReader) -> Trail:
    """Reads the chain and every `claims/<claim_id>/*.json.gz`; an archive that cannot be read
    is kept as an UnreadableArchive (verification reports it), not dropped."""
    if not _CLAIM_ID.match(claim_id):
        raise ValueError(f"not a claim id: {claim_id!r}")
    events = audit_store.events(claim_id)
    archives: list[ArchivedRun] = []
    unreadable: list[UnreadableArchive] = []
    for key in sorted(archive_reader.keys(claim_id)):
        try:
            archives.append(ArchivedRun(key=key, document=archive_reader.read(key)))
        except UnreadableArchiveError as exc:
            unreadable.append(UnreadableArchive(key=key, problem=exc.problem))
    archives.sort(key=lambda run: (run.document.execution.start_date, run.name))
    return Trail(claim_id=claim_id, events=events, archives=archives, unreadable=unreadable)
