"""Intake's configuration: one settings model, validated when the handler first runs."""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path

from pydantic import Field

from icpa_shared.settings import BucketName, MetricsSettings, PoliciesTableSettings, ServiceSettings


class IntakeSettings(ServiceSettings, PoliciesTableSettings, MetricsSettings):
    """Environment variables (prefix ICPA_): ICPA_CLAIMS_TABLE, ICPA_AUDIT_TABLE,
    ICPA_DOCUMENTS_BUCKET (from ServiceSettings), and the ones below."""

    quarantine_bucket: BucketName = Field(default="icpa-quarantine")
    max_file_bytes: int = Field(default=1024 * 1024, ge=1024, le=50 * 1024 * 1024)
    # A line or a claim total above these is not a typo we can trust: ABSURD_AMOUNT.
    max_line_charge: Decimal = Field(default=Decimal("100000"), gt=0)
    max_total_charge: Decimal = Field(default=Decimal("1000000"), gt=0)
    # A directory with a code-set manifest.json (icpa_shared/codesets/data/README.md), e.g. a
    # layer adding HCPCS or a licensed CPT list; unset: the bundled ICD-10-CM releases.
    code_sets_dir: Path | None = None
    # The claims workflow the interchange splitter starts one execution per claim of (unset in
    # the Intake and Quarantine functions, which start nothing).
    claims_state_machine_arn: str | None = Field(default=None, min_length=20, max_length=256)


@functools.cache
def get_settings() -> IntakeSettings:
    """Read once per container (validated at cold start); wiring.reset() forgets it."""
    return IntakeSettings()
