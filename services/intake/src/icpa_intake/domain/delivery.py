"""Which execution decides an uploaded object (pure).

EventBridge delivers an S3 event at least once, and each delivery starts an execution with the
same input. The claims table names the first execution to claim the object (its
`decision_owner`); this turns that answer into what the workflow's Choice reads.
"""

from __future__ import annotations

from icpa_intake.domain.ports import DecisionOwner
from icpa_shared.contracts import Delivery, DeliveryRole, Outcome, reasons

UNDECIDED = frozenset({Outcome.IN_PROGRESS, Outcome.PENDING_REVIEW})


def delivery_for(owner: DecisionOwner, execution_id: str) -> Delivery:
    if owner.execution_id == execution_id:
        return Delivery(role=DeliveryRole.OWNER, owner_execution_id=execution_id)
    decided = owner.outcome is not None and owner.outcome not in UNDECIDED
    return Delivery(
        role=DeliveryRole.DUPLICATE,
        owner_execution_id=owner.execution_id,
        reason=reasons.ALREADY_DECIDED if decided else reasons.DUPLICATE_DELIVERY,
        outcome=owner.outcome,
    )
