"""The shared settings pieces: each mixin's env var names, defaults and validation, declared once."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from icpa_shared.settings import (
    BedrockAgentSettings,
    MetricsSettings,
    PoliciesTableSettings,
    ServiceSettings,
)

ENV = (
    "ICPA_POLICIES_TABLE",
    "POWERTOOLS_METRICS_NAMESPACE",
    "ICPA_BEDROCK_AGENT_ID",
    "ICPA_BEDROCK_AGENT_ALIAS_ID",
    "ICPA_BEDROCK_TIMEOUT_SECONDS",
    "ICPA_DOCUMENTS_BUCKET",
)


class Composed(ServiceSettings, PoliciesTableSettings, BedrockAgentSettings, MetricsSettings):
    """A service's model as the services build theirs."""


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def test_defaults() -> None:
    s = Composed()
    assert s.policies_table == "icpa-policies"
    assert s.metrics_namespace is None
    assert (s.bedrock_agent_id, s.bedrock_agent_alias_id, s.bedrock_timeout_seconds) == (None, None, 60)
    assert s.documents_bucket == "icpa-documents"


def test_env_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICPA_POLICIES_TABLE", "prod-policies")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "ICPA")
    monkeypatch.setenv("ICPA_BEDROCK_AGENT_ID", "AGENT12345")
    monkeypatch.setenv("ICPA_BEDROCK_AGENT_ALIAS_ID", "TSTALIASID")
    monkeypatch.setenv("ICPA_BEDROCK_TIMEOUT_SECONDS", "30")
    s = Composed()
    assert (s.policies_table, s.metrics_namespace) == ("prod-policies", "ICPA")
    assert (s.bedrock_agent_id, s.bedrock_agent_alias_id, s.bedrock_timeout_seconds) == (
        "AGENT12345",
        "TSTALIASID",
        30,
    )


def test_each_mixin_reads_its_env_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICPA_POLICIES_TABLE", "prod-policies")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "ICPA")
    monkeypatch.setenv("ICPA_BEDROCK_AGENT_ID", "AGENT12345")
    assert PoliciesTableSettings().policies_table == "prod-policies"
    assert MetricsSettings().metrics_namespace == "ICPA"
    assert BedrockAgentSettings().bedrock_agent_id == "AGENT12345"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ICPA_POLICIES_TABLE", "ab"),
        ("ICPA_POLICIES_TABLE", "t" * 256),
        ("ICPA_BEDROCK_AGENT_ID", "AGENT1234"),  # 9: an agent id is 10 letters or digits
        ("ICPA_BEDROCK_AGENT_ID", "AGENT123456"),
        ("ICPA_BEDROCK_AGENT_ALIAS_ID", "ALIAS-0001"),
        ("ICPA_BEDROCK_TIMEOUT_SECONDS", "4"),
        ("ICPA_BEDROCK_TIMEOUT_SECONDS", "91"),
        ("ICPA_DOCUMENTS_BUCKET", "Not_A_Bucket"),
        ("ICPA_DOCUMENTS_BUCKET", "ab"),
        ("ICPA_DOCUMENTS_BUCKET", "b" * 64),
        ("ICPA_DOCUMENTS_BUCKET", "xn--reserved"),
    ],
)
def test_refuses(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Composed()


def test_frozen() -> None:
    with pytest.raises(ValidationError):
        Composed().policies_table = "other"  # type: ignore[misc]
