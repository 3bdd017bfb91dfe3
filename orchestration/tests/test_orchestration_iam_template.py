"""The template resolver behind the IAM fidelity check (icpa_orchestration.iam.template) on the
real template: the ARN shapes its roles grant on, and the local names the check maps."""

from __future__ import annotations

from typing import Any

from icpa_orchestration.iam.authorizations import Authorizations
from icpa_orchestration.iam.template import TemplateModel

ACCOUNT_REGION = "us-east-1:123456789012"


def test_refs_getatts_and_subs_resolve_to_cloudformation_shapes(template: dict[str, Any]) -> None:
    model = TemplateModel(template)
    table = {"Fn::GetAtt": ["ClaimsTable", "Arn"]}
    assert model.resolve(table) == f"arn:aws:dynamodb:{ACCOUNT_REGION}:table/icpa-claims-dev"
    assert model.resolve({"Fn::Sub": "${InboxBucket.Arn}/claims/*"}) == (
        "arn:aws:s3:::icpa-inbox-dev-123456789012-us-east-1/claims/*"
    )
    assert model.resolve({"Ref": "ReviewersTopic"}) == f"arn:aws:sns:{ACCOUNT_REGION}:icpa-reviewers-dev"
    assert model.resolve({"Fn::GetAtt": ["IntakeLogGroup", "Arn"]}) == (
        f"arn:aws:logs:{ACCOUNT_REGION}:log-group:/aws/lambda/icpa-intake-dev:*"
    )
    machine = f"arn:aws:states:{ACCOUNT_REGION}:stateMachine:icpa-claims-workflow-dev"
    assert model.resolve({"Ref": "ClaimsStateMachine"}) == machine
    assert model.kms_key_of("AuditTable") == f"arn:aws:kms:{ACCOUNT_REGION}:key/DataKey"


def test_conditions_follow_the_parameters(template: dict[str, Any]) -> None:
    def fraud_actions(model: TemplateModel) -> set[str]:
        actions: set[str] = set()
        for statement in model.role_statements("FraudFunctionRole"):
            got = statement["Action"]
            actions.update(got if isinstance(got, list) else [got])
        return actions

    assert "bedrock:InvokeAgent" not in fraud_actions(TemplateModel(template))  # default: no agent
    with_agent = TemplateModel(template, {"BedrockAgentId": "AGENT00001", "BedrockAgentAliasId": "ALIAS00001"})
    assert "bedrock:InvokeAgent" in fraud_actions(with_agent)


def test_local_names_map_to_the_templates_resources_and_principals_to_roles(template: dict[str, Any]) -> None:
    model = TemplateModel(template)
    auth = Authorizations(model)
    assert auth.logical("icpa-claims", "table") == "ClaimsTable"
    assert auth.logical("icpa-quarantine", "bucket") == "QuarantineBucket"  # not QuarantineFunction
    assert auth.logical("icpa-reviewers", "topic") == "ReviewersTopic"
    assert auth.logical("RouterFunction", "function") == "RouterFunction"
    assert model.role_of("RouterFunction") == "RouterFunctionRole"
    assert model.role_of("ClaimsStateMachine") == "StateMachineRole"
    assert model.rule_target_role("ClaimsInboxRule") == "ClaimsInboxRuleRole"


def test_a_read_on_an_encrypted_table_needs_the_key(template: dict[str, Any]) -> None:
    auth = Authorizations(TemplateModel(template))
    needs = auth.needs("dynamodb", "Query", {"TableName": "icpa-claims", "IndexName": "member-date-index"})
    assert [(n.request.action, n.request.resource, n.implicit) for n in needs] == [
        ("dynamodb:Query", f"arn:aws:dynamodb:{ACCOUNT_REGION}:table/icpa-claims-dev/index/member-date-index", False),
        ("kms:Decrypt", f"arn:aws:kms:{ACCOUNT_REGION}:key/DataKey", True),
    ]
    assert needs[1].request.context["kms:ViaService"] == "dynamodb.us-east-1.amazonaws.com"
