"""The real dependencies, built once per Lambda container on first use (settings validated
then). Tests pass their own deps to `handle(...)` instead."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from icpa_intake import SERVICE
from icpa_intake.adapters.claims_table import DynamoClaimsTable
from icpa_intake.adapters.interchanges import S3InterchangeStore, StepFunctionsExecutions
from icpa_intake.adapters.metrics import intake_metrics
from icpa_intake.adapters.quarantine_store import S3QuarantineStore
from icpa_intake.adapters.source_objects import S3SourceObjects
from icpa_intake.adapters.x12_validator import Pyx12Validator
from icpa_intake.domain.validation import Limits
from icpa_intake.settings import get_settings
from icpa_intake.usecases.intake import IntakeDeps
from icpa_intake.usecases.quarantine import QuarantineDeps
from icpa_intake.usecases.split import SplitDeps
from icpa_shared.adapters.audit_store import DynamoAuditStore
from icpa_shared.adapters.claims import S3ClaimDocuments
from icpa_shared.adapters.policies import DynamoPolicies
from icpa_shared.codesets.files import bundled_code_sets, open_code_sets


def utc_now() -> datetime:
    return datetime.now(UTC)


@functools.cache
def intake_deps() -> IntakeDeps:
    s = get_settings()
    return IntakeDeps(
        sources=S3SourceObjects(),
        policies=DynamoPolicies(s.policies_table),
        documents=S3ClaimDocuments(s.documents_bucket),
        claims=DynamoClaimsTable(s.claims_table),
        audit=DynamoAuditStore(s.audit_table),
        clock=utc_now,
        max_file_bytes=s.max_file_bytes,
        limits=Limits(max_line_charge=s.max_line_charge, max_total_charge=s.max_total_charge),
        metrics=intake_metrics(SERVICE, s.metrics_namespace),
        codes=bundled_code_sets() if s.code_sets_dir is None else open_code_sets(s.code_sets_dir),
    )


@functools.cache
def quarantine_deps() -> QuarantineDeps:
    s = get_settings()
    return QuarantineDeps(
        sources=S3SourceObjects(),
        quarantine=S3QuarantineStore(s.quarantine_bucket),
        claims=DynamoClaimsTable(s.claims_table),
        audit=DynamoAuditStore(s.audit_table),
        clock=utc_now,
        max_file_bytes=s.max_file_bytes,
        metrics=intake_metrics(SERVICE, s.metrics_namespace),
    )


@functools.cache
def split_deps() -> SplitDeps:
    s = get_settings()
    if s.claims_state_machine_arn is None:
        raise ValueError("ICPA_CLAIMS_STATE_MACHINE_ARN is not set: the splitter has no workflow to start")
    return SplitDeps(
        sources=S3SourceObjects(),
        validator=Pyx12Validator(),
        store=S3InterchangeStore(s.documents_bucket),
        acknowledgements=S3QuarantineStore(s.quarantine_bucket),
        executions=StepFunctionsExecutions(s.claims_state_machine_arn),
        audit=DynamoAuditStore(s.audit_table),
        clock=utc_now,
        max_file_bytes=s.max_file_bytes,
    )


def reset() -> None:
    """Forget built dependencies (tests that change settings or AWS mocks)."""
    get_settings.cache_clear()
    intake_deps.cache_clear()
    quarantine_deps.cache_clear()
    split_deps.cache_clear()
