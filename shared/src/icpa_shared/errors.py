"""Typed errors. Step Functions matches Retry/Catch on the exception's class name, so these
names are part of the contract with the ASL: rename one and the state machine must change too.

- RetryableError subclasses: the ASL retries them with exponential backoff and jitter.
- PermanentError subclasses: never retried; the ASL catches them and quarantines the claim
  (outcome REJECTED).
- Anything else is unexpected: caught as States.ALL, quarantined with outcome ERROR.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar


class IcpaError(Exception):
    """Base of every error the platform raises on purpose."""

    retryable: ClassVar[bool] = False
    default_reason: ClassVar[str] = "ICPA_ERROR"

    def __init__(self, message: str, *, reasons: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.reasons: tuple[str, ...] = tuple(reasons) or (self.default_reason,)

    def __str__(self) -> str:
        # The Cause Step Functions records: a JSON-friendly one-liner with the reason codes.
        return f"{self.message} [{', '.join(self.reasons)}]"


class RetryableError(IcpaError):
    retryable = True
    default_reason = "RETRYABLE_ERROR"


class ModelThrottledError(RetryableError):
    """Bedrock (or another model endpoint) throttled the call."""

    default_reason = "MODEL_THROTTLED"


class TransientDependencyError(RetryableError):
    """A dependency (DynamoDB, S3, SNS, Bedrock) failed in a way worth retrying."""

    default_reason = "DEPENDENCY_UNAVAILABLE"


class MalformedModelResponseError(RetryableError):
    """The model answered, but not in the agreed structure. Models are not deterministic,
    so one retry is worth it; the ASL caps the attempts."""

    default_reason = "MODEL_RESPONSE_MALFORMED"


class PermanentError(IcpaError):
    retryable = False
    default_reason = "PERMANENT_ERROR"


class InvalidClaimError(PermanentError):
    """The claim file cannot be accepted; `reasons` says exactly why."""

    default_reason = "INVALID_CLAIM"


class UnknownPolicyError(PermanentError):
    default_reason = "UNKNOWN_POLICY"


class UnknownMemberError(PermanentError):
    default_reason = "UNKNOWN_MEMBER"


class ClaimNotFoundError(PermanentError):
    default_reason = "CLAIM_NOT_FOUND"


class ContractViolationError(PermanentError):
    """A step received state that does not match the shared contract (a wiring bug)."""

    default_reason = "CONTRACT_VIOLATION"


class ModelConfigurationError(PermanentError):
    """The model endpoint refused the request itself (access denied, validation, unknown agent
    or alias): a deployment defect, not the claim's fault and not worth a retry. Not among the
    PERMANENT_ERROR_NAMES, so the claim is quarantined with outcome ERROR for an operator."""

    default_reason = "MODEL_CONFIGURATION"


RETRYABLE_ERROR_NAMES: tuple[str, ...] = (
    ModelThrottledError.__name__,
    TransientDependencyError.__name__,
    MalformedModelResponseError.__name__,
)
PERMANENT_ERROR_NAMES: tuple[str, ...] = (
    InvalidClaimError.__name__,
    UnknownPolicyError.__name__,
    UnknownMemberError.__name__,
    ClaimNotFoundError.__name__,
    ContractViolationError.__name__,
)
