"""9. GetExecutionHistory without the generic serializer (section 9 of icpa_local.moto_patches).

moto serializes every response by walking the botocore output shape member by member, and for
each member builds an attribute-picker context and tries its aliases. A history event's shape
has ~60 optional members, so one GetExecutionHistory call cost ~20 ms, for 0.24 ms in the backend
(measured here, 2026-12-01), and a claim reads its history at least twice.

This patch answers GetExecutionHistory with the same JSON, built by a walk that visits the same
shapes in the same order but resolves each structure member's candidate keys once per shape
(they depend on the shape only, for the dict values the interpreter's history holds) instead of
once per event. Types are converted as moto's JSON serializer does (timestamps with moto's own
converter; enums to their value; integers, floats, blobs). A result that is not a dict, or a
response class with transformers, falls back to moto's serializer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from enum import Enum
from typing import Any, Final

from icpa_local.moto_patches.registry import Patch, moto_module

_UNSET: Final = object()

# (service, shape name) -> [(member key, member shape, keys to try, serialized name)]
_Plan = list[tuple[str, Any, tuple[str, ...], str]]
_plans: dict[tuple[str, str], _Plan] = {}
_plans_lock = threading.Lock()


def _structure_plan(serializer: Any, shape: Any) -> _Plan | None:
    key = (str(serializer.service_model.service_name), str(shape.name))
    plan = _plans.get(key)
    if plan is not None:
        return plan
    serialize = moto_module("moto.core.serialize")
    picker = serialize.XFormedAttributePicker()
    built: _Plan = []
    for member_key, member_shape in shape.members.items():
        member_shape.parent = shape  # as moto's structure walk sets it (the aliases read it)
        context = serialize.AttributePickerContext(
            obj={}, key=member_key, shape=member_shape, operation_model=serializer.operation_model
        )
        keys = tuple(dict.fromkeys(picker.get_possible_keys(context)))
        if any("." in k for k in keys):
            return None  # a dotted alias walks nested objects: leave it to moto
        built.append((member_key, member_shape, keys, serializer.get_serialized_name(member_shape, member_key)))
    with _plans_lock:
        _plans[key] = built
    return built


class _Walk:
    def __init__(self, serializer: Any) -> None:
        self.serializer = serializer

    def value(self, value: Any, shape: Any) -> Any:
        """The serialized value, or _UNSET when moto would set nothing."""
        kind = shape.type_name
        if kind == "structure":
            if value is None:
                return _UNSET
            if shape.is_document_type:
                return value
            return self.structure(value, shape)
        if kind == "list":
            out = []
            for item in value:
                serialized = self.value(item, shape.member)
                out.append(item if serialized is _UNSET else serialized)
            return out
        if kind == "map":
            return {
                self.serializer.get_serialized_name(shape.value, k): s
                for k, v in value.items()
                if (s := self.value(v, shape.value)) is not _UNSET
            }
        if kind == "timestamp":
            fmt = shape.serialization.get("timestampFormat", self.serializer.DEFAULT_TIMESTAMP_FORMAT)
            return self.serializer._timestamp_serializer._convert_timestamp_to_str(value, fmt)
        if kind == "string":
            if isinstance(value, Enum):
                value = value.value
            return str(value) if value not in [None, {}, []] else value
        if kind in ("integer", "long"):
            return int(value)
        if kind in ("float", "double"):
            return float(value)
        if kind == "blob":
            return self.serializer._base64(value)
        return value

    def structure(self, value: Any, shape: Any) -> Any:
        if not isinstance(value, dict):
            raise _Fallback
        plan = _structure_plan(self.serializer, shape)
        if plan is None:
            raise _Fallback
        out: dict[str, Any] = {}
        for _member_key, member_shape, keys, name in plan:
            member = None
            for k in keys:
                if k in value:
                    member = value[k]
                    break
            if member is None:
                continue
            serialized = self.value(member, member_shape)
            if serialized is not _UNSET:
                out[name] = serialized
        return out


class _Fallback(Exception):
    """The fast walk does not cover this value: moto's serializer answers."""


def _fast_result_class() -> type:
    responses = moto_module("moto.core.responses")
    serialize = moto_module("moto.core.serialize")
    settings = moto_module("moto.settings")

    class HistoryResult(responses.ActionResult):  # type: ignore[misc, name-defined]
        def execute_result(self, context: Any) -> Any:
            if getattr(context.response, "RESPONSE_KEY_PATH_TO_TRANSFORMER", None):
                return super().execute_result(context)
            serializer = context.serializer_class(
                operation_model=context.operation_model, pretty_print=settings.PRETTIFY_RESPONSES
            )
            shape = context.operation_model.output_shape
            if shape is None or type(serializer) is not serialize.JSONSerializer:  # Step Functions' protocol
                return super().execute_result(context)
            try:
                body = _Walk(serializer).structure(self.result, shape)
            except _Fallback:
                return super().execute_result(context)
            resp = serializer._create_default_response()
            serialized = serializer._serialized_result_to_response(resp, self.result, shape, body)
            return serialized["status_code"], serialized["headers"], serialized["body"]

    return HistoryResult


def _wrap_get_execution_history(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    result_class = _fast_result_class()

    def get_execution_history(self: Any) -> Any:
        answer = original(self)
        return result_class(answer.result)

    get_execution_history.__wrapped__ = original  # type: ignore[attr-defined]
    return get_execution_history


def patches() -> list[Patch]:
    responses = moto_module("moto.stepfunctions.responses")
    return [Patch.around(responses.StepFunctionResponse, "get_execution_history", _wrap_get_execution_history)]
