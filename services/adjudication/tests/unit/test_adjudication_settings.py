"""Settings: names, defaults, and the explainer choice wired into the deps."""

from __future__ import annotations

from typing import Any

import pytest
from adjudication_testkit import adjudicated
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from pydantic import ValidationError

from icpa_adjudication.adapters.bedrock_explainer import BedrockAgentExplainer
from icpa_adjudication.adapters.fee_schedules import BundledFeeSchedules
from icpa_adjudication.adapters.policies import DynamoPolicyRepository
from icpa_adjudication.domain.errors import UnknownFeeScheduleError
from icpa_adjudication.domain.explanation import TemplateExplainer
from icpa_adjudication.settings import AdjudicationSettings
from icpa_adjudication.wiring import build_deps
from icpa_shared.adapters.audit_store import DynamoAuditStore
from icpa_shared.errors import TransientDependencyError
from icpa_shared.testing.aws import patched_aws_env
from icpa_shared.testing.bedrock import RawBody
from icpa_shared.testing.builders import a_claim, a_policy

pytestmark = pytest.mark.unit


def test_defaults_are_the_local_names(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ICPA_POLICIES_TABLE", "ICPA_EXPLAINER", "ICPA_AUDIT_TABLE", "ICPA_DOCUMENTS_BUCKET"):
        monkeypatch.delenv(name, raising=False)
    s = AdjudicationSettings()
    assert (s.policies_table, s.audit_table, s.documents_bucket, s.explainer) == (
        "icpa-policies",
        "icpa-audit",
        "icpa-documents",
        "template",
    )
    deps = build_deps(s)
    assert isinstance(deps.explainer, TemplateExplainer)
    assert isinstance(deps.policies, DynamoPolicyRepository) and deps.policies.table == "icpa-policies"
    assert isinstance(deps.audit.store, DynamoAuditStore)


def test_env_names_configure_tables_and_the_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICPA_POLICIES_TABLE", "prod-policies")
    monkeypatch.setenv("ICPA_EXPLAINER", "bedrock-agent")
    monkeypatch.setenv("ICPA_BEDROCK_AGENT_ID", "AGENT00001")
    monkeypatch.setenv("ICPA_BEDROCK_AGENT_ALIAS_ID", "ALIAS00001")
    deps = build_deps(AdjudicationSettings())
    assert isinstance(deps.explainer, BedrockAgentExplainer)
    assert (deps.explainer.agent_id, deps.explainer.agent_alias_id) == ("AGENT00001", "ALIAS00001")
    assert isinstance(deps.policies, DynamoPolicyRepository) and deps.policies.table == "prod-policies"


def test_the_agent_explainers_client_makes_one_attempt_within_the_configured_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the agent explainer as the Lambda builds it, and an agent that keeps failing
    with patched_aws_env(monkeypatch):
        monkeypatch.setenv("ICPA_EXPLAINER", "bedrock-agent")
        monkeypatch.setenv("ICPA_BEDROCK_AGENT_ID", "AGENT00001")
        monkeypatch.setenv("ICPA_BEDROCK_AGENT_ALIAS_ID", "ALIAS00001")
        monkeypatch.setenv("ICPA_BEDROCK_TIMEOUT_SECONDS", "45")
        explainer = build_deps(AdjudicationSettings()).explainer
        assert isinstance(explainer, BedrockAgentExplainer)
        client = explainer.agent.client
        sent: list[str] = []

        def unavailable(request: AWSPreparedRequest, **_: object) -> AWSResponse:
            sent.append(request.url)
            headers: Any = {"x-amzn-ErrorType": "ServiceUnavailableException", "content-type": "application/json"}
            return AWSResponse(request.url, 503, headers, RawBody(b'{"message": "busy"}'))

        client.meta.events.register("before-send.bedrock-agent-runtime.InvokeAgent", unavailable)  # type: ignore[arg-type]

        # When it explains, Then it fails typed after one request (Step Functions owns retries)
        with pytest.raises(TransientDependencyError):
            explainer.explain(adjudicated(a_claim(), a_policy()))
    assert len(sent) == 1
    config: Any = client.meta.config  # read_timeout/connect_timeout come from Config(**kwargs), unstubbed
    assert (config.read_timeout, config.connect_timeout) == (45, 10)


def test_the_agent_explainer_without_agent_ids_fails_at_cold_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICPA_EXPLAINER", "bedrock-agent")
    monkeypatch.delenv("ICPA_BEDROCK_AGENT_ID", raising=False)
    with pytest.raises(ValidationError, match="ICPA_BEDROCK_AGENT_ID"):
        AdjudicationSettings()


@pytest.mark.parametrize("bad", ["FS-1999", "../../etc/passwd", "fs-2026"])
def test_unknown_or_unsafe_fee_schedule_ids_are_refused(bad: str) -> None:
    with pytest.raises(UnknownFeeScheduleError):
        BundledFeeSchedules().get(bad)
