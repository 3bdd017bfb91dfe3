"""`default_deps()`: the real adapters built from the settings, once per container, for
both router Lambdas (RouteClaim in handlers/route.py, RecordDecision in handlers/record.py).
The handlers take `deps=None` and use their half of it; tests hand in fakes instead."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from icpa_router import SERVICE, __version__
from icpa_router.adapters.metrics import decision_metrics
from icpa_router.adapters.routing_policy import routing_policy
from icpa_router.settings import RouterSettings, get_settings
from icpa_router.usecases.record import RecordDeps
from icpa_router.usecases.route import RouteDeps
from icpa_shared.adapters.answers import S3PayerAnswers
from icpa_shared.adapters.audit_store import DynamoAuditStore
from icpa_shared.adapters.claims import DynamoClaimRecords, S3ClaimDocuments
from icpa_shared.audit import AuditRecorder
from icpa_shared.observability.tracing import annotate


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RouterDeps:
    route: RouteDeps
    record: RecordDeps


def step_deps(settings: RouterSettings) -> dict[str, Any]:
    """StepDeps' fields, for a use case's deps (a StepDeps subclass) to be built with."""
    return {
        "audit": AuditRecorder(DynamoAuditStore(settings.audit_table), SERVICE, __version__),
        "metrics": decision_metrics(SERVICE, settings.metrics_namespace),
        "annotate": functools.partial(annotate, SERVICE),
        "clock": utc_now,
    }


def build_deps(settings: RouterSettings) -> RouterDeps:
    return RouterDeps(
        route=RouteDeps(policy=routing_policy(settings), **step_deps(settings)),
        record=RecordDeps(
            records=DynamoClaimRecords(settings.claims_table),
            documents=S3ClaimDocuments(settings.documents_bucket),
            answers=S3PayerAnswers(settings.documents_bucket),
            payer=settings.payer,
            **step_deps(settings),
        ),
    )


@functools.cache
def default_deps() -> RouterDeps:
    return build_deps(get_settings())
