"""Wiring: each function's zip is a Pants target, each gets exactly the settings it reads, the
ASL's timeouts and the functions' agree, and the dashboard and alarms are as docs/DECISIONS.md decides."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from icpa_orchestration import substitution_names

CODE_URIS = {
    "IntakeFunction": "../dist/services.intake.src.icpa_intake/intake-lambda.zip",
    "QuarantineFunction": "../dist/services.intake.src.icpa_intake/quarantine-lambda.zip",
    "InterchangeSplitterFunction": "../dist/services.intake.src.icpa_intake/interchange-splitter-lambda.zip",
    "FraudFunction": "../dist/services.fraud.src.icpa_fraud/fraud-lambda.zip",
    "AdjudicationFunction": "../dist/services.adjudication.src.icpa_adjudication/adjudication-lambda.zip",
    "RouterFunction": "../dist/services.router.src.icpa_router/router-lambda.zip",
    "RecordDecisionFunction": "../dist/services.router.src.icpa_router/record-decision-lambda.zip",
    "ReviewRequestFunction": "../dist/services.review-callback.src.icpa_review_callback/review-request-lambda.zip",
    "EscalationFunction": "../dist/services.review-callback.src.icpa_review_callback/escalation-lambda.zip",
    "ReviewApiFunction": "../dist/services.review-callback.src.icpa_review_callback/review-api-lambda.zip",
    "ArchiverFunction": "../dist/services.audit.src.icpa_audit/archiver-lambda.zip",
}

# The ICPA_* settings each function is given (values: the resource each must reference).
# Exactly these: a missing one makes a service fall back to its local default name.
COMMON = {"ICPA_ENVIRONMENT": "Environment", "ICPA_AUDIT_TABLE": "AuditTable"}
EXPECTED_SETTINGS: dict[str, dict[str, str | None]] = {
    "IntakeFunction": {
        "ICPA_DOCUMENTS_BUCKET": "DocumentsBucket",
        "ICPA_CLAIMS_TABLE": "ClaimsTable",
        "ICPA_POLICIES_TABLE": "PoliciesTable",
    },
    "QuarantineFunction": {"ICPA_QUARANTINE_BUCKET": "QuarantineBucket", "ICPA_CLAIMS_TABLE": "ClaimsTable"},
    # The workflow's ARN is built with !Sub (a !Ref would be a circular dependency).
    "InterchangeSplitterFunction": {
        "ICPA_DOCUMENTS_BUCKET": "DocumentsBucket",
        "ICPA_QUARANTINE_BUCKET": "QuarantineBucket",
        "ICPA_CLAIMS_STATE_MACHINE_ARN": None,
    },
    "FraudFunction": {
        "ICPA_DOCUMENTS_BUCKET": "DocumentsBucket",
        "ICPA_CLAIMS_TABLE": "ClaimsTable",
        "ICPA_POLICIES_TABLE": "PoliciesTable",
        "ICPA_FRAUD_MODEL_PROVIDER": None,
        "ICPA_BEDROCK_AGENT_ID": "BedrockAgentId",
        "ICPA_BEDROCK_AGENT_ALIAS_ID": "BedrockAgentAliasId",
    },
    "AdjudicationFunction": {
        "ICPA_DOCUMENTS_BUCKET": "DocumentsBucket",
        "ICPA_POLICIES_TABLE": "PoliciesTable",
        "ICPA_EXPLAINER": None,
        "ICPA_BEDROCK_AGENT_ID": "BedrockAgentId",
        "ICPA_BEDROCK_AGENT_ALIAS_ID": "BedrockAgentAliasId",
    },
    "RouterFunction": {},
    "RecordDecisionFunction": {
        "ICPA_CLAIMS_TABLE": "ClaimsTable",
        # the payer's answers (ClaimResponse, 835) are written next to the claim document
        "ICPA_DOCUMENTS_BUCKET": "DocumentsBucket",
    },
    "ReviewRequestFunction": {
        "ICPA_REVIEWS_TABLE": "ReviewsTable",
        "ICPA_REVIEW_TOPIC_ARN": "ReviewersTopic",
        "ICPA_REVIEW_TIMEOUT_SECONDS": None,
    },
    "EscalationFunction": {"ICPA_REVIEWS_TABLE": "ReviewsTable", "ICPA_SUPERVISOR_TOPIC_ARN": "SupervisorsTopic"},
    "ReviewApiFunction": {
        "ICPA_REVIEWS_TABLE": "ReviewsTable",
        "ICPA_DOCUMENTS_BUCKET": "DocumentsBucket",
        "ICPA_REVIEWER_GROUP": "ReviewerGroup",
    },
    "ArchiverFunction": {"ICPA_ARCHIVE_BUCKET": "ArchiveBucket"},
}
DASHBOARD = "ICPA-StepFunctions-Metrics"
ICPA_METRICS = [
    "ClaimsReceived",
    "ClaimsDecided",
    "FraudScore",
    "ModelCalls",
    "ModelThrottles",
    "ReviewWaitTime",
    "ClaimsQuarantined",
    "StateTransitions",
    # emitted by the router, review-callback and audit services
    "ClaimsRouted",
    "ReviewRequested",
    "ReviewEscalated",
    "ReviewApiServerErrors",
    "ExecutionArchived",
    "AuditChainBroken",
]


def repo_root() -> Path:
    """The checkout: the current directory under plain pytest; under Pants (a sandbox without
    the services' BUILD files) the root that ./pants exports. Pants does not see those files
    as inputs, so a cached pass is only re-checked when this target's own inputs change."""
    return Path(os.environ.get("PANTS_BUILDROOT_OVERRIDE") or ".")


def python_awslambda_names(build_file: Path) -> set[str]:
    """Names of the `python_awslambda(...)` targets in a BUILD file (text, not evaluated)."""
    if not build_file.exists():
        return set()
    names = set()
    for call in re.finditer(r"python_awslambda\((.*?)\n\)", build_file.read_text(), re.DOTALL):
        name = re.search(r"""\bname\s*=\s*["']([^"']+)["']""", call.group(1))
        if name:
            names.add(name.group(1))
    return names


def build_file_for(code_uri: str) -> tuple[Path, str]:
    """`../dist/services.intake.src.icpa_intake/intake-lambda.zip` ->
    (services/intake/src/icpa_intake/BUILD, "intake-lambda"): Pants writes a target's zip to
    dist/<its directory with / as .>/<target name>.zip."""
    dist_dir, zip_name = code_uri.removeprefix("../dist/").split("/")
    return Path(*dist_dir.split("."), "BUILD"), zip_name.removesuffix(".zip")


# -- code ------------------------------------------------------------------------------------------


def test_code_uris_are_the_pants_zips(functions: dict[str, dict[str, Any]]) -> None:
    assert {name: props["CodeUri"] for name, props in functions.items()} == CODE_URIS


@pytest.mark.parametrize("function", sorted(CODE_URIS))
def test_code_uri_is_built_by_a_python_awslambda_target(function: str) -> None:
    relative, target = build_file_for(CODE_URIS[function])
    build_file = repo_root() / relative
    assert (repo_root() / "services").is_dir(), f"cannot see the services from {repo_root().resolve()}"

    assert target in python_awslambda_names(build_file), (
        f"{function}: no python_awslambda(name={target!r}) in {build_file} "
        f"(found {sorted(python_awslambda_names(build_file))})"
    )


def test_dist_paths_map_back_to_service_build_files() -> None:
    assert build_file_for(CODE_URIS["ReviewApiFunction"]) == (
        Path("services/review-callback/src/icpa_review_callback/BUILD"),
        "review-api-lambda",
    )


# -- settings --------------------------------------------------------------------------------------


@pytest.mark.parametrize("function", sorted(EXPECTED_SETTINGS))
def test_function_gets_exactly_the_settings_it_reads(functions: dict[str, dict[str, Any]], function: str) -> None:
    variables = functions[function]["Environment"]["Variables"]
    expected = {**COMMON, **EXPECTED_SETTINGS[function]}

    assert {k for k in variables if k.startswith("ICPA_")} == set(expected)
    for name, resource in expected.items():
        if resource is not None:
            assert json.dumps({"Ref": resource}) in json.dumps(variables[name]), f"{function} {name}"
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "ICPA"
    assert variables["POWERTOOLS_SERVICE_NAME"]


def test_review_timeout_setting_equals_the_asl_review_timeout(
    functions: dict[str, dict[str, Any]], asl: dict[str, Any]
) -> None:
    setting = functions["ReviewRequestFunction"]["Environment"]["Variables"]["ICPA_REVIEW_TIMEOUT_SECONDS"]

    assert int(setting) == asl["States"]["AwaitHumanReview"]["TimeoutSeconds"]


def test_model_settings_follow_the_bedrock_agent_parameters(functions: dict[str, dict[str, Any]]) -> None:
    fraud = functions["FraudFunction"]["Environment"]["Variables"]
    adjudication = functions["AdjudicationFunction"]["Environment"]["Variables"]

    assert fraud["ICPA_FRAUD_MODEL_PROVIDER"] == {"Fn::If": ["HasBedrockAgent", "bedrock", "none"]}
    assert adjudication["ICPA_EXPLAINER"] == {"Fn::If": ["HasBedrockAgent", "bedrock-agent", "template"]}
    for variables in (fraud, adjudication):
        assert variables["ICPA_BEDROCK_AGENT_ID"]["Fn::If"][2] == {"Ref": "AWS::NoValue"}


def test_model_setting_values_are_ones_the_services_accept(functions: dict[str, dict[str, Any]]) -> None:
    # Both branches of each !If must pass the service's settings validation at cold start.
    from typing import get_args

    from icpa_adjudication.settings import AdjudicationSettings
    from icpa_fraud.settings import FraudSettings

    cases = [
        ("FraudFunction", "ICPA_FRAUD_MODEL_PROVIDER", FraudSettings.model_fields["fraud_model_provider"]),
        ("AdjudicationFunction", "ICPA_EXPLAINER", AdjudicationSettings.model_fields["explainer"]),
    ]
    for function, variable, field in cases:
        _, when_agent, without_agent = functions[function]["Environment"]["Variables"][variable]["Fn::If"]
        assert {when_agent, without_agent} <= set(get_args(field.annotation)), (function, variable)


# -- timeouts --------------------------------------------------------------------------------------


def task_functions(asl: dict[str, Any]) -> dict[str, str]:
    """Task state -> the template function it invokes (through DefinitionSubstitutions)."""
    out = {}
    for name, state in asl["States"].items():
        if state["Type"] != "Task":
            continue
        target = state.get("Parameters", {}).get("FunctionName", state["Resource"])
        (substitution,) = substitution_names(target)
        out[name] = substitution.removesuffix("Arn")
    return out


def test_every_lambda_gives_up_before_its_task_does(functions: dict[str, dict[str, Any]], asl: dict[str, Any]) -> None:
    # A Lambda still running when its Task times out would act after the workflow moved on
    # (e.g. quarantined the claim): each function's Timeout is below its Task's TimeoutSeconds.
    mapping = task_functions(asl)
    assert set(mapping.values()) == {n.removesuffix("Arn") for n in substitution_names()}
    for task, function in mapping.items():
        assert functions[function]["Timeout"] < asl["States"][task]["TimeoutSeconds"], task


def test_review_api_answers_within_api_gateways_limit(functions: dict[str, dict[str, Any]]) -> None:
    assert functions["ReviewApiFunction"]["Timeout"] < 29


# -- tables --------------------------------------------------------------------------------------


def key_schema(schema: list[dict[str, str]]) -> list[str]:
    return [k["AttributeName"] for k in schema]


def test_table_keys_and_indexes_are_the_architectures(resources: dict[str, Any]) -> None:
    def props(table: str) -> dict[str, Any]:
        found: dict[str, Any] = resources[table]["Properties"]
        return found

    def indexes(table: str) -> dict[str, list[str]]:
        return {i["IndexName"]: key_schema(i["KeySchema"]) for i in props(table).get("GlobalSecondaryIndexes", [])}

    assert key_schema(props("ClaimsTable")["KeySchema"]) == ["claim_id"]
    assert indexes("ClaimsTable") == {
        "member-date-index": ["member_id", "service_date"],
        "provider-date-index": ["provider_npi", "service_date"],
    }
    assert key_schema(props("PoliciesTable")["KeySchema"]) == ["policy_id"]
    assert key_schema(props("ReviewsTable")["KeySchema"]) == ["review_id"]
    assert indexes("ReviewsTable") == {"status-index": ["status", "created_at"]}
    assert key_schema(props("AuditTable")["KeySchema"]) == ["claim_id", "sequence"]
    types = {a["AttributeName"]: a["AttributeType"] for a in props("AuditTable")["AttributeDefinitions"]}
    assert types == {"claim_id": "S", "sequence": "N"}


# -- archiving -------------------------------------------------------------------------------------


def test_every_finished_execution_is_archived(resources: dict[str, Any]) -> None:
    rule = resources["ArchiveExecutionRule"]["Properties"]
    (target,) = rule["Targets"]
    permission = resources["ArchiveExecutionRulePermission"]["Properties"]

    assert rule["EventPattern"] == {
        "source": ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        "detail": {
            "stateMachineArn": [{"Ref": "ClaimsStateMachine"}],
            "status": ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"],
        },
    }
    assert target["Arn"] == {"Fn::GetAtt": ["ArchiverFunction", "Arn"]}
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["EventsDeadLetterQueue", "Arn"]}
    assert permission["Principal"] == "events.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::GetAtt": ["ArchiveExecutionRule", "Arn"]}


# -- dashboard and alarms (docs/DECISIONS.md) ----------------------------------------------------------------


@pytest.fixture(scope="module")
def dashboard(of_type: Any) -> dict[str, Any]:
    (resource,) = of_type("AWS::CloudWatch::Dashboard").values()
    assert resource["Properties"]["DashboardName"] == DASHBOARD
    body = re.sub(r"\$\{[^}]+\}", "X", resource["Properties"]["DashboardBody"]["Fn::Sub"])
    parsed: dict[str, Any] = json.loads(body)
    return parsed


def widget(dashboard: dict[str, Any], title_start: str) -> dict[str, Any]:
    (found,) = (w["properties"] for w in dashboard["widgets"] if w["properties"]["title"].startswith(title_start))
    return found


def metric_names(properties: dict[str, Any]) -> list[str]:
    return [m[1] for m in properties["metrics"] if isinstance(m[0], str)]


def test_dashboard_panel_1_executions_stacked_area(dashboard: dict[str, Any]) -> None:
    panel = widget(dashboard, "Executions started vs succeeded vs failed")

    assert panel["view"] == "timeSeries" and panel["stacked"] is True
    assert metric_names(panel) == ["ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed"]
    assert all(m[0] == "AWS/States" and m[2] == "StateMachineArn" for m in panel["metrics"])


def test_dashboard_panel_2_execution_time_percentiles(dashboard: dict[str, Any]) -> None:
    panel = widget(dashboard, "Execution time p50 / p95 / p99")

    assert panel["view"] == "timeSeries" and panel["stacked"] is False
    assert set(metric_names(panel)) == {"ExecutionTime"}
    assert [m[-1]["stat"] for m in panel["metrics"]] == ["p50", "p95", "p99"]


def test_dashboard_panel_3_state_transitions_per_execution(dashboard: dict[str, Any]) -> None:
    panel = widget(dashboard, "State transitions per execution")
    expressions = [m[0]["expression"] for m in panel["metrics"] if isinstance(m[0], dict)]

    assert panel["view"] == "bar"
    assert "transitions / started" in expressions
    assert any("StateTransitions" in e for e in expressions)
    assert metric_names(panel) == ["ExecutionsStarted"]


def test_dashboard_shows_every_icpa_metric(of_type: Any) -> None:
    (resource,) = of_type("AWS::CloudWatch::Dashboard").values()
    body = resource["Properties"]["DashboardBody"]["Fn::Sub"]

    for metric in ICPA_METRICS:
        assert f'MetricName=\\"{metric}\\"' in body, metric
    assert 'Namespace=\\"ICPA\\"' in body


def alarm(of_type: Any, name_suffix: str) -> dict[str, Any]:
    (found,) = (
        a["Properties"]
        for a in of_type("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["AlarmName"]["Fn::Sub"].endswith(name_suffix)
    )
    assert found["AlarmActions"] == [{"Ref": "OnCallTopic"}]
    return found


def test_failed_executions_alarm_is_above_2_percent_for_15_minutes(of_type: Any) -> None:
    props = alarm(of_type, "StepFunctionsExecutionsFailed")
    queries = {q["Id"]: q for q in props["Metrics"]}
    (result,) = (q for q in props["Metrics"] if q.get("ReturnData", True))

    assert result["Expression"] == "100 * failed / started"
    assert queries["failed"]["MetricStat"]["Metric"]["MetricName"] == "ExecutionsFailed"
    assert queries["started"]["MetricStat"]["Metric"]["MetricName"] == "ExecutionsStarted"
    periods = {queries[i]["MetricStat"]["Period"] for i in ("failed", "started")}
    assert periods == {300}
    assert props["Threshold"] == 2
    assert props["ComparisonOperator"] == "GreaterThanThreshold"
    assert props["EvaluationPeriods"] * 300 == 15 * 60
    assert props["DatapointsToAlarm"] == props["EvaluationPeriods"]
    assert props["TreatMissingData"] == "notBreaching"


def test_execution_time_alarm_is_p95_above_120_seconds_for_10_minutes(of_type: Any) -> None:
    props = alarm(of_type, "StepFunctionsExecutionDuration")

    assert (props["Namespace"], props["MetricName"]) == ("AWS/States", "ExecutionTime")
    assert props["Dimensions"] == [{"Name": "StateMachineArn", "Value": {"Ref": "ClaimsStateMachine"}}]
    assert props["ExtendedStatistic"] == "p95"
    assert props["Threshold"] == 120_000  # ExecutionTime is in milliseconds
    assert props["ComparisonOperator"] == "GreaterThanThreshold"
    assert props["Period"] * props["EvaluationPeriods"] == 10 * 60
    assert props["DatapointsToAlarm"] == props["EvaluationPeriods"]


def test_dead_letter_queue_and_quarantine_alarms_page_on_call(of_type: Any) -> None:
    dlq = alarm(of_type, "EventsDeadLetterQueueNotEmpty")
    quarantined = alarm(of_type, "ClaimsQuarantined")

    assert dlq["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert dlq["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["EventsDeadLetterQueue", "QueueName"]}
    assert dlq["Threshold"] == 0 and dlq["ComparisonOperator"] == "GreaterThanThreshold"
    assert "ClaimsQuarantined" in quarantined["Metrics"][0]["Expression"]
    assert "FROM ICPA" in quarantined["Metrics"][0]["Expression"]


def test_a_broken_audit_chain_pages_on_call(of_type: Any) -> None:
    props = alarm(of_type, "AuditChainBroken")

    assert props["Metrics"][0]["Expression"] == "SELECT SUM(AuditChainBroken) FROM ICPA"
    assert props["Threshold"] == 0 and props["ComparisonOperator"] == "GreaterThanThreshold"


@pytest.mark.parametrize("metric", ["ExecutionsTimedOut", "ExecutionsAborted"])
def test_every_timed_out_or_aborted_execution_pages_on_call(of_type: Any, metric: str) -> None:
    # Such a run never reaches RecordDecision or quarantine: without this, nobody hears of it.
    props = alarm(of_type, f"StepFunctions{metric}")

    assert (props["Namespace"], props["MetricName"]) == ("AWS/States", metric)
    assert props["Dimensions"] == [{"Name": "StateMachineArn", "Value": {"Ref": "ClaimsStateMachine"}}]
    assert props["Statistic"] == "Sum"
    assert props["Threshold"] == 0 and props["ComparisonOperator"] == "GreaterThanThreshold"
    assert props["EvaluationPeriods"] == props["DatapointsToAlarm"] == 1
    assert props["TreatMissingData"] == "notBreaching"


def test_every_alarm_pages_on_call(of_type: Any) -> None:
    for name, resource in of_type("AWS::CloudWatch::Alarm").items():
        assert resource["Properties"]["AlarmActions"] == [{"Ref": "OnCallTopic"}], name


def test_on_call_email_is_required_so_alarms_reach_someone(template: dict[str, Any], resources: dict[str, Any]) -> None:
    parameter = template["Parameters"]["OnCallEmail"]
    pattern = re.compile(parameter["AllowedPattern"])
    subscription = resources["OnCallEmailSubscription"]

    assert "Default" not in parameter  # a deploy without an address fails instead of paging nobody
    assert not pattern.fullmatch("") and not pattern.fullmatch("on-call")
    assert pattern.fullmatch("oncall@example.com")
    assert "Condition" not in subscription
    assert subscription["Properties"] == {
        "TopicArn": {"Ref": "OnCallTopic"},
        "Protocol": "email",
        "Endpoint": {"Ref": "OnCallEmail"},
    }
    assert "HasOnCallEmail" not in template["Conditions"]


def test_outputs_name_what_operators_need(template: dict[str, Any]) -> None:
    assert {
        "InboxBucketName",
        "DocumentsBucketName",
        "QuarantineBucketName",
        "ArchiveBucketName",
        "ClaimsStateMachineArn",
        "ReviewApiUrl",
        "ReviewersTopicArn",
        "SupervisorsTopicArn",
        "OnCallTopicArn",
        "ReviewerUserPoolId",
    } <= set(template["Outputs"])
