"""The real dependencies, built once per Lambda container on first use (settings and reference
data validated then). Tests pass their own deps to `handle(...)` instead."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from icpa_fraud import SERVICE
from icpa_fraud.adapters.bedrock import BedrockAgentModel
from icpa_fraud.adapters.claim_history import DynamoClaimHistory
from icpa_fraud.adapters.metrics import fraud_metrics
from icpa_fraud.adapters.reference_data import load_reference_data
from icpa_fraud.domain.deterministic_model import DeterministicModel
from icpa_fraud.domain.ports import ModelProvider
from icpa_fraud.domain.thresholds import Thresholds
from icpa_fraud.settings import FraudSettings, get_settings
from icpa_fraud.usecase import FraudDeps
from icpa_shared.adapters.audit_store import DynamoAuditStore
from icpa_shared.adapters.claims import S3ClaimDocuments
from icpa_shared.adapters.policies import DynamoPolicies


def utc_now() -> datetime:
    return datetime.now(UTC)


def model_provider(s: FraudSettings) -> ModelProvider | None:
    if s.fraud_model_provider == "deterministic":
        return DeterministicModel()
    if s.fraud_model_provider == "bedrock":
        assert s.bedrock_agent_id and s.bedrock_agent_alias_id  # checked by FraudSettings
        return BedrockAgentModel(
            s.bedrock_agent_id, s.bedrock_agent_alias_id, timeout_seconds=s.bedrock_timeout_seconds
        )
    return None


def thresholds(s: FraudSettings) -> Thresholds:
    return Thresholds(
        duplicate_window_days=s.fraud_duplicate_window_days,
        near_duplicate_amount_pct=s.fraud_near_duplicate_amount_pct,
        member_daily_claim_limit=s.fraud_member_daily_claim_limit,
        provider_daily_procedure_limit=s.fraud_provider_daily_procedure_limit,
        extreme_ratio=s.fraud_extreme_charge_ratio,
    )


@functools.cache
def default_deps() -> FraudDeps:
    s = get_settings()
    return FraudDeps(
        documents=S3ClaimDocuments(s.documents_bucket),
        history=DynamoClaimHistory(s.claims_table, max_items=s.fraud_history_max_items),
        policies=DynamoPolicies(s.policies_table),
        audit=DynamoAuditStore(s.audit_table),
        reference=load_reference_data(),
        clock=utc_now,
        model=model_provider(s),
        model_weight=s.fraud_model_weight,
        thresholds=thresholds(s),
        metrics=fraud_metrics(SERVICE, s.metrics_namespace),
    )


def reset() -> None:
    """Forget built dependencies (tests that change settings or AWS mocks)."""
    get_settings.cache_clear()
    default_deps.cache_clear()
