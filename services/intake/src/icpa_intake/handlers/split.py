"""Interchange splitter Lambda (state `SplitInterchange`, ResultPath null): an uploaded X12 837
interchange -> one claims-workflow execution per claim. An invalid interchange raises
InvalidClaimError with its segment/element reasons; the workflow's Catch quarantines it (the
999 is already next to where the original is kept)."""

from __future__ import annotations

from typing import Any

from icpa_intake import SERVICE, __version__
from icpa_intake.usecases.split import InterchangeSplit, SplitDeps, split_interchange
from icpa_shared.contracts import StepInput
from icpa_shared.handler import step_handler


def handle(step: StepInput, deps: SplitDeps | None = None) -> InterchangeSplit:
    if deps is None:
        from icpa_intake.wiring import split_deps

        deps = split_deps()
    return split_interchange(step, deps)


@step_handler(service=SERVICE, version=__version__)
def handler(step: StepInput, context: Any) -> InterchangeSplit:
    return handle(step)
