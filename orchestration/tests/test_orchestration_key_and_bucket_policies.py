"""The data key serves AWS services only on behalf of this stack, and the buckets refuse an
upload that names another encryption than the data key. The bucket policies are evaluated on
concrete requests (a small evaluator for the condition operators they use), so the tests check
what S3 would decide, not how the statements are spelled."""

from __future__ import annotations

import fnmatch
import re
from typing import Any

import pytest
from orchestration_testkit import as_list

BUCKETS = ("InboxBucket", "DocumentsBucket", "QuarantineBucket", "ArchiveBucket")
ACCOUNT = "123456789012"
REGION = "us-east-1"
ENVIRONMENT = "dev"
DATA_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0f9e8d7c-1111-2222-3333-444455556666"
OTHER_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/aaaaaaaa-1111-2222-3333-444455556666"
PSEUDO = {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "Environment": ENVIRONMENT}


# -- a resolver for the intrinsics these policies use, and an evaluator for their conditions ------


def resolve(value: Any, refs: dict[str, str]) -> Any:
    """The template value with Ref / Fn::GetAtt / Fn::Sub replaced by `refs` (and PSEUDO)."""
    names = {**PSEUDO, **refs}
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return names[value["Ref"]]
    if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
        logical_id, attribute = value["Fn::GetAtt"]
        return names[f"{logical_id}.{attribute}"]
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        return re.sub(r"\$\{([^}]+)\}", lambda m: names[m.group(1)], value["Fn::Sub"])
    if isinstance(value, list):
        return [resolve(v, refs) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, refs) for k, v in value.items()}
    return value


def condition_holds(condition: dict[str, dict[str, Any]], context: dict[str, str]) -> bool:
    """IAM semantics for the operators used here; all blocks and keys must hold (AND)."""
    for operator, tests in condition.items():
        for key, expected in tests.items():
            wanted = [str(v) for v in as_list(expected)]
            present = key in context
            if operator == "Null":
                # 'true': the key is absent; 'false': it is present.
                if (wanted == ["true"]) != (not present):
                    return False
            elif operator in ("Bool", "StringEquals"):
                if not present or context[key] not in wanted:
                    return False
            elif operator == "StringNotEquals":
                # A negated operator also holds when the key is absent.
                if present and context[key] in wanted:
                    return False
            elif operator == "ArnLike":
                if not present or not any(fnmatch.fnmatchcase(context[key], w) for w in wanted):
                    return False
            else:
                raise AssertionError(f"operator {operator} not modelled")
    return True


def denied(statements: list[dict[str, Any]], action: str, resource: str, context: dict[str, str]) -> list[str]:
    """Sids of the Deny statements that apply to the request."""
    hits = []
    for s in statements:
        if s["Effect"] != "Deny" or s["Principal"] != "*":
            continue
        if not any(fnmatch.fnmatchcase(action, a) for a in as_list(s["Action"])):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in as_list(s["Resource"])):
            continue
        if condition_holds(s.get("Condition", {}), context):
            hits.append(s["Sid"])
    return hits


def object_arn(bucket: str) -> str:
    return f"arn:aws:s3:::icpa-{bucket.lower()}/claims/c.json"


def bucket_statements(of_type: Any, bucket: str) -> list[dict[str, Any]]:
    (policy,) = (p for p in of_type("AWS::S3::BucketPolicy").values() if p["Properties"]["Bucket"] == {"Ref": bucket})
    refs = {f"{bucket}.Arn": f"arn:aws:s3:::icpa-{bucket.lower()}", "DataKey.Arn": DATA_KEY_ARN}
    resolved: list[dict[str, Any]] = resolve(as_list(policy["Properties"]["PolicyDocument"]["Statement"]), refs)
    return resolved


TLS = {"aws:SecureTransport": "true"}
KMS = "s3:x-amz-server-side-encryption"
KMS_KEY = "s3:x-amz-server-side-encryption-aws-kms-key-id"
SSE_C = "s3:x-amz-server-side-encryption-customer-algorithm"

ALLOWED_UPLOADS = {
    # The bucket default (the data key) applies: what our own functions send.
    "no encryption headers": {},
    "aws:kms, key left to the bucket default": {KMS: "aws:kms"},
    "aws:kms with the data key's ARN": {KMS: "aws:kms", KMS_KEY: DATA_KEY_ARN},
}
REFUSED_UPLOADS = {
    "SSE-S3": {KMS: "AES256"},
    "DSSE-KMS": {KMS: "aws:kms:dsse", KMS_KEY: DATA_KEY_ARN},
    "aws:kms with another key": {KMS: "aws:kms", KMS_KEY: OTHER_KEY_ARN},
    # S3 compares the header as sent: a bare key id or an alias is not the ARN (fail closed).
    "aws:kms with the data key's bare id": {KMS: "aws:kms", KMS_KEY: DATA_KEY_ARN.rsplit("/", 1)[1]},
    "aws:kms with an alias": {KMS: "aws:kms", KMS_KEY: f"alias/icpa-{ENVIRONMENT}"},
    "SSE-C (customer-provided key)": {SSE_C: "AES256"},
}


@pytest.mark.parametrize("bucket", BUCKETS)
@pytest.mark.parametrize("upload", sorted(ALLOWED_UPLOADS))
def test_upload_with_the_data_key_or_the_default_is_not_denied(of_type: Any, bucket: str, upload: str) -> None:
    statements = bucket_statements(of_type, bucket)

    hits = denied(statements, "s3:PutObject", object_arn(bucket), {**TLS, **ALLOWED_UPLOADS[upload]})

    assert hits == []


@pytest.mark.parametrize("bucket", BUCKETS)
@pytest.mark.parametrize("upload", sorted(REFUSED_UPLOADS))
def test_upload_naming_another_encryption_is_denied(of_type: Any, bucket: str, upload: str) -> None:
    statements = bucket_statements(of_type, bucket)

    hits = denied(statements, "s3:PutObject", object_arn(bucket), {**TLS, **REFUSED_UPLOADS[upload]})

    assert hits, f"{bucket} accepts an upload with {upload}"


@pytest.mark.parametrize("bucket", BUCKETS)
def test_the_evaluator_sees_the_tls_deny(of_type: Any, bucket: str) -> None:
    # The same evaluator finds the long-standing TLS deny: "not denied" above is a real verdict.
    statements = bucket_statements(of_type, bucket)

    hits = denied(statements, "s3:GetObject", object_arn(bucket), {"aws:SecureTransport": "false"})

    assert hits == ["DenyInsecureTransport"]


# -- the key policy ---------------------------------------------------------------------------------


def key_statements(resources: dict[str, Any]) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = resources["DataKey"]["Properties"]["KeyPolicy"]["Statement"]
    return statements


def service_statement(resources: dict[str, Any], service: str) -> dict[str, Any]:
    (statement,) = (s for s in key_statements(resources) if service in as_list(s["Principal"].get("Service", [])))
    return statement


DELIVERING_SERVICES = ("sns.amazonaws.com", "cloudwatch.amazonaws.com", "events.amazonaws.com")


@pytest.mark.parametrize("service", DELIVERING_SERVICES)
def test_delivering_services_use_the_key_only_for_this_account(resources: dict[str, Any], service: str) -> None:
    statement = service_statement(resources, service)

    assert as_list(statement["Principal"]["Service"]) == [service]  # one service per statement
    assert set(as_list(statement["Action"])) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert set(statement["Condition"]["ArnLike"]) == {"aws:SourceArn"}


def source_arn_pattern(resources: dict[str, Any], service: str) -> str:
    pattern: str = resolve(service_statement(resources, service)["Condition"]["ArnLike"]["aws:SourceArn"], {})
    return pattern


def test_sns_may_use_the_key_for_every_topic_of_this_stack_and_no_other(
    of_type: Any, resources: dict[str, Any]
) -> None:
    pattern = source_arn_pattern(resources, "sns.amazonaws.com")
    topics = of_type("AWS::SNS::Topic").values()
    arns = [f"arn:aws:sns:{REGION}:{ACCOUNT}:{resolve(t['Properties']['TopicName'], {})}" for t in topics]

    assert len(arns) == 3
    assert all(fnmatch.fnmatchcase(arn, pattern) for arn in arns), (pattern, arns)
    assert not fnmatch.fnmatchcase(f"arn:aws:sns:{REGION}:210987654321:icpa-oncall-{ENVIRONMENT}", pattern)
    assert not fnmatch.fnmatchcase(f"arn:aws:sns:{REGION}:{ACCOUNT}:someone-elses-topic", pattern)


def test_cloudwatch_may_use_the_key_for_every_alarm_of_this_stack_and_no_other(
    of_type: Any, resources: dict[str, Any]
) -> None:
    pattern = source_arn_pattern(resources, "cloudwatch.amazonaws.com")
    alarms = of_type("AWS::CloudWatch::Alarm").values()
    arns = [f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{resolve(a['Properties']['AlarmName'], {})}" for a in alarms]

    assert arns
    assert all(fnmatch.fnmatchcase(arn, pattern) for arn in arns), (pattern, arns)
    assert not fnmatch.fnmatchcase(f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:billing-alarm", pattern)
    assert not fnmatch.fnmatchcase(f"arn:aws:cloudwatch:{REGION}:210987654321:alarm:ICPA-{ENVIRONMENT}-X", pattern)


def test_eventbridge_may_use_the_key_for_the_rules_that_dead_letter_and_no_other(resources: dict[str, Any]) -> None:
    pattern = source_arn_pattern(resources, "events.amazonaws.com")
    queue_policy = resources["EventsDeadLetterQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    (sender,) = (s for s in queue_policy if s["Effect"] == "Allow")
    rules = [r["Fn::GetAtt"][0] for r in sender["Condition"]["ArnEquals"]["aws:SourceArn"]]
    arns = [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{resolve(resources[r]['Properties']['Name'], {})}" for r in rules]

    assert sorted(rules) == ["ArchiveExecutionRule", "ClaimsInboxRule"]
    assert all(fnmatch.fnmatchcase(arn, pattern) for arn in arns), (pattern, arns)
    assert not fnmatch.fnmatchcase(f"arn:aws:events:{REGION}:{ACCOUNT}:rule/other-team-rule", pattern)


def test_every_service_principal_on_the_key_is_conditioned(resources: dict[str, Any]) -> None:
    for statement in key_statements(resources):
        if "Service" in statement["Principal"]:
            assert statement.get("Condition"), statement["Sid"]


# -- scanner suppressions ---------------------------------------------------------------------------


def test_every_checkov_suppression_names_a_check_and_a_reason(resources: dict[str, Any]) -> None:
    skips = [
        (name, skip)
        for name, resource in resources.items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]

    assert skips  # build-support/scan-template.sh relies on these
    for name, skip in skips:
        assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), (name, skip)
        assert len(skip.get("comment", "")) >= 30, (name, skip)
