"""The interpreter's own costs (sections 4 and 7 of icpa_local.moto_patches).

4. Speed: one boto3 client per (service, region, endpoint) for the interpreter's own calls
   instead of a new client per task (measured here: ~2x executions/s).
7. Speed: moto re-parses the ASL with ANTLR for every execution (the largest cost of a local
   claim). The parse tree is cached per definition; the preprocessor still builds fresh
   evaluation components for each execution, so no execution state is shared.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

from icpa_local.moto_patches.registry import Patch, moto_module

# --- 4. Client cache -------------------------------------------------------------------------------

_client_cache: dict[tuple[str, str, str | None], Any] = {}
_client_lock = threading.Lock()


def _cached_boto_client_for(original: Callable[..., Any]) -> Callable[..., Any]:
    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        from moto.core.models import botocore_stubber
        from moto.settings import moto_server_port

        endpoint = None if botocore_stubber.enabled else moto_server_port()
        key = (service, region, endpoint)
        with _client_lock:
            if key not in _client_cache:
                _client_cache[key] = original(region, service, state_credentials)
            return _client_cache[key]

    return boto_client_for


def _client_factory_patches() -> list[Patch]:
    """The factory, and every module that did `from ...boto_client import boto_client_for` (each
    keeps its own reference): those modules are loaded first, then all are rebound to one cache."""
    boto_client = moto_module("moto.stepfunctions.parser.asl.utils.boto_client")
    task_dir = "moto.stepfunctions.parser.asl.component.state.exec.state_task"
    for name in (
        "lambda_eval_utils",
        "service.state_task_service_aws_sdk",
        "service.state_task_service_dynamodb",
        "service.state_task_service_sns",
        "service.state_task_service_sqs",
    ):
        moto_module(f"{task_dir}.{name}")
    original = boto_client.boto_client_for
    cached = _cached_boto_client_for(original)
    users = [
        module
        for name, module in list(sys.modules.items())
        if name.startswith("moto.stepfunctions.parser") and getattr(module, "boto_client_for", None) is original
    ]
    return [Patch(module, "boto_client_for", cached) for module in users]


# --- 7. Parse cache --------------------------------------------------------------------------------

_parse_trees: dict[str, Any] = {}
_parse_lock = threading.Lock()


def _cached_evaluation_entrypoint(self: Any) -> Any:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    definition: str = self._evaluation_details.state_machine_details.definition
    with _parse_lock:
        tree = _parse_trees.get(definition)
    if tree is None:
        tree = AmazonStateLanguageParser.parse(definition)[1]  # raises on syntax errors, as before
        with _parse_lock:
            if len(_parse_trees) > 64:  # a handful of definitions per process; stay bounded
                _parse_trees.clear()
            _parse_trees[definition] = tree
    return Preprocessor().visit(tree)


def patches() -> list[Patch]:
    execution_worker = moto_module("moto.stepfunctions.parser.backend.execution_worker")
    return [
        *_client_factory_patches(),
        Patch(execution_worker.ExecutionWorker, "_get_evaluation_entrypoint", _cached_evaluation_entrypoint),
    ]
