"""Intake's configuration: one settings model, validated when the handler first runs."""

from __future__ import annotations

import functools
from decimal import Decimal

from pydantic import Field

from icpa_shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    """Environment variables (prefix ICPA_): ICPA_CLAIMS_TABLE, ICPA_AUDIT_TABLE,
    ICPA_DOCUMENTS_BUCKET (from ServiceSettings), and the ones below."""

    policies_table: str = Field(default="icpa-policies", min_length=3, max_length=255)
    idempotency_table: str = Field(default="icpa-idempotency", min_length=3, max_length=255)
    quarantine_bucket: str = Field(default="icpa-quarantine", min_length=3, max_length=63)
    max_file_bytes: int = Field(default=1024 * 1024, ge=1024, le=50 * 1024 * 1024)
    # A line or a claim total above these is not a typo we can trust: ABSURD_AMOUNT.
    max_line_charge: Decimal = Field(default=Decimal("100000"), gt=0)
    max_total_charge: Decimal = Field(default=Decimal("1000000"), gt=0)
    # How long a processed upload's result is remembered (Powertools Idempotency record TTL).
    idempotency_expiry_seconds: int = Field(default=24 * 3600, ge=60, le=30 * 24 * 3600)
    # Metrics are on when Powertools' namespace is set (the template sets it for every function).
    metrics_namespace: str | None = Field(default=None, validation_alias="POWERTOOLS_METRICS_NAMESPACE")


@functools.cache
def get_settings() -> IntakeSettings:
    """Read once per container (validated at cold start); wiring.reset() forgets it."""
    return IntakeSettings()
