"""Quarantine Lambda (state `QuarantineClaim`, ResultPath `$.quarantine`): the workflow's
error handler. Copies the original to the quarantine bucket with a reason.json, records the
outcome (REJECTED for permanent errors, ERROR otherwise) and audits it."""

from __future__ import annotations

from typing import Any

from icpa_intake import SERVICE, __version__
from icpa_intake.usecases.quarantine import QuarantineDeps, quarantine_claim
from icpa_shared.contracts import QuarantineResult, StepInput
from icpa_shared.handler import step_handler


def handle(step: StepInput, deps: QuarantineDeps | None = None) -> QuarantineResult:
    if deps is None:
        from icpa_intake.wiring import quarantine_deps

        deps = quarantine_deps()
    return quarantine_claim(step, deps)


@step_handler(service=SERVICE, version=__version__)
def handler(step: StepInput, context: Any) -> QuarantineResult:
    return handle(step)
