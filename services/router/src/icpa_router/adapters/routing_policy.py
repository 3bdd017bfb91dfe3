"""The routing policy bundled with the service (data/routing_policy.json), with the overrides
the settings carry."""

from __future__ import annotations

from importlib import resources
from typing import Any

from icpa_router.domain.policy import RoutingPolicy
from icpa_router.settings import RouterSettings
from icpa_shared.contracts import Money


def bundled_policy() -> RoutingPolicy:
    data = (resources.files("icpa_router") / "data" / "routing_policy.json").read_bytes()
    return RoutingPolicy.model_validate_json(data)


def routing_policy(settings: RouterSettings) -> RoutingPolicy:
    policy = bundled_policy()
    changes: dict[str, Any] = {}
    if settings.routing_policy_version is not None:
        changes["version"] = settings.routing_policy_version
    if settings.fraud_low_threshold is not None:
        changes["fraud_low"] = settings.fraud_low_threshold
    if settings.fraud_high_threshold is not None:
        changes["fraud_high"] = settings.fraud_high_threshold
    if settings.auto_approve_max_payable is not None:
        currency = policy.auto_approve_max_payable.currency
        changes["auto_approve_max_payable"] = Money(amount=settings.auto_approve_max_payable, currency=currency)
    if settings.model_disagreement_delta is not None:
        changes["disagreement_delta"] = settings.model_disagreement_delta
    return policy.with_changes(**changes) if changes else policy
