"""Adjudicate (ResultPath $.adjudication): StepInput with state.intake -> Adjudication.

Only the Lambda side lives here: the shared decorator stack parses the event into StepInput
and dumps the result; the claims logic is usecase.py's.
"""

from __future__ import annotations

from typing import Any

from icpa_adjudication import SERVICE, __version__
from icpa_adjudication.settings import get_settings
from icpa_adjudication.usecase import AdjudicationDeps, adjudicate_step
from icpa_adjudication.wiring import default_deps
from icpa_shared.contracts import Adjudication, StepInput
from icpa_shared.handler import step_handler


def handle(step: StepInput, deps: AdjudicationDeps | None = None) -> Adjudication:
    return adjudicate_step(step, deps or default_deps())


@step_handler(service=SERVICE, version=__version__, log_level=get_settings().log_level)
def handler(step: StepInput, context: Any) -> Adjudication:
    return handle(step)
