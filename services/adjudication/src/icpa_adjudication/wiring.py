"""`default_deps()`: the real adapters built from the settings, once per container. The
handler takes `deps=None` and calls it; tests hand in fakes instead."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from icpa_adjudication import SERVICE, __version__
from icpa_adjudication.adapters.fee_schedules import BundledFeeSchedules
from icpa_adjudication.adapters.policies import DynamoPolicyRepository
from icpa_adjudication.domain.explanation import Explainer, TemplateExplainer
from icpa_adjudication.settings import AdjudicationSettings, get_settings
from icpa_adjudication.usecase import AdjudicationDeps
from icpa_shared.adapters.audit_store import DynamoAuditStore
from icpa_shared.adapters.claims import S3ClaimDocuments
from icpa_shared.audit import AuditRecorder


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_deps(settings: AdjudicationSettings) -> AdjudicationDeps:
    explainer: Explainer = TemplateExplainer()
    if settings.explainer == "bedrock-agent":
        # Imported only when configured: the template explainer's cold start needs no Bedrock code.
        from icpa_adjudication.adapters.bedrock_explainer import BedrockAgentExplainer

        assert settings.bedrock_agent_id and settings.bedrock_agent_alias_id  # the settings check this
        explainer = BedrockAgentExplainer(
            settings.bedrock_agent_id,
            settings.bedrock_agent_alias_id,
            timeout_seconds=settings.bedrock_timeout_seconds,
        )
    return AdjudicationDeps(
        claims=S3ClaimDocuments(settings.documents_bucket),
        policies=DynamoPolicyRepository(settings.policies_table),
        fee_schedules=BundledFeeSchedules(),
        explainer=explainer,
        audit=AuditRecorder(DynamoAuditStore(settings.audit_table), SERVICE, __version__),
        clock=utc_now,
    )


@cache
def default_deps() -> AdjudicationDeps:
    return build_deps(get_settings())
