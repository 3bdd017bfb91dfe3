"""The small IAM evaluator behind the fidelity check (icpa_orchestration.iam.policy)."""

from __future__ import annotations

from typing import Any

import pytest

from icpa_orchestration.iam.policy import Request, evaluate, glob_match

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/icpa-claims-dev"
KEY = "arn:aws:kms:us-east-1:123456789012:key/DataKey"
BUCKET = "arn:aws:s3:::icpa-inbox-dev"


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def test_actions_match_case_insensitively_with_wildcards() -> None:
    policy = [allow(["DynamoDB:getitem", "kms:GenerateDataKey*"], "*")]
    assert evaluate(policy, Request("dynamodb:GetItem", TABLE)).allowed
    assert evaluate(policy, Request("kms:GenerateDataKeyWithoutPlaintext", KEY)).allowed
    assert not evaluate(policy, Request("kms:Decrypt", KEY)).allowed
    assert evaluate([allow("s3:Get?bject", "*")], Request("s3:GetObject", BUCKET)).allowed


def test_resources_match_case_sensitively_and_regex_characters_are_literal() -> None:
    policy = [allow("dynamodb:Query", f"{TABLE}/index/*")]
    assert evaluate(policy, Request("dynamodb:Query", f"{TABLE}/index/member-date-index")).allowed
    assert not evaluate(policy, Request("dynamodb:Query", TABLE)).allowed  # base table is not an index
    assert not evaluate(policy, Request("dynamodb:Query", f"{TABLE.upper()}/index/x")).allowed
    # "." in an ARN is a dot, not "any character"
    assert not glob_match("arn:aws:s3:::icpa.inbox", "arn:aws:s3:::icpaXinbox")
    assert glob_match("arn:aws:s3:::icpa.inbox", "arn:aws:s3:::icpa.inbox")


def test_explicit_deny_wins_and_nothing_granted_is_an_implicit_deny() -> None:
    policy = [allow("s3:*", "*"), {"Sid": "NoDeletes", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]
    assert evaluate(policy, Request("s3:GetObject", f"{BUCKET}/k")).allowed
    denied = evaluate(policy, Request("s3:DeleteObject", f"{BUCKET}/k"))
    assert not denied.allowed and denied.matched == ("NoDeletes",)
    assert not evaluate([], Request("s3:GetObject", f"{BUCKET}/k")).allowed


def test_not_action_and_not_resource() -> None:
    policy = [{"Effect": "Allow", "NotAction": "iam:*", "NotResource": f"{BUCKET}/secret/*"}]
    assert evaluate(policy, Request("s3:GetObject", f"{BUCKET}/claims/1")).allowed
    assert not evaluate(policy, Request("s3:GetObject", f"{BUCKET}/secret/1")).allowed
    assert not evaluate(policy, Request("iam:PassRole", "*")).allowed


def test_an_unmet_condition_means_the_statement_does_not_apply_not_a_deny() -> None:
    # moto's IAMPolicyStatement would turn the first statement's unmet condition into a DENY
    policy = [
        allow("s3:ListBucket", BUCKET, Condition={"StringLike": {"s3:prefix": ["claims/*"]}}),
        allow("s3:ListBucket", BUCKET, Condition={"StringEquals": {"s3:prefix": "other/"}}),
    ]
    assert evaluate(policy, Request("s3:ListBucket", BUCKET, {"s3:prefix": "claims/CLM-1"})).allowed
    assert evaluate(policy, Request("s3:ListBucket", BUCKET, {"s3:prefix": "other/"})).allowed
    assert not evaluate(policy, Request("s3:ListBucket", BUCKET, {"s3:prefix": ""})).allowed
    assert not evaluate(policy, Request("s3:ListBucket", BUCKET)).allowed  # key missing


def test_condition_keys_are_case_insensitive_values_or_keys_and() -> None:
    condition = {
        "StringEquals": {
            "KMS:ViaService": ["dynamodb.us-east-1.amazonaws.com", "s3.us-east-1.amazonaws.com"],
            "kms:CallerAccount": "123456789012",
        }
    }
    policy = [allow("kms:Decrypt", KEY, Condition=condition)]
    ok = {"kms:viaservice": "s3.us-east-1.amazonaws.com", "kms:CallerAccount": "123456789012"}
    assert evaluate(policy, Request("kms:Decrypt", KEY, ok)).allowed
    assert not evaluate(policy, Request("kms:Decrypt", KEY, {**ok, "kms:CallerAccount": "999999999999"})).allowed


def test_arn_like_bool_null_if_exists_and_set_operators() -> None:
    arn_like = allow(
        "kms:Decrypt", KEY, Condition={"ArnLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::icpa-*"}}
    )
    assert evaluate([arn_like], Request("kms:Decrypt", KEY, {"kms:EncryptionContext:aws:s3:arn": BUCKET})).allowed
    other = {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::x"}
    assert not evaluate([arn_like], Request("kms:Decrypt", KEY, other)).allowed
    deny_insecure = {
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    base = [allow("*", "*"), deny_insecure]
    assert evaluate(base, Request("s3:GetObject", BUCKET, {"aws:SecureTransport": True})).allowed
    assert not evaluate(base, Request("s3:GetObject", BUCKET, {"aws:SecureTransport": False})).allowed
    null = allow("s3:PutObject", "*", Condition={"Null": {"s3:x-amz-server-side-encryption": "true"}})
    assert evaluate([null], Request("s3:PutObject", BUCKET)).allowed
    assert not evaluate([null], Request("s3:PutObject", BUCKET, {"s3:x-amz-server-side-encryption": "aws:kms"})).allowed
    if_exists = allow("s3:PutObject", "*", Condition={"StringEqualsIfExists": {"s3:x-amz-acl": "private"}})
    assert evaluate([if_exists], Request("s3:PutObject", BUCKET)).allowed
    assert not evaluate([if_exists], Request("s3:PutObject", BUCKET, {"s3:x-amz-acl": "public-read"})).allowed
    any_value = allow("dynamodb:GetItem", "*", Condition={"ForAnyValue:StringEquals": {"dynamodb:Attributes": ["a"]}})
    assert evaluate([any_value], Request("dynamodb:GetItem", TABLE, {"dynamodb:Attributes": ["b", "a"]})).allowed
    assert not evaluate([any_value], Request("dynamodb:GetItem", TABLE, {"dynamodb:Attributes": ["b"]})).allowed


def test_negated_operators_need_every_policy_value_to_differ() -> None:
    policy = [allow("sns:Publish", "*", Condition={"StringNotEquals": {"aws:SourceAccount": ["111", "222"]}})]
    assert evaluate(policy, Request("sns:Publish", "*", {"aws:SourceAccount": "333"})).allowed
    assert not evaluate(policy, Request("sns:Publish", "*", {"aws:SourceAccount": "222"})).allowed


@pytest.mark.parametrize(
    "condition",
    [
        {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},  # an operator the evaluator does not model
        {"StringEquals": {"aws:username": "${aws:username}"}},  # a policy variable
    ],
)
def test_what_it_cannot_decide_fails_closed_and_says_so(condition: dict[str, Any]) -> None:
    request = Request("s3:GetObject", f"{BUCKET}/k", {"aws:SourceIp": "10.1.1.1", "aws:username": "u"})
    allowed = evaluate([allow("s3:GetObject", "*", Condition=condition)], request)
    assert not allowed.allowed and "failed closed" in allowed.notes[0]
    deny = {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": condition}
    denied = evaluate([allow("s3:*", "*"), deny], request)
    assert not denied.allowed and denied.notes
