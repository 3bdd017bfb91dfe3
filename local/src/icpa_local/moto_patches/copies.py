"""The state process's per-request and per-state copies (sections 14, 15, 16 and 20 of
icpa_local.moto_patches).

With the handlers in worker processes, the one process left holding moto's backends and the
interpreter bounds throughput. A py-spy profile of that process (GIL samples, 300-claim run of
benchmarks/local_cloud_throughput.py) showed three costs that buy nothing:

14. JSON copies: the ASL interpreter `copy.deepcopy`s the state's JSON data all the time (every
    `States.get_input`, `reset`, `set_result`, a JSONPath sample pushed on the stack, the result
    merged by ResultPath, a task's parameters, a timed task's frame, the history handed to
    GetExecutionHistory): ~6-8% of the process. deepcopy pays for generality (a dispatch per
    value, the memo, the keep-alive list); the interpreter's values are JSON. In the modules
    below, `copy.deepcopy` is `json_copy`: dicts and lists copied, the immutable leaves shared
    (JSON scalars, and the history's UTC datetimes and enum members, which deepcopy returns as
    they are), moto's ProgramState objects rebuilt as deepcopy's default protocol rebuilds them.
    Anything else falls back to `copy.deepcopy` as a whole, so it is copied as before: another
    object, a tuple, a subclass of dict or list, a non-string key, a container met twice (a
    shared sub-structure or a cycle, which deepcopy keeps shared), or nesting deeper than
    `MAX_DEPTH`. Measured by benchmarks/moto_copies.py on what real claims copy: ~3x faster.
15. Request ids: moto draws its 52-character request id with one `random.choice` per character.
    Here one `choices(pool, k=52)` on moto's own `mock_random` draws them: same alphabet and
    length, and seeding moto's random still makes them deterministic (the ids differ from moto's
    for the same seed: `choices` reads the generator differently).
16. The custom S3 endpoints: for every request moto's stubber reads MOTO_S3_CUSTOM_ENDPOINTS
    with `os.environ.get`, whose miss raises and catches a KeyError inside `Mapping.get`. Here the
    variable is looked up directly in os.environ's own dict (the one `os.environ.get` reads, so
    a change made through os.environ is seen by the next request, as in moto) and its split is
    remembered per value.
20. The request id in an XML answer: moto's `_enrich_response` runs
    `re.sub(r"(?<=<RequestId>).*(?=</RequestId>)", ...)` over every answer's body, JSON ones
    and 30 KB execution histories included (~2% of the state process). The pattern needs the
    text `<RequestId>` right before a match, so a body without it is returned as it is, after
    the same status cast and request id header; any other body (one with the tag, or not a
    str) is moto's.
"""

from __future__ import annotations

import copy
import copyreg
import datetime
import enum
import os
import string
import sys
from collections.abc import Callable
from typing import Any, Final

from icpa_local.moto_patches.registry import Patch, moto_module

# --- 14. JSON copies -------------------------------------------------------------------------------

MAX_DEPTH: Final = 100
"""Nesting levels copied here; a deeper value goes to deepcopy (which recurses as it always did)."""

_SCALARS: Final = frozenset({str, int, float, bool, type(None)})
"""Immutable, and deepcopy returns them as they are: shared, as deepcopy shares them."""


class NotJson(Exception):
    """The value holds something `plain_copy` does not copy: json_copy leaves it all to deepcopy."""


PLAIN_CLASSES: frozenset[type] = frozenset()
"""Classes whose instances json_copy copies as deepcopy does (a new instance of the class, its
`__dict__` copied): set by the patch to moto's ProgramState classes (`plain_instances`)."""


def plain_instances(classes: list[type]) -> frozenset[type]:
    """Those of `classes` that deepcopy copies by the default protocol: a new instance from
    `cls.__new__(cls)` (object's) whose `__dict__` is updated with a deep copy of the original's. A class
    with its own copy, pickling or state hooks, or with slots (empty ones aside), is left to
    deepcopy."""
    plain: set[type] = set()
    for cls in classes:
        if (
            cls.__new__ is object.__new__
            and cls.__reduce_ex__ is object.__reduce_ex__  # type: ignore[comparison-overlap]
            and cls.__reduce__ is object.__reduce__  # type: ignore[comparison-overlap]
            and cls.__getstate__ is object.__getstate__  # type: ignore[comparison-overlap]
            and not hasattr(cls, "__setstate__")
            and not hasattr(cls, "__deepcopy__")
            and not any(vars(k).get("__slots__") for k in cls.__mro__)  # (abc.ABC's are empty)
            and cls not in copyreg.dispatch_table
        ):
            plain.add(cls)
    return frozenset(plain)


def _shared(value: Any, kind: type) -> bool:
    """An immutable leaf that deepcopy returns as it is or that nothing can change: a datetime (the
    history's timestamps) with no tzinfo or the standard library's own timezone, an enum member
    (the history's event types) whose class keeps Enum's `__deepcopy__` (it returns the member)."""
    if kind is datetime.datetime:
        return value.tzinfo is None or type(value.tzinfo) is datetime.timezone
    return isinstance(value, enum.Enum) and kind.__deepcopy__ is enum.Enum.__deepcopy__  # type: ignore[attr-defined]


def _copy(value: Any, depth: int, seen: set[int]) -> Any:
    """The copy of a dict or list (a shallow copy, its containers replaced by their copies), of a
    plain instance, or a shared leaf itself. Scalars never get here (the callers share them)."""
    kind = type(value)
    if kind is dict or kind is list:
        ident = id(value)
        if depth >= MAX_DEPTH or ident in seen:
            raise NotJson
        seen.add(ident)
        out = value.copy()
        depth += 1
        if kind is dict:
            for key, item in value.items():
                if type(key) is not str:  # noqa: E721 -- exactly str: a subclass falls back
                    raise NotJson
                if type(item) not in _SCALARS:
                    out[key] = _copy(item, depth, seen)
        else:
            for index, item in enumerate(value):
                if type(item) not in _SCALARS:
                    out[index] = _copy(item, depth, seen)
        return out
    if _shared(value, kind):
        return value
    if kind in PLAIN_CLASSES:
        ident = id(value)
        if depth >= MAX_DEPTH or ident in seen:
            raise NotJson
        seen.add(ident)
        instance = object.__new__(kind)
        state = vars(value)
        if state:
            instance.__dict__.update(_copy(state, depth + 1, seen))
        return instance
    raise NotJson


def plain_copy(value: Any) -> Any:
    """What `copy.deepcopy(value)` makes of JSON data (and of shared leaves and PLAIN_CLASSES
    instances), without deepcopy's per-value machinery: the copy shares no container with the
    original. Raises NotJson for anything else."""
    if type(value) in _SCALARS:
        return value
    return _copy(value, 0, set())


def json_copy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """`copy.deepcopy` as the patched modules call it: `plain_copy`, or deepcopy's own copy of
    what is not plain (or when given a memo)."""
    if memo is not None:
        return copy.deepcopy(value, memo)
    try:
        return plain_copy(value)
    except NotJson:
        return copy.deepcopy(value)


class _CopyModule:
    """What a patched module sees as `copy`: the copy module, with `deepcopy` being json_copy."""

    deepcopy = staticmethod(json_copy)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    def __repr__(self) -> str:
        return "<copy module, deepcopy = icpa_local.moto_patches.copies.json_copy>"


COPY_MODULE: Final = _CopyModule()

_PARSER: Final = "moto.stepfunctions.parser.asl"
JSON_COPY_MODULES: Final = (
    f"{_PARSER}.eval.states",  # get_input/get_context/get_result (_extract), reset, set_result, ...
    f"{_PARSER}.eval.environment",  # a frame's State context, program_state() (PLAIN_CLASSES)
    f"{_PARSER}.eval.event.event_manager",  # get_event_history, a log's details
    f"{_PARSER}.component.common.string.string_expression",  # a JSONPath sample pushed on the stack
    f"{_PARSER}.component.common.path.result_path",  # the result merged into the input
    f"{_PARSER}.component.state.exec.execute_state",  # a timed task's frame stack
    f"{_PARSER}.component.state.exec.state_task.service.state_task_service",  # a task's parameters
)
"""Every module whose `copy` is COPY_MODULE: each only ever calls `copy.deepcopy(value)`, on the
state's data (what each copies is in its comment)."""


PLAIN_CLASS_NAMES: Final = ("ProgramEnded", "ProgramError", "ProgramRunning", "ProgramStopped", "ProgramTimedOut")
"""moto's ProgramState classes (`Environment.program_state()` copies one for every state)."""


def _json_copy_patches() -> list[Patch]:
    program_state = moto_module(f"{_PARSER}.eval.program_state")
    classes = plain_instances([getattr(program_state, name) for name in PLAIN_CLASS_NAMES])
    return [
        Patch(sys.modules[__name__], "PLAIN_CLASSES", classes),
        *(Patch(moto_module(name), "copy", COPY_MODULE) for name in JSON_COPY_MODULES),
    ]


# --- 15. Request ids --------------------------------------------------------------------------------

REQUEST_ID_LENGTH: Final = 52
_REQUEST_ID_POOL: Final = string.ascii_letters + string.digits  # MotoRandom.get_random_string's


def gen_amzn_requestid_long(headerdict: dict[str, Any] | None = None) -> str:
    """moto 5.2.5's, with the id drawn by one `choices` call on moto's random."""
    from moto.moto_api._internal import mock_random

    req_id = "".join(mock_random.choices(_REQUEST_ID_POOL, k=REQUEST_ID_LENGTH))
    if headerdict is not None and isinstance(headerdict, dict):
        headerdict.update({"x-amzn-requestid": req_id})
    return req_id


def _request_id_patches() -> list[Patch]:
    """The function, and moto.core.responses' own reference (the only module that imports it)."""
    return [
        Patch(moto_module("moto.utilities.aws_headers"), "gen_amzn_requestid_long", gen_amzn_requestid_long),
        Patch(moto_module("moto.core.responses"), "gen_amzn_requestid_long", gen_amzn_requestid_long),
    ]


# --- 20. The request id in an XML answer -------------------------------------------------------------

_REQUEST_ID_TAG: Final = "<RequestId>"


def _enrich_without_scan(original: Any) -> Any:
    responses = moto_module("moto.core.responses")
    enrich = original.__func__  # the staticmethod as BaseResponse holds it

    def _enrich_response(headers: dict[str, str], body: Any) -> tuple[dict[str, str], Any]:
        if not isinstance(body, str) or _REQUEST_ID_TAG in body:
            return enrich(headers, body)  # type: ignore[no-any-return]
        # moto 5.2.5's, without the substitution that cannot match this body.
        if "status" in headers:
            headers["status"] = str(headers["status"])
        responses.gen_amzn_requestid_long(headers)
        return headers, body

    _enrich_response.__wrapped__ = enrich  # type: ignore[attr-defined]
    return staticmethod(_enrich_response)


def _enrich_patches() -> list[Patch]:
    base = moto_module("moto.core.responses").BaseResponse
    return [Patch(base, "_enrich_response", _enrich_without_scan(base.__dict__["_enrich_response"]))]


# --- 16. The custom S3 endpoints --------------------------------------------------------------------

S3_ENDPOINTS_VARIABLE: Final = "MOTO_S3_CUSTOM_ENDPOINTS"
_endpoints_split: dict[bytes, list[str]] = {}


def _s3_custom_endpoints(original: Callable[[], list[str]]) -> Callable[[], list[str]]:
    def get_s3_custom_endpoints() -> list[str]:
        environ = os.environ
        if type(environ) is not os._Environ:  # replaced by something else: ask it as moto does
            return original()
        raw = environ._data.get(environ.encodekey(S3_ENDPOINTS_VARIABLE))  # type: ignore[attr-defined]
        if not raw:
            return []
        endpoints = _endpoints_split.get(raw)
        if endpoints is None:
            if len(_endpoints_split) > 16:
                _endpoints_split.clear()
            endpoints = _endpoints_split[raw] = environ.decodevalue(raw).split(",")  # type: ignore[attr-defined]
        return list(endpoints)  # the caller's own list, as moto's split makes a new one

    get_s3_custom_endpoints.__wrapped__ = original  # type: ignore[attr-defined]
    return get_s3_custom_endpoints


def _s3_endpoint_patches() -> list[Patch]:
    """moto.core.utils' own reference (get_equivalent_url_in_aws_domain, every request); the
    setting itself, read at import and by S3's responses, is moto's."""
    return [Patch.around(moto_module("moto.core.utils"), "get_s3_custom_endpoints", _s3_custom_endpoints)]


def patches() -> list[Patch]:
    return [*_json_copy_patches(), *_request_id_patches(), *_s3_endpoint_patches(), *_enrich_patches()]
