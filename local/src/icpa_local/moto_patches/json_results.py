"""JSON-protocol responses without the generic serializer's per-member picking (section 9 of
icpa_local.moto_patches).

moto serializes every response by walking the botocore output shape member by member, and for
each member builds an attribute-picker context and tries its aliases. A history event's shape
has ~60 optional members, so one GetExecutionHistory call cost ~20 ms, for 0.24 ms in the backend
(measured here, 2026-12-01); a DynamoDB GetItem/Query/PutItem answer ~0.7 ms of ~1.3 ms per call
(cProfile, same day), more than the table work itself, and a claim makes ~20 DynamoDB calls.

This patch answers every JSON-protocol (awsJson: DynamoDB, Step Functions) result with the same
JSON, built by a walk that visits the same shapes in the same order but resolves each structure
member's candidate keys once per shape (they depend on the shape only, for the dict values the
backends return) instead of once per member per call. Types are converted as moto's JSON
serializer does (timestamps with moto's own converter; enums to their value; integers, floats,
blobs). Anything else falls back to moto's serializer: a result that is not a dict (errors,
model objects), a response class with transformers, another protocol (rest-json, query, XML).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
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


_ISO_TIMESTAMP: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?")


def iso_datetime(value: Any) -> Any:
    """An ISO 8601 timestamp string as the aware datetime botocore's parser (dateutil, ~60 us)
    makes of it, by `datetime.fromisoformat` (~1 us): the interpreter's history keeps its event
    times as such strings. A naive time is UTC, as botocore reads it. Anything else is left to
    moto's converter."""
    if isinstance(value, str) and _ISO_TIMESTAMP.fullmatch(value):
        parsed = datetime.fromisoformat(value)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return value


class JsonWalk:
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
            return self.serializer._timestamp_serializer._convert_timestamp_to_str(iso_datetime(value), fmt)
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
            raise WalkFallback
        plan = _structure_plan(self.serializer, shape)
        if plan is None:
            raise WalkFallback
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


class WalkFallback(Exception):
    """The fast walk does not cover this value: moto's serializer answers."""


def fast_json_response(result: Any, context: Any) -> Any:
    """(status, headers, body) as moto's JSON serializer would answer `result`, or None when the
    walk does not cover it (then moto's serializer answers)."""
    serialize = moto_module("moto.core.serialize")
    settings = moto_module("moto.settings")
    if getattr(context.response, "RESPONSE_KEY_PATH_TO_TRANSFORMER", None) or not isinstance(result, dict):
        return None
    if context.serializer_class is not serialize.JSONSerializer:
        return None
    operation = context.operation_model
    shape = operation.output_shape
    if shape is None or operation.has_event_stream_output:
        return None
    serializer = context.serializer_class(operation_model=operation, pretty_print=settings.PRETTIFY_RESPONSES)
    try:
        body = JsonWalk(serializer).structure(result, shape)
    except WalkFallback:
        return None
    resp = serializer._create_default_response()
    serialized = serializer._serialized_result_to_response(resp, result, shape, body)
    return serialized["status_code"], serialized["headers"], serialized["body"]


def _wrap_execute_result(original: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def execute_result(self: Any, context: Any) -> Any:
        answer = fast_json_response(self.result, context)
        return original(self, context) if answer is None else answer

    execute_result.__wrapped__ = original  # type: ignore[attr-defined]
    return execute_result


def patches() -> list[Patch]:
    responses = moto_module("moto.core.responses")
    return [Patch.around(responses.ActionResult, "execute_result", _wrap_execute_result)]
