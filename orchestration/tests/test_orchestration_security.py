"""Security invariants of the template: encryption everywhere, no public or plain-HTTP access,
least-privilege roles, an append-only audit table, an authenticated API, WORM archive."""

from __future__ import annotations

import json
from typing import Any

import pytest
from orchestration_testkit import as_list, expand_if, refers_to

KEY = {"Fn::GetAtt": ["DataKey", "Arn"]}
BUCKETS = {"InboxBucket", "DocumentsBucket", "QuarantineBucket", "ArchiveBucket"}
TABLES = {"ClaimsTable", "PoliciesTable", "ReviewsTable", "AuditTable"}
TOPICS = {"ReviewersTopic", "SupervisorsTopic", "OnCallTopic"}
WORKFLOW_FUNCTIONS = {
    "IntakeFunction",
    "FraudFunction",
    "AdjudicationFunction",
    "RouterFunction",
    "RecordDecisionFunction",
    "ReviewRequestFunction",
    "EscalationFunction",
    "QuarantineFunction",
    "InterchangeSplitterFunction",
}
# Actions AWS only authorizes on Resource "*" (no resource-level permissions). Anything else
# on "*" is a least-privilege failure.
WILDCARD_RESOURCE_ACTIONS = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    # Step Functions' vended-log delivery to CloudWatch Logs
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    # The task-token callback API: the token, not an ARN, names the task.
    "states:SendTaskSuccess",
    "states:SendTaskFailure",
    "states:SendTaskHeartbeat",
}
AUDIT_ALLOWED = {"dynamodb:PutItem", "dynamodb:Query"}  # the chain is read by Query only
SEVEN_YEARS_IN_DAYS = 2557


def allow_statements(role_statements: dict[str, list[dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    return [(role, s) for role, stmts in role_statements.items() for s in stmts if s["Effect"] == "Allow"]


# -- buckets -----------------------------------------------------------------------------------


def test_the_four_buckets_and_no_others(of_type: Any) -> None:
    assert set(of_type("AWS::S3::Bucket")) == BUCKETS


@pytest.mark.parametrize("bucket", sorted(BUCKETS))
def test_bucket_is_kms_encrypted_private_and_owner_enforced(resources: dict[str, Any], bucket: str) -> None:
    props = resources[bucket]["Properties"]
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]

    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY}
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert props["VersioningConfiguration"]["Status"] == "Enabled"
    assert resources[bucket]["DeletionPolicy"] == "Retain"


@pytest.mark.parametrize("bucket", sorted(BUCKETS))
def test_bucket_policy_denies_plain_http(of_type: Any, bucket: str) -> None:
    policies = [p for p in of_type("AWS::S3::BucketPolicy").values() if p["Properties"]["Bucket"] == {"Ref": bucket}]
    assert len(policies) == 1, f"{bucket} needs exactly one bucket policy"
    statements = as_list(policies[0]["Properties"]["PolicyDocument"]["Statement"])

    denies = [
        s
        for s in statements
        if s["Effect"] == "Deny"
        and s["Principal"] == "*"
        and s["Action"] == "s3:*"
        and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert denies, f"{bucket} does not deny aws:SecureTransport=false"
    resources = as_list(denies[0]["Resource"])
    assert {"Fn::GetAtt": [bucket, "Arn"]} in resources  # the bucket ...
    assert {"Fn::Sub": f"${{{bucket}.Arn}}/*"} in resources  # ... and every object
    assert not [s for s in statements if s["Effect"] == "Allow"], f"{bucket} policy grants access"


def test_archive_bucket_is_worm_for_seven_years(resources: dict[str, Any]) -> None:
    props = resources["ArchiveBucket"]["Properties"]
    retention = props["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]

    assert props["ObjectLockEnabled"] is True
    assert props["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"
    assert retention["Mode"] == "COMPLIANCE"
    assert retention.get("Years", 0) >= 7 or retention.get("Days", 0) >= SEVEN_YEARS_IN_DAYS
    assert resources["ArchiveBucket"]["UpdateReplacePolicy"] == "Retain"


def test_archive_moves_to_glacier_instant_retrieval_after_ninety_days(resources: dict[str, Any]) -> None:
    rules = resources["ArchiveBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    transitions = [t for r in rules if r["Status"] == "Enabled" for t in r.get("Transitions", [])]

    # Instant Retrieval: `icpa audit` must read any archive without a restore.
    assert {"StorageClass": "GLACIER_IR", "TransitionInDays": 90} in transitions
    assert not [r for r in rules if "ExpirationInDays" in r or "NoncurrentVersionExpiration" in r]


# -- tables, topics, queue, logs, key ------------------------------------------------------------


def test_the_five_tables_and_no_others(of_type: Any) -> None:
    assert set(of_type("AWS::DynamoDB::Table")) == TABLES


@pytest.mark.parametrize("table", sorted(TABLES))
def test_table_is_kms_encrypted_recoverable_and_protected_in_prod(resources: dict[str, Any], table: str) -> None:
    props = resources[table]["Properties"]

    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": KEY}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["DeletionProtectionEnabled"] == {"Fn::If": ["IsProd", True, False]}
    assert resources[table]["DeletionPolicy"] == "Retain"


def test_prod_condition_is_the_prod_environment(template: dict[str, Any]) -> None:
    assert template["Conditions"]["IsProd"] == {"Fn::Equals": [{"Ref": "Environment"}, "prod"]}
    assert template["Parameters"]["Environment"]["AllowedValues"] == ["dev", "staging", "prod"]


def test_topics_and_queues_are_kms_encrypted(of_type: Any) -> None:
    topics = of_type("AWS::SNS::Topic")
    assert set(topics) == TOPICS
    for name, topic in topics.items():
        assert topic["Properties"]["KmsMasterKeyId"] == KEY, name
    for name, queue in of_type("AWS::SQS::Queue").items():
        assert queue["Properties"]["KmsMasterKeyId"] == KEY, name


def test_every_log_group_is_kms_encrypted_with_retention(of_type: Any) -> None:
    groups = of_type("AWS::Logs::LogGroup")
    assert len(groups) == 13  # 11 functions, the state machine, the API's access log
    for name, group in groups.items():
        assert group["Properties"]["KmsKeyId"] == KEY, name
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name


def test_data_key_rotates_and_only_the_account_administers_it(resources: dict[str, Any]) -> None:
    key = resources["DataKey"]
    statements = key["Properties"]["KeyPolicy"]["Statement"]

    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"
    admins = [s for s in statements if "kms:*" in as_list(s["Action"])]
    account_root = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    assert [s["Principal"] for s in admins] == [{"AWS": account_root}]
    services = [svc for s in statements for svc in as_list(s["Principal"].get("Service", []))]
    assert "sns.amazonaws.com" in services
    assert {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"} in services
    # CloudWatch Logs may use the key for this account's log groups only.
    (logs,) = (s for s in statements if s["Principal"] == {"Service": {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}})
    assert "kms:EncryptionContext:aws:logs:arn" in logs["Condition"]["ArnLike"]


# -- functions -----------------------------------------------------------------------------------


def test_every_function_is_traced_python311_x86(functions: dict[str, dict[str, Any]]) -> None:
    assert len(functions) == 11
    for name, props in functions.items():
        assert props["Tracing"] == "Active", name
        assert props["Runtime"] == "python3.11", name
        assert props["Architectures"] == ["x86_64"], name
        assert props["Handler"] == "lambda_function.handler", name


def test_every_function_has_its_own_role_and_no_sam_generated_policies(functions: dict[str, dict[str, Any]]) -> None:
    roles = {name: props["Role"] for name, props in functions.items()}

    assert all(role == {"Fn::GetAtt": [f"{name}Role", "Arn"]} for name, role in roles.items()), roles
    assert not [name for name, props in functions.items() if "Policies" in props]


def test_every_function_logs_to_its_own_encrypted_log_group(
    functions: dict[str, dict[str, Any]], resources: dict[str, Any]
) -> None:
    for name, props in functions.items():
        group_id = props["LoggingConfig"]["LogGroup"]["Ref"]
        group_name = resources[group_id]["Properties"]["LogGroupName"]["Fn::Sub"]
        assert group_name == "/aws/lambda/" + props["FunctionName"]["Fn::Sub"], name


# -- IAM -----------------------------------------------------------------------------------------


def test_no_statement_allows_every_action(role_statements: dict[str, list[dict[str, Any]]]) -> None:
    for role, statement in allow_statements(role_statements):
        for action in as_list(statement["Action"]):
            assert action != "*" and not action.endswith(":*"), f"{role}: {action}"
        assert "NotAction" not in statement and "NotResource" not in statement, role


def test_resource_star_only_where_aws_requires_it(role_statements: dict[str, list[dict[str, Any]]]) -> None:
    for role, statement in allow_statements(role_statements):
        if "*" in as_list(statement["Resource"]):
            extra = set(as_list(statement["Action"])) - WILDCARD_RESOURCE_ACTIONS
            assert not extra, f"{role} {statement.get('Sid')}: {sorted(extra)} on Resource '*'"


def test_audit_table_is_append_only(role_statements: dict[str, list[dict[str, Any]]]) -> None:
    granted: dict[str, set[str]] = {}
    for role, statement in allow_statements(role_statements):
        if any(refers_to(r, "AuditTable") for r in as_list(statement["Resource"])):
            granted.setdefault(role, set()).update(as_list(statement["Action"]))

    assert granted, "no role can write the audit trail"
    for role, actions in granted.items():
        assert actions <= AUDIT_ALLOWED, f"{role}: {sorted(actions - AUDIT_ALLOWED)} on the audit table"
        assert not actions & {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
    # The archiver only reads the chain it archives.
    assert granted["ArchiverFunctionRole"] == {"dynamodb:Query"}


def test_every_workflow_function_appends_to_the_audit_trail(role_statements: dict[str, list[dict[str, Any]]]) -> None:
    for function in WORKFLOW_FUNCTIONS:
        actions = {
            a
            for s in role_statements[f"{function}Role"]
            if any(refers_to(r, "AuditTable") for r in as_list(s["Resource"]))
            for a in as_list(s["Action"])
        }
        assert actions == AUDIT_ALLOWED, function


def test_state_machine_invokes_exactly_its_nine_functions(role_statements: dict[str, list[dict[str, Any]]]) -> None:
    invokes = [s for s in role_statements["StateMachineRole"] if "lambda:InvokeFunction" in as_list(s["Action"])]

    assert len(invokes) == 1
    assert as_list(invokes[0]["Action"]) == ["lambda:InvokeFunction"]
    assert {r["Fn::GetAtt"][0] for r in invokes[0]["Resource"]} == WORKFLOW_FUNCTIONS
    assert len(invokes[0]["Resource"]) == len(WORKFLOW_FUNCTIONS)


def test_inbox_rule_may_only_start_this_workflow(role_statements: dict[str, list[dict[str, Any]]]) -> None:
    (statement,) = role_statements["ClaimsInboxRuleRole"]

    assert as_list(statement["Action"]) == ["states:StartExecution"]
    assert statement["Resource"] == {"Ref": "ClaimsStateMachine"}


def test_archiver_reads_only_this_workflows_executions(role_statements: dict[str, list[dict[str, Any]]]) -> None:
    (reads,) = (s for s in role_statements["ArchiverFunctionRole"] if "states:GetExecutionHistory" in s["Action"])

    assert set(reads["Action"]) == {"states:GetExecutionHistory"}
    assert reads["Resource"]["Fn::Sub"].endswith(":execution:icpa-claims-workflow-${Environment}:*")


def test_archiver_execution_arn_names_the_state_machine(resources: dict[str, Any]) -> None:
    # The archiver's policy spells the state machine's name (a reference would be a cycle).
    assert resources["ClaimsStateMachine"]["Properties"]["Name"] == {"Fn::Sub": "icpa-claims-workflow-${Environment}"}


def test_bedrock_is_granted_only_on_the_configured_agent_alias(resources: dict[str, Any]) -> None:
    for role in ("FraudFunctionRole", "AdjudicationFunctionRole", "RouterFunctionRole", "IntakeFunctionRole"):
        statements = resources[role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        for item in statements:
            if "Fn::If" in item:
                condition, statement, otherwise = item["Fn::If"]
                assert condition == "HasBedrockAgent" and otherwise == {"Ref": "AWS::NoValue"}
                assert statement["Action"] == ["bedrock:InvokeAgent"]
                assert ":agent-alias/${BedrockAgentId}/${BedrockAgentAliasId}" in statement["Resource"]["Fn::Sub"]
            else:
                assert not any(a.startswith("bedrock:") for a in as_list(item["Action"])), role


def test_roles_trust_only_their_service(resources: dict[str, Any]) -> None:
    for name, resource in resources.items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        statements = list(expand_if(resource["Properties"]["AssumeRolePolicyDocument"]["Statement"]))
        for statement in statements:
            assert set(statement["Principal"]) == {"Service"}, name
            assert statement["Action"] == "sts:AssumeRole", name


# -- the review API --------------------------------------------------------------------------------


def test_api_has_a_cognito_default_authorizer(resources: dict[str, Any]) -> None:
    auth = resources["ReviewApi"]["Properties"]["Auth"]
    default = auth["DefaultAuthorizer"]

    assert default in auth["Authorizers"]
    assert auth["Authorizers"][default]["UserPoolArn"] == {"Fn::GetAtt": ["ReviewerUserPool", "Arn"]}
    assert auth.get("AddDefaultAuthorizerToCorsPreflight") is False


def api_events(functions: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, event["Properties"])
        for name, props in functions.items()
        for event in props.get("Events", {}).values()
        if event["Type"] == "Api"
    ]


def test_no_route_is_open(functions: dict[str, dict[str, Any]]) -> None:
    events = api_events(functions)

    assert events
    for name, props in events:
        # Every route is on ReviewApi (an implicit API would have no authorizer) ...
        assert props["RestApiId"] == {"Ref": "ReviewApi"}, name
        # ... and none opts out of the default authorizer.
        assert props.get("Auth", {}).get("Authorizer", "default") != "NONE", name


def test_api_routes_are_exactly_the_review_routes(functions: dict[str, dict[str, Any]]) -> None:
    routes = {(name, p["Method"].upper(), p["Path"]) for name, p in api_events(functions)}

    assert routes == {
        ("ReviewApiFunction", "GET", "/reviews"),
        ("ReviewApiFunction", "GET", "/reviews/{review_id}"),
        ("ReviewApiFunction", "GET", "/reviews/{review_id}/audit"),
        ("ReviewApiFunction", "POST", "/reviews/{review_id}/decision"),
    }


def test_api_is_traced_throttled_and_access_logged(resources: dict[str, Any]) -> None:
    props = resources["ReviewApi"]["Properties"]
    (settings,) = props["MethodSettings"]
    access_format = json.loads(props["AccessLogSetting"]["Format"])

    assert props["TracingEnabled"] is True
    assert props["StageName"] == {"Ref": "Environment"}
    assert settings["ResourcePath"] == "/*" and settings["HttpMethod"] == "*"
    assert 0 < settings["ThrottlingRateLimit"] <= settings["ThrottlingBurstLimit"]
    assert settings["DataTraceEnabled"] is False  # request bodies would put PHI in the logs
    assert props["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ReviewApiAccessLogGroup", "Arn"]}
    assert "requestId" in access_format and "user" in access_format


def test_reviewers_are_admin_provisioned_with_mfa(resources: dict[str, Any]) -> None:
    pool = resources["ReviewerUserPool"]["Properties"]
    group = resources["ReviewerUserPoolGroup"]["Properties"]
    client = resources["ReviewerUserPoolClient"]["Properties"]

    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["MfaConfiguration"] == "ON"
    assert group["GroupName"] == {"Ref": "ReviewerGroup"}
    assert group["UserPoolId"] == {"Ref": "ReviewerUserPool"}
    assert client["GenerateSecret"] is False
    assert "ALLOW_USER_PASSWORD_AUTH" not in client["ExplicitAuthFlows"]


def test_reviewer_group_defaults_to_claims_reviewers(template: dict[str, Any], functions: dict[str, Any]) -> None:
    assert template["Parameters"]["ReviewerGroup"]["Default"] == "claims-reviewers"
    variables = functions["ReviewApiFunction"]["Environment"]["Variables"]
    assert variables["ICPA_REVIEWER_GROUP"] == {"Ref": "ReviewerGroup"}


# -- the state machine ---------------------------------------------------------------------------


def test_state_machine_logs_everything_but_execution_data(resources: dict[str, Any]) -> None:
    props = resources["ClaimsStateMachine"]["Properties"]
    (destination,) = props["Logging"]["Destinations"]

    assert props["Type"] == "STANDARD"
    assert props["Tracing"] == {"Enabled": True}
    assert props["Logging"]["Level"] == "ALL"
    assert props["Logging"]["IncludeExecutionData"] is False  # no PHI in logs
    assert destination["CloudWatchLogsLogGroup"]["LogGroupArn"] == {"Fn::GetAtt": ["StateMachineLogGroup", "Arn"]}
    assert props["Role"] == {"Fn::GetAtt": ["StateMachineRole", "Arn"]}
