"""AwaitHumanReview (lambda:invoke.waitForTaskToken): open the review, notify reviewers.

The workflow keeps waiting after this returns; the reviewer's decision resumes it through
the API (api_handler). Parameters: {state, execution_id, task_token}.
"""

from __future__ import annotations

from typing import Any

from icpa_review_callback import __version__
from icpa_review_callback.domain.models import ReviewRequested
from icpa_review_callback.domain.requesting import request_review
from icpa_review_callback.settings import load_settings
from icpa_review_callback.wiring import SERVICE, ReviewDeps, default_deps
from icpa_shared.contracts import StepInput
from icpa_shared.handler import step_handler
from icpa_shared.observability.tracing import add_metric


def handle(step: StepInput, deps: ReviewDeps) -> ReviewRequested:
    result = request_review(step, deps.ports, now=deps.clock(), timeout=deps.review_timeout)
    add_metric(SERVICE, "ReviewRequested")
    return result


@step_handler(service=SERVICE, version=__version__, log_level=load_settings().log_level)
def handler(step: StepInput, context: Any) -> ReviewRequested:
    return handle(step, default_deps())
