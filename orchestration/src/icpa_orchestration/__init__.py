"""The workflow's definitions, loaded the same way by the deployment tests and the local cloud.

- `statemachine/claims_workflow.asl.json`: the state machine (ASL), with `${...}` substitutions
  that the SAM template's DefinitionSubstitutions (or the local cloud) fill in.
- `events/claims_inbox_rule.json`: the EventBridge rule (event pattern + input transformer)
  that starts an execution when a claim lands in the inbox bucket under `claims/`.
- `events/archive_executions_rule.json`: the rule that sends every finished execution's
  status change to the audit archiver.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any, Final

ASL_RESOURCE: Final = "statemachine/claims_workflow.asl.json"
RULE_RESOURCE: Final = "events/claims_inbox_rule.json"
ARCHIVE_RULE_RESOURCE: Final = "events/archive_executions_rule.json"
_SUBSTITUTION: Final = re.compile(r"\$\{([A-Za-z0-9]+)\}")


def _read(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def definition_text() -> str:
    """The ASL exactly as committed (with its `${...}` placeholders)."""
    return _read(ASL_RESOURCE)


def substitution_names(text: str | None = None) -> set[str]:
    return set(_SUBSTITUTION.findall(definition_text() if text is None else text))


def substitute(text: str, values: Mapping[str, str]) -> str:
    missing = substitution_names(text) - set(values)
    if missing:
        raise KeyError(f"no value for substitutions: {sorted(missing)}")
    return _SUBSTITUTION.sub(lambda m: values[m.group(1)], text)


def render_definition(values: Mapping[str, str]) -> str:
    """The ASL with every `${Name}` replaced, as Step Functions receives it."""
    rendered = substitute(definition_text(), values)
    json.loads(rendered)  # fail here, not in the service, if a value broke the JSON
    return rendered


def _rule(resource: str, values: Mapping[str, str]) -> dict[str, Any]:
    rule: dict[str, Any] = json.loads(substitute(_read(resource), values))
    return rule


def inbox_rule(values: Mapping[str, str]) -> dict[str, Any]:
    """The rule (Description, EventPattern, InputTransformer) with its substitutions filled."""
    return _rule(RULE_RESOURCE, values)


def archive_rule(values: Mapping[str, str]) -> dict[str, Any]:
    """The archiver's rule (Description, EventPattern) with the state machine ARN filled."""
    return _rule(ARCHIVE_RULE_RESOURCE, values)


def _json_path(event: Any, path: str) -> Any:
    """The subset of JSONPath EventBridge input paths use here: `$.a.b-c.d`."""
    if path == "$":
        return event
    node = event
    for part in path.removeprefix("$.").split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def apply_input_transformer(transformer: Mapping[str, Any], event: Mapping[str, Any]) -> Any:
    """EventBridge's InputTransformer: a placeholder inside a JSON string is replaced by the raw
    text of its value; a bare placeholder by the value's JSON (missing paths give null)."""
    values = {name: _json_path(event, path) for name, path in transformer["InputPathsMap"].items()}
    template: str = transformer["InputTemplate"]
    out: list[str] = []
    i, in_string = 0, False
    while i < len(template):
        ch = template[i]
        if ch == "<":
            end = template.find(">", i)
            name = template[i + 1 : end] if end > i else ""
            if name in values:
                value = values[name]
                if in_string:
                    out.append(json.dumps("" if value is None else str(value))[1:-1])
                else:
                    out.append(json.dumps(value))
                i = end + 1
                continue
        if ch == "\\" and in_string:
            out.append(template[i : i + 2])
            i += 2
            continue
        if ch == '"':
            in_string = not in_string
        out.append(ch)
        i += 1
    return json.loads("".join(out))
