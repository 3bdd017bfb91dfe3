"""The interpreter's own costs (sections 4, 7 and 10 of icpa_local.moto_patches).

4. Speed: one boto3 client per (service, region, endpoint) for the interpreter's own calls
   instead of a new client per task (measured here: ~2x executions/s).
   The local cloud's own clients (`plumbing_client`) likewise, once per (service, region).
7. Speed: moto parses and preprocesses the ASL for every execution (the largest cost of a local
   claim). The program is cached per definition when no component holds per-run state.
10. Speed: JSONPath strings parsed once per process.
"""

from __future__ import annotations

import functools
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


# --- 7. Program cache -------------------------------------------------------------------------------

_programs: dict[str, Any] = {}
_program_lock = threading.RLock()
# States whose evaluation builds per-run workers on the component (Map's iteration, Parallel's
# branches): a definition holding one gets a fresh program per execution, as moto builds it.
_PER_RUN_STATES = ("StateMap", "StateParallel")


def _components(root: Any) -> list[Any]:
    """Every evaluation component reachable from the program (its attributes, lists, dicts)."""
    from moto.stepfunctions.parser.asl.component.component import Component

    seen: set[int] = set()
    out: list[Any] = []
    stack = [root]
    while stack:
        value = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, Component):
            out.append(value)
            stack.extend(vars(value).values())
        elif isinstance(value, list | tuple | set | frozenset):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
    return out


def _shareable(program: Any) -> bool:
    """True when the program can serve every execution of its definition: no per-run state.
    Each component's `heap_key` (where its retry counters live in the execution's own heap) is
    drawn lazily from a uid: it is drawn here, once, so concurrent executions agree on it."""
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent

    components = _components(program)
    if any(type(c).__name__ in _PER_RUN_STATES for c in components):
        return False
    for component in components:
        if isinstance(component, EvalComponent):
            _ = component.heap_key
    return True


def _cached_evaluation_entrypoint(self: Any) -> Any:
    """moto parses the definition with ANTLR and preprocesses it into a program for every
    execution. The program's components keep no execution state (it lives in the execution's
    Environment), so one program per definition serves them all."""
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    definition: str = self._evaluation_details.state_machine_details.definition
    with _program_lock:  # held while building: executions started together parse once
        program = _programs.get(definition)
        if program is None:
            program = AmazonStateLanguageParser.parse(definition)[0]  # raises on syntax errors, as before
            if _shareable(program):
                if len(_programs) > 64:  # a handful of definitions per process; stay bounded
                    _programs.clear()
                _programs[definition] = program
    return program


# --- 10. JSONPath memo ------------------------------------------------------------------------------


def _memoized(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """jsonpath_ng's parse builds a new parser per call (0.35 ms; memoized 0.005 ms, measured
    here). Parsed paths are immutable trees (find/update take the data as arguments)."""
    cached = functools.lru_cache(maxsize=1024)(parse)

    def parse_path(path: str) -> Any:
        return cached(path) if isinstance(path, str) else parse(path)

    parse_path.__wrapped__ = parse  # type: ignore[attr-defined]
    return parse_path


def _jsonpath_patches() -> list[Patch]:
    json_path = moto_module("moto.stepfunctions.parser.asl.utils.json_path")
    result_path = moto_module("moto.stepfunctions.parser.asl.component.common.path.result_path")
    return [Patch.around(json_path, "parse", _memoized), Patch.around(result_path, "parse", _memoized)]


# --- 4b. The plumbing's own clients ------------------------------------------------------------------

_plumbing: dict[tuple[str, str, bool], Any] = {}


def plumbing_client(service: str, region: str) -> Any:
    """One boto3 client per (service, region) for the local cloud's own calls (a rule's target
    starting an execution, the status-change event): building one costs ~2 ms, twice per
    execution. Keyed on whether moto intercepts in-process (a client is bound to its endpoint)."""
    import boto3
    from moto.core.models import botocore_stubber

    key = (service, region, bool(botocore_stubber.enabled))
    with _client_lock:
        client = _plumbing.get(key)
        if client is None:
            client = _plumbing[key] = boto3.client(service, region_name=region)  # type: ignore[call-overload]
        return client


def patches() -> list[Patch]:
    execution_worker = moto_module("moto.stepfunctions.parser.backend.execution_worker")
    return [
        *_client_factory_patches(),
        Patch(execution_worker.ExecutionWorker, "_get_evaluation_entrypoint", _cached_evaluation_entrypoint),
        *_jsonpath_patches(),
    ]
