"""Builds the real adapters from the settings, once per container. Handlers take a
`ReviewDeps` argument so tests can hand in fakes instead."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icpa_review_callback import SERVICE, __version__
from icpa_review_callback.adapters.notifier import SnsTopic
from icpa_review_callback.adapters.reviews_table import DynamoReviewStore
from icpa_review_callback.adapters.task_api import StepFunctionsTaskApi
from icpa_review_callback.domain.identity import ReviewerAccess
from icpa_review_callback.domain.ports import ReviewPorts
from icpa_review_callback.settings import ReviewCallbackSettings, get_settings
from icpa_shared.adapters.audit_store import DynamoAuditStore
from icpa_shared.adapters.claims import S3ClaimDocuments
from icpa_shared.audit import AuditRecorder


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ReviewDeps:
    ports: ReviewPorts
    access: ReviewerAccess
    review_timeout: timedelta
    clock: Callable[[], datetime] = utc_now


def build_deps(settings: ReviewCallbackSettings) -> ReviewDeps:
    ports = ReviewPorts(
        store=DynamoReviewStore(settings.reviews_table),
        tasks=StepFunctionsTaskApi(),
        reviewer_topic=SnsTopic(settings.review_topic_arn),
        supervisor_topic=SnsTopic(settings.supervisor_topic_arn),
        claims=S3ClaimDocuments(settings.documents_bucket),
        audit=AuditRecorder(DynamoAuditStore(settings.audit_table), SERVICE, __version__),
    )
    return ReviewDeps(
        ports=ports,
        access=ReviewerAccess(group=settings.reviewer_group, role_arn_prefix=settings.reviewer_role_arn_prefix),
        review_timeout=timedelta(seconds=settings.review_timeout_seconds),
    )


@functools.cache
def default_deps() -> ReviewDeps:
    return build_deps(get_settings())
