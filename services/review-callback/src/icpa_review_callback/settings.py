"""The review-callback service's settings: one model, validated at cold start, read nowhere else."""

from __future__ import annotations

import functools
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from icpa_shared.settings import ServiceSettings

TopicArn = Annotated[str, StringConstraints(pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$")]

# Local defaults point at the in-process cloud (moto's default account); deployments set them.
_LOCAL_ACCOUNT = "123456789012"


class ReviewCallbackSettings(ServiceSettings):
    """Env names: ICPA_REVIEWS_TABLE, ICPA_REVIEW_TOPIC_ARN, ICPA_SUPERVISOR_TOPIC_ARN,
    ICPA_REVIEW_TIMEOUT_SECONDS, ICPA_REVIEWER_GROUP, ICPA_REVIEWER_ROLE_ARN_PREFIX (+ the base's)."""

    reviews_table: str = Field(default="icpa-reviews", min_length=3, max_length=255)
    review_topic_arn: TopicArn = f"arn:aws:sns:us-east-1:{_LOCAL_ACCOUNT}:icpa-reviewers"
    supervisor_topic_arn: TopicArn = f"arn:aws:sns:us-east-1:{_LOCAL_ACCOUNT}:icpa-supervisors"
    # Must agree with the ASL's TimeoutSeconds on AwaitHumanReview: due_by is what reviewers
    # see, the state machine's timer is what actually expires. Standard workflows last <= 1 year.
    review_timeout_seconds: int = Field(default=259_200, ge=60, le=31_536_000)
    reviewer_group: str = Field(default="claims-reviewers", min_length=1, max_length=128)
    # IAM principals (SigV4-signed calls) count as reviewers only when their ARN starts with
    # this prefix; unset means no IAM principal is a reviewer.
    reviewer_role_arn_prefix: str | None = Field(default=None, max_length=2048)

    @field_validator("reviewer_role_arn_prefix")
    @classmethod
    def _prefix_ends_at_a_boundary(cls, value: str | None) -> str | None:
        # "…:assumed-role/claims-reviewer" would also admit "claims-reviewer-admin":
        # requiring the trailing "/" makes the prefix name exactly one role (or path).
        if value is None or value == "":
            return None
        if not value.startswith("arn:aws") or not value.endswith("/"):
            raise ValueError("reviewer_role_arn_prefix must be an ARN prefix ending in '/'")
        return value


@functools.cache
def get_settings() -> ReviewCallbackSettings:
    return ReviewCallbackSettings()
