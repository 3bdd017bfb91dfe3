"""The audit service's settings: one model, validated at cold start, read nowhere else."""

from __future__ import annotations

import functools

from pydantic import Field

from icpa_shared.settings import BucketName, ServiceSettings


class AuditSettings(ServiceSettings):
    """Env names: ICPA_ARCHIVE_BUCKET (+ the base's ICPA_AUDIT_TABLE, AWS_REGION, ICPA_LOG_LEVEL...)."""

    archive_bucket: BucketName = Field(default="icpa-archive")


@functools.cache
def get_settings() -> AuditSettings:
    return AuditSettings()
