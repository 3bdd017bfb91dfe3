"""Reason codes Intake emits beyond the shared vocabulary (icpa_shared.contracts.reasons).

- DUPLICATE_CLAIM_ID: a different uploaded object already carries this claim id.
- SUBSCRIBER_MISMATCH: the claim's subscriber id is not the policy's subscriber.
- SOURCE_NOT_FOUND: the uploaded object is gone (deleted before Intake read it).
- SOURCE_CHANGED: the object at the key is no longer the one the event announced (a newer
  upload replaced it; that upload has its own event).
- STATES_<NAME> / LAMBDA_<NAME> / SANDBOX_TIMEDOUT: the quarantine step's reason for a
  Step Functions or Lambda runtime error, derived from the error name (see quarantine rules).
"""

from __future__ import annotations

from typing import Final

DUPLICATE_CLAIM_ID: Final = "DUPLICATE_CLAIM_ID"
SUBSCRIBER_MISMATCH: Final = "SUBSCRIBER_MISMATCH"
SOURCE_NOT_FOUND: Final = "SOURCE_NOT_FOUND"
SOURCE_CHANGED: Final = "SOURCE_CHANGED"
