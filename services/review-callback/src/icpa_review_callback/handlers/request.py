"""AwaitHumanReview (lambda:invoke.waitForTaskToken): open the review, notify reviewers.

The workflow keeps waiting after this returns; the reviewer's decision resumes it through
the API (handlers/api.py). Parameters: {state, execution_id, task_token}.
"""

from __future__ import annotations

from typing import Any

from icpa_review_callback import SERVICE, __version__
from icpa_review_callback.domain.models import ReviewRequested
from icpa_review_callback.settings import get_settings
from icpa_review_callback.usecases.request import request_review
from icpa_review_callback.wiring import ReviewDeps, default_deps
from icpa_shared.contracts import StepInput
from icpa_shared.handler import step_handler
from icpa_shared.observability.tracing import add_metric


def handle(step: StepInput, deps: ReviewDeps | None = None) -> ReviewRequested:
    deps = deps or default_deps()
    result = request_review(step, deps.ports, now=deps.clock(), timeout=deps.review_timeout)
    add_metric(SERVICE, "ReviewRequested")
    return result


@step_handler(service=SERVICE, version=__version__, log_level=get_settings().log_level)
def handler(step: StepInput, context: Any) -> ReviewRequested:
    return handle(step)
