"""PolicyRepository on the shared policies-table adapter: adjudication cannot go on without
the member's policy, so a policy not on file is UnknownPolicyError (the ASL catches it)."""

from __future__ import annotations

from icpa_shared.adapters.policies import DynamoPolicies
from icpa_shared.contracts import Policy
from icpa_shared.errors import UnknownPolicyError


class DynamoPolicyRepository(DynamoPolicies):
    def get(self, policy_id: str) -> Policy:
        policy = super().get(policy_id)
        if policy is None:
            raise UnknownPolicyError(f"no policy {policy_id}")
        return policy
