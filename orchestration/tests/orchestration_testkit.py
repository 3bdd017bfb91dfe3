"""Helpers for reading the SAM template as data (shared by the fixtures and the tests)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from icpa_orchestration import substitution_names

TEMPLATE_PATH = Path("orchestration/template.yaml")


def plain(node: Any) -> Any:
    """cfn-lint's dict_node/str_node as plain dicts, lists and strings."""
    return json.loads(json.dumps(node))


def expand_if(items: list[Any]) -> Iterator[Any]:
    """Items of a list, with each `Fn::If` replaced by both of its branches (minus NoValue):
    a test must hold whichever way the condition goes."""
    for item in items:
        if isinstance(item, dict) and set(item) == {"Fn::If"}:
            for branch in item["Fn::If"][1:]:
                if branch != {"Ref": "AWS::NoValue"}:
                    yield branch
        else:
            yield item


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def refers_to(value: Any, logical_id: str) -> bool:
    """True if `value` (a Resource entry, an env value...) references the logical id."""
    text = json.dumps(value)
    return (
        f'{{"Ref": "{logical_id}"}}' in text
        or f'["{logical_id}", ' in text  # Fn::GetAtt [Id, Attr]
        or f"${{{logical_id}}}" in text
        or f"${{{logical_id}." in text
    )


def dummy_lambda_arns() -> dict[str, str]:
    """Well-formed Lambda ARNs for every `${...}Arn` substitution in the ASL."""
    return {
        name: f"arn:aws:lambda:us-east-1:123456789012:function:icpa-{name.removesuffix('FunctionArn').lower()}-dev"
        for name in substitution_names()
    }


def with_placeholder(value: Any, ref: str, placeholder: str) -> Any:
    """The template's value with `{"Ref": ref}` replaced by `placeholder`, to compare a deployed
    rule with the rule file rendered with the same placeholder."""
    if value == {"Ref": ref}:
        return placeholder
    if isinstance(value, dict):
        return {k: with_placeholder(v, ref, placeholder) for k, v in value.items()}
    if isinstance(value, list):
        return [with_placeholder(v, ref, placeholder) for v in value]
    return value
