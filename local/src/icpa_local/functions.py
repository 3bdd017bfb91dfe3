"""The Lambda functions of the template, by logical id, and the handler each one runs.

The functions are the template's `AWS::Serverless::Function`s (orchestration/template.yaml,
read on first use); each runs the handler of the `python_awslambda` target its `CodeUri` zip
is built from."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from pathlib import PurePosixPath
from typing import Any, Final

from icpa_local.resources import resources_of_type

# Pants address of each `python_awslambda` target -> its `handler=` (a test keeps these equal
# to the BUILD files, which do not reach the PEX).
LAMBDA_HANDLERS: Final[dict[str, str]] = {
    "services/intake/src/icpa_intake:intake-lambda": "icpa_intake.handlers.intake:handler",
    "services/intake/src/icpa_intake:quarantine-lambda": "icpa_intake.handlers.quarantine:handler",
    "services/fraud/src/icpa_fraud:fraud-lambda": "icpa_fraud.handler:handler",
    "services/adjudication/src/icpa_adjudication:adjudication-lambda": "icpa_adjudication.handler:handler",
    "services/router/src/icpa_router:router-lambda": "icpa_router.handlers.route:handler",
    "services/router/src/icpa_router:record-decision-lambda": "icpa_router.handlers.record:handler",
    "services/review-callback/src/icpa_review_callback:review-request-lambda": (
        "icpa_review_callback.handlers.request:handler"
    ),
    "services/review-callback/src/icpa_review_callback:escalation-lambda": (
        "icpa_review_callback.handlers.escalation:handler"
    ),
    "services/review-callback/src/icpa_review_callback:review-api-lambda": "icpa_review_callback.handlers.api:handler",
    "services/audit/src/icpa_audit:archiver-lambda": "icpa_audit.handler:handler",
}


def lambda_address(code_uri: str) -> str:
    """`../dist/services.intake.src.icpa_intake/intake-lambda.zip` (Pants' output path) ->
    `services/intake/src/icpa_intake:intake-lambda` (the target that builds it)."""
    path = PurePosixPath(code_uri)
    return f"{path.parent.name.replace('.', '/')}:{path.stem}"


class _Functions(Mapping[str, str]):
    """Logical id -> "module:attr", in template order; the template is read on first access, so
    importing this module costs nothing at the CLI's cold start."""

    def __init__(self) -> None:
        self._functions: dict[str, str] | None = None

    def _load(self) -> dict[str, str]:
        if self._functions is None:
            self._functions = {
                logical_id: LAMBDA_HANDLERS[lambda_address(function["Properties"]["CodeUri"])]
                for logical_id, function in resources_of_type("AWS::Serverless::Function").items()
            }
        return self._functions

    def __getitem__(self, logical_id: str) -> str:
        return self._load()[logical_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


# Logical id (as in orchestration/template.yaml and the ASL substitutions) -> "module:attr".
FUNCTIONS: Final[Mapping[str, str]] = _Functions()


def load_handler(logical_id: str) -> Any:
    module_name, _, attr = FUNCTIONS[logical_id].partition(":")
    return getattr(importlib.import_module(module_name), attr)
