"""The shared settings pieces: each mixin's env var names, defaults and validation, declared once."""

from __future__ import annotations

import os
import subprocess
import sys

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


class WithJson(ServiceSettings):
    """Complex fields come as JSON, as pydantic-settings reads them."""

    routes: list[str] = ["a"]
    limits: dict[str, int] | None = None


def test_names_are_case_insensitive_and_keywords_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("icpa_claims_table", "lower-claims")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    s = ServiceSettings()
    assert (s.claims_table, s.region) == ("lower-claims", "eu-west-1")
    assert ServiceSettings(claims_table="given-claims").claims_table == "given-claims"


def test_complex_fields_are_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICPA_ROUTES", '["x", "y"]')
    monkeypatch.setenv("ICPA_LIMITS", '{"daily": 3}')
    s = WithJson()
    assert (s.routes, s.limits) == (["x", "y"], {"daily": 3})
    monkeypatch.setenv("ICPA_LIMITS", "{not json")
    with pytest.raises(ValidationError, match="limits"):
        WithJson()


def test_reading_settings_does_not_import_pydantic_settings() -> None:
    # Cold start: pydantic-settings (+ python-dotenv) cost ~15-20 ms CPU of fraud's ~400 ms.
    code = "import sys, icpa_shared.settings as s; s.ServiceSettings(); print('pydantic_settings' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "False"
