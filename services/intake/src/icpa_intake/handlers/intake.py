"""Intake Lambda (state `Intake`, ResultPath `$.intake`): an uploaded claim file -> IntakeResult.

An invalid file raises InvalidClaimError with every reason code; the workflow's Catch sends it
to QuarantineClaim (icpa_intake.handlers.quarantine).
"""

from __future__ import annotations

from typing import Any

from icpa_intake import SERVICE, __version__
from icpa_intake.usecases.intake import IntakeDeps, accept_upload
from icpa_shared.contracts import IntakeResult, StepInput
from icpa_shared.handler import step_handler


def handle(step: StepInput, deps: IntakeDeps | None = None) -> IntakeResult:
    if deps is None:
        from icpa_intake.wiring import intake_deps

        deps = intake_deps()
    return accept_upload(step, deps)


@step_handler(service=SERVICE, version=__version__)
def handler(step: StepInput, context: Any) -> IntakeResult:
    return handle(step)
