"""RecordDecision (ResultPath $.record, the end of every non-error path): the final decision
in state -> the claim's ClaimRecord. Only the Lambda side lives here; the recording is
usecases/record.py's."""

from __future__ import annotations

from typing import Any

from icpa_router import SERVICE, __version__
from icpa_router.settings import get_settings
from icpa_router.usecases.record import RecordDeps, record_final_decision
from icpa_router.wiring import default_deps
from icpa_shared.contracts import ClaimRecord, StepInput
from icpa_shared.handler import step_handler


def handle(step: StepInput, deps: RecordDeps | None = None) -> ClaimRecord:
    return record_final_decision(step, deps or default_deps().record)


@step_handler(service=SERVICE, version=__version__, log_level=get_settings().log_level)
def handler(step: StepInput, context: Any) -> ClaimRecord:
    return handle(step)
