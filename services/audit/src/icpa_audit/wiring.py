"""Builds the real adapters from the settings, once per container. The handler and the CLI
take these as arguments, so tests hand in fakes instead."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from icpa_audit.adapters.archive_bucket import S3ArchiveReader, S3ArchiveWriter
from icpa_audit.adapters.audit_chain import AuditChainReader
from icpa_audit.adapters.step_functions import StepFunctionsHistory
from icpa_audit.domain.ports import ArchiveReader, ArchiverPorts, AuditReader
from icpa_audit.settings import AuditSettings, get_settings


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ArchiverDeps:
    ports: ArchiverPorts
    clock: Callable[[], datetime] = field(default=utc_now)


def build_deps(settings: AuditSettings) -> ArchiverDeps:
    return ArchiverDeps(
        ports=ArchiverPorts(
            history=StepFunctionsHistory(region=settings.region),
            audit=AuditChainReader(settings.audit_table, region=settings.region),
            archive=S3ArchiveWriter(settings.archive_bucket, region=settings.region),
        )
    )


@functools.cache
def default_deps() -> ArchiverDeps:
    return build_deps(get_settings())


@dataclass(frozen=True)
class TrailSources:
    """What load_trail reads: the audit table and the archive bucket."""

    audit: AuditReader
    archive: ArchiveReader


def trail_sources(settings: AuditSettings | None = None) -> TrailSources:
    """For `icpa audit`: `load_trail(claim_id, sources.audit, sources.archive)`."""
    settings = settings or get_settings()
    return TrailSources(
        audit=AuditChainReader(settings.audit_table, region=settings.region),
        archive=S3ArchiveReader(settings.archive_bucket, region=settings.region),
    )
