"""Fraud Lambda (state AssessFraud, ResultPath `$.fraud`): the accepted claim -> FraudAssessment.

Bedrock throttling raises ModelThrottledError, other transient failures
TransientDependencyError, a malformed model answer MalformedModelResponseError: the ASL retries
all three by name.
"""

from __future__ import annotations

from typing import Any

from icpa_fraud import SERVICE, __version__
from icpa_fraud.usecase import FraudDeps, assess_claim
from icpa_shared.contracts import FraudAssessment, StepInput
from icpa_shared.handler import step_handler


def handle(step: StepInput, deps: FraudDeps | None = None) -> FraudAssessment:
    if deps is None:
        from icpa_fraud.wiring import default_deps

        deps = default_deps()
    return assess_claim(step, deps)


@step_handler(service=SERVICE, version=__version__)
def handler(step: StepInput, context: Any) -> FraudAssessment:
    return handle(step)
