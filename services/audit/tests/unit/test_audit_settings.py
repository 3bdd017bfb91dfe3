"""Settings: the archive bucket and the audit table come from the environment (ICPA_ prefix)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from icpa_audit.settings import AuditSettings

pytestmark = pytest.mark.unit


def test_defaults_are_the_local_names() -> None:
    settings = AuditSettings()
    assert settings.archive_bucket == "icpa-archive"
    assert (settings.audit_table, settings.region) == ("icpa-audit", "us-east-1")


def test_names_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICPA_ARCHIVE_BUCKET", "icpa-archive-prod-123456789012-eu-west-1")
    monkeypatch.setenv("ICPA_AUDIT_TABLE", "icpa-audit-prod")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    settings = AuditSettings()
    assert settings.archive_bucket == "icpa-archive-prod-123456789012-eu-west-1"
    assert settings.audit_table == "icpa-audit-prod" and settings.region == "eu-west-1"


def test_a_bucket_name_that_is_not_one_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICPA_ARCHIVE_BUCKET", "Not_A_Bucket")
    with pytest.raises(ValidationError):
        AuditSettings()
