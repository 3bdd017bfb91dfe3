"""Fixtures shared by the template/ASL tests. Tests run from the repository root (Pants and the
fast-iteration command both do), so the template is opened as `orchestration/template.yaml`.

The template uses CloudFormation short-form tags (!Ref, !Sub, !GetAtt); cfn-lint's own loader
turns them into their long forms ({"Ref": ...}, {"Fn::Sub": ...}, {"Fn::GetAtt": [...]}).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml
from orchestration_testkit import TEMPLATE_PATH, as_list, dummy_lambda_arns, expand_if, plain

from icpa_orchestration import definition_text, render_definition


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = plain(cfn_yaml.load(str(TEMPLATE_PATH)))
    return loaded


@pytest.fixture(scope="session")
def resources(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = template["Resources"]
    return found


@pytest.fixture(scope="session")
def of_type(resources: dict[str, dict[str, Any]]) -> Any:
    def select(resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in resources.items() if v["Type"] == resource_type}

    return select


@pytest.fixture(scope="session")
def functions(template: dict[str, Any], resources: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every AWS::Serverless::Function's properties with the SAM Globals merged in (function
    values win; Environment.Variables are merged key by key, as SAM does)."""
    defaults = template.get("Globals", {}).get("Function", {})
    merged: dict[str, dict[str, Any]] = {}
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = {**defaults, **resource["Properties"]}
        variables = {
            **defaults.get("Environment", {}).get("Variables", {}),
            **resource["Properties"].get("Environment", {}).get("Variables", {}),
        }
        props["Environment"] = {"Variables": variables}
        merged[logical_id] = props
    return merged


@pytest.fixture(scope="session")
def role_statements(resources: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Identity-policy statements of every AWS::IAM::Role (inline policies) and
    AWS::IAM::Policy, by logical id, with Fn::If statements expanded."""
    out: dict[str, list[dict[str, Any]]] = {}
    for logical_id, resource in resources.items():
        props = resource.get("Properties", {})
        documents: list[dict[str, Any]] = []
        if resource["Type"] == "AWS::IAM::Role":
            documents = [p["PolicyDocument"] for p in props.get("Policies", [])]
        elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents = [props["PolicyDocument"]]
        else:
            continue
        out[logical_id] = [s for d in documents for s in expand_if(as_list(d["Statement"]))]
    return out


@pytest.fixture(scope="session")
def asl() -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(definition_text())
    return parsed


@pytest.fixture(scope="session")
def rendered_definition() -> str:
    return render_definition(dummy_lambda_arns())
