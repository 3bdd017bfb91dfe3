"""The ports adjudication reads through. Adapters implement them on AWS; tests use fakes."""

from __future__ import annotations

from typing import Protocol

from icpa_adjudication.domain.fee_schedule import FeeSchedule
from icpa_shared.contracts import ClaimDocument, Policy


class ClaimSource(Protocol):
    def get(self, uri: str) -> ClaimDocument:
        """The normalized claim document at `uri`; ClaimNotFoundError when there is none."""
        ...


class PolicyRepository(Protocol):
    def get(self, policy_id: str) -> Policy:
        """The policy; UnknownPolicyError when there is none."""
        ...


class FeeScheduleRepository(Protocol):
    def get(self, fee_schedule_id: str) -> FeeSchedule:
        """The fee schedule; UnknownFeeScheduleError when there is none."""
        ...
