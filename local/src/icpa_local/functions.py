"""The Lambda functions of the template, by logical id, and the handler each one runs."""

from __future__ import annotations

import importlib
from typing import Any, Final

# Logical id (as in orchestration/template.yaml and the ASL substitutions) -> "module:attr".
FUNCTIONS: Final[dict[str, str]] = {
    "IntakeFunction": "icpa_intake.handlers.intake:handler",
    "QuarantineFunction": "icpa_intake.handlers.quarantine:handler",
    "FraudFunction": "icpa_fraud.handler:handler",
    "AdjudicationFunction": "icpa_adjudication.handler:handler",
    "RouterFunction": "icpa_router.handlers.route:handler",
    "RecordDecisionFunction": "icpa_router.handlers.record:handler",
    "ReviewRequestFunction": "icpa_review_callback.handlers.request:handler",
    "EscalationFunction": "icpa_review_callback.handlers.escalation:handler",
    "ReviewApiFunction": "icpa_review_callback.handlers.api:handler",
    "ArchiverFunction": "icpa_audit.handler:handler",
}


def load_handler(logical_id: str) -> Any:
    module_name, _, attr = FUNCTIONS[logical_id].partition(":")
    return getattr(importlib.import_module(module_name), attr)
