"""The routing policy: the bundled version, its validation, and overrides from settings."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError
from router_testkit import POLICY

from icpa_router.adapters.routing_policy import bundled_policy, routing_policy
from icpa_router.domain.policy import RoutingPolicy
from icpa_router.settings import RouterSettings
from icpa_shared.testing.builders import usd

pytestmark = pytest.mark.unit


def test_the_bundled_policy_is_2026_11_1() -> None:
    policy = bundled_policy()
    assert policy.version == "2026.11.1"
    assert (policy.fraud_low, policy.fraud_high, policy.disagreement_delta) == (0.30, 0.70, 0.40)
    assert policy.auto_approve_max_payable == usd("2500.00")
    assert policy.model_dump(exclude={"description"}) == POLICY.model_dump(exclude={"description"})


def test_without_overrides_the_settings_give_the_bundled_policy() -> None:
    assert routing_policy(RouterSettings()) == bundled_policy()


def test_overrides_from_the_environment_make_a_new_named_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICPA_ROUTING_POLICY_VERSION", "2026.11.1-strict")
    monkeypatch.setenv("ICPA_FRAUD_LOW_THRESHOLD", "0.2")
    monkeypatch.setenv("ICPA_FRAUD_HIGH_THRESHOLD", "0.6")
    monkeypatch.setenv("ICPA_AUTO_APPROVE_MAX_PAYABLE", "1000.00")
    monkeypatch.setenv("ICPA_MODEL_DISAGREEMENT_DELTA", "0.25")
    policy = routing_policy(RouterSettings())
    assert policy.version == "2026.11.1-strict"
    assert (policy.fraud_low, policy.fraud_high, policy.disagreement_delta) == (0.2, 0.6, 0.25)
    assert policy.auto_approve_max_payable == usd("1000.00")


def test_a_threshold_override_without_a_version_is_refused_at_cold_start(monkeypatch: pytest.MonkeyPatch) -> None:
    # a decision names the policy version that made it: changed thresholds must not reuse a name
    monkeypatch.setenv("ICPA_FRAUD_LOW_THRESHOLD", "0.2")
    with pytest.raises(ValidationError, match="ICPA_ROUTING_POLICY_VERSION"):
        RouterSettings()


def test_a_version_override_alone_only_renames(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICPA_ROUTING_POLICY_VERSION", "2026.11.2")
    policy = routing_policy(RouterSettings())
    assert policy.version == "2026.11.2" and policy.fraud_low == 0.30


def test_overrides_that_cross_the_thresholds_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICPA_ROUTING_POLICY_VERSION", "2026.11.9")
    monkeypatch.setenv("ICPA_FRAUD_LOW_THRESHOLD", "0.8")
    with pytest.raises(ValidationError, match="fraud_low"):
        routing_policy(RouterSettings())


@pytest.mark.parametrize(
    "changes",
    [
        {"fraud_low": 1.2},
        {"fraud_high": -0.1},
        {"disagreement_delta": 0.0},
        {"version": "not a version!"},
        {"auto_approve_max_payable": {"amount": 2500.0, "currency": "USD"}},  # a float is not money
        {"unknown_threshold": 1},
    ],
)
def test_a_malformed_policy_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        POLICY.with_changes(**changes)


def test_the_delta_is_compared_as_a_decimal() -> None:
    assert POLICY.delta == Decimal("0.4")
    assert RoutingPolicy.model_validate(POLICY.model_dump()) == POLICY
