"""Settings choose the model provider and the limits; a bedrock provider needs its agent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from icpa_fraud.adapters.bedrock import BedrockAgentModel
from icpa_fraud.domain.deterministic_model import DeterministicModel
from icpa_fraud.settings import FraudSettings
from icpa_fraud.wiring import model_provider, thresholds


def test_defaults_are_the_deterministic_model_and_the_documented_limits() -> None:
    settings = FraudSettings()

    assert isinstance(model_provider(settings), DeterministicModel)
    limits = thresholds(settings)
    assert (limits.duplicate_window_days, limits.near_duplicate_amount_pct) == (3, Decimal("10"))
    assert (limits.member_daily_claim_limit, limits.provider_daily_procedure_limit) == (3, 50)
    assert (settings.policies_table, settings.fraud_model_weight) == ("icpa-policies", 0.3)


def test_none_turns_the_model_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICPA_FRAUD_MODEL_PROVIDER", "none")

    assert model_provider(FraudSettings()) is None


def test_bedrock_uses_the_agent_and_alias_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICPA_FRAUD_MODEL_PROVIDER", "bedrock")
    monkeypatch.setenv("ICPA_BEDROCK_AGENT_ID", "AGENT12345")
    monkeypatch.setenv("ICPA_BEDROCK_AGENT_ALIAS_ID", "TSTALIASID")

    provider = model_provider(FraudSettings())

    assert isinstance(provider, BedrockAgentModel)
    assert (provider.agent_id, provider.agent_alias_id) == ("AGENT12345", "TSTALIASID")


@pytest.mark.parametrize("missing", ["ICPA_BEDROCK_AGENT_ID", "ICPA_BEDROCK_AGENT_ALIAS_ID"])
def test_bedrock_without_both_ids_is_refused(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    monkeypatch.setenv("ICPA_FRAUD_MODEL_PROVIDER", "bedrock")
    monkeypatch.setenv("ICPA_BEDROCK_AGENT_ID", "AGENT12345")
    monkeypatch.setenv("ICPA_BEDROCK_AGENT_ALIAS_ID", "TSTALIASID")
    monkeypatch.delenv(missing)

    with pytest.raises(ValidationError):
        FraudSettings()


def test_an_unknown_provider_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICPA_FRAUD_MODEL_PROVIDER", "gpt")

    with pytest.raises(ValidationError):
        FraudSettings()
