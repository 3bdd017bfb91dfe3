"""The decorator stack every Step Functions task handler shares.

    @step_handler(service="fraud", version=__version__)
    def handler(step: StepInput, context: Any) -> FraudAssessment: ...

It parses the event into the shared `StepInput` contract (a mismatch is a typed
ContractViolationError), binds correlation ids to every log line, traces the invocation when
tracing is on, flushes EMF metrics, and returns the result as JSON-ready data. Errors pass
through unchanged: their class names are what the ASL's Retry and Catch match on.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from icpa_shared.contracts.workflow import StepInput
from icpa_shared.errors import ContractViolationError
from icpa_shared.observability.logging import (
    bind_invocation,
    clear_invocation,
    configure_logging,
    get_logger,
)
from icpa_shared.observability.tracing import metrics_flushed, tracing_enabled

M = TypeVar("M", bound=BaseModel)


def claim_id_of(step: StepInput) -> str | None:
    state = step.state
    if state.intake is not None:
        return state.intake.claim_id
    return None


def step_handler(
    *, service: str, version: str, log_level: str | None = None
) -> Callable[[Callable[[StepInput, Any], BaseModel]], Callable[[dict[str, Any], Any], Any]]:
    if log_level is None:  # a service that loads its own settings lazily still honours ICPA_LOG_LEVEL
        from icpa_shared.settings import ServiceSettings

        log_level = ServiceSettings().log_level
    configure_logging(service=service, version=version, level=log_level)

    def wrap(fn: Callable[[StepInput, Any], BaseModel]) -> Callable[[dict[str, Any], Any], Any]:
        @functools.wraps(fn)
        def lambda_handler(event: dict[str, Any], context: Any = None) -> Any:
            log = get_logger()
            try:
                step = StepInput.model_validate(event)
            except ValidationError as exc:
                log.error("step.contract_violation", errors=exc.error_count())
                raise ContractViolationError(
                    f"{service} received state that violates the contract: " f"{exc.error_count()} error(s)"
                ) from exc
            bind_invocation(context, claim_id=claim_id_of(step))
            try:
                with metrics_flushed(service):
                    result = _call(fn, step, context, service)
                return result.model_dump(mode="json")
            except Exception as exc:
                log.error("step.failed", error=type(exc).__name__, detail=str(exc))
                raise
            finally:
                clear_invocation()

        return lambda_handler

    return wrap


def _call(fn: Callable[[StepInput, Any], BaseModel], step: StepInput, context: Any, service: str) -> BaseModel:
    if not tracing_enabled():
        return fn(step, context)
    from icpa_shared.observability.tracing import get_tracer

    tracer = get_tracer(service)
    with tracer.provider.in_subsegment(f"## {service}.handler") as subsegment:
        claim_id = claim_id_of(step)
        if claim_id:
            subsegment.put_annotation("claim_id", claim_id)
        return fn(step, context)
