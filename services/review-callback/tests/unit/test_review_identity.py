"""identify(): the reviewer comes from the authorizer's request context, and only there."""

from __future__ import annotations

from typing import Any

import pytest

from icpa_review_callback.domain.identity import (
    AuthError,
    Reviewer,
    ReviewerAccess,
    groups_of,
    iam_reviewer_id,
    identify,
)

ACCESS = ReviewerAccess(
    group="claims-reviewers", role_arn_prefix="arn:aws:sts::123456789012:assumed-role/claims-reviewer/"
)


def cognito(**claims: Any) -> dict[str, Any]:
    return {"authorizer": {"claims": claims}, "identity": {"userArn": None}}


def iam(user_arn: str) -> dict[str, Any]:
    return {"identity": {"userArn": user_arn}}


def test_a_cognito_reviewer_is_identified_by_sub() -> None:
    who = identify(
        cognito(sub="3f1c2d3e-4a5b", **{"cognito:username": "alice", "cognito:groups": "claims-reviewers"}), ACCESS
    )
    assert who == Reviewer("3f1c2d3e-4a5b", "cognito")


def test_the_username_is_used_when_the_token_has_no_sub() -> None:
    who = identify(cognito(**{"cognito:username": "alice", "cognito:groups": "claims-reviewers"}), ACCESS)
    assert who == Reviewer("alice", "cognito")


@pytest.mark.parametrize(
    "groups",
    [
        "claims-reviewers",
        "admins,claims-reviewers",
        "[admins claims-reviewers]",
        "[claims-reviewers]",
        ["claims-reviewers"],
    ],
)
def test_the_groups_claim_is_read_in_every_shape_api_gateway_renders(groups: Any) -> None:
    who = identify(cognito(sub="u1", **{"cognito:groups": groups}), ACCESS)
    assert isinstance(who, Reviewer)


def test_a_member_of_another_group_is_forbidden_and_named() -> None:
    who = identify(cognito(sub="u1", **{"cognito:groups": "claims-reviewers-trainees,admins"}), ACCESS)
    assert who == AuthError(403, "not in the reviewer group", principal="u1")


def test_a_token_without_groups_is_forbidden() -> None:
    assert identify(cognito(sub="u1"), ACCESS) == AuthError(403, "not in the reviewer group", principal="u1")


@pytest.mark.parametrize(
    "context", [None, {}, {"identity": {"userArn": None}}, {"authorizer": {"claims": {}}}, {"authorizer": None}]
)
def test_no_identity_is_unauthenticated(context: Any) -> None:
    who = identify(context, ACCESS)
    assert isinstance(who, AuthError)
    assert who.status == 401


def test_a_subject_outside_the_reviewer_id_alphabet_is_unauthenticated() -> None:
    who = identify(cognito(sub="alice smith/../x", **{"cognito:groups": "claims-reviewers"}), ACCESS)
    assert isinstance(who, AuthError)
    assert who.status == 401


def test_an_allowed_iam_role_is_a_reviewer() -> None:
    who = identify(iam("arn:aws:sts::123456789012:assumed-role/claims-reviewer/alice"), ACCESS)
    assert who == Reviewer("iam:123456789012:assumed-role:claims-reviewer:alice", "iam")


def test_a_role_whose_name_only_starts_like_the_allowed_one_is_forbidden() -> None:
    who = identify(iam("arn:aws:sts::123456789012:assumed-role/claims-reviewer-admin/mallory"), ACCESS)
    assert isinstance(who, AuthError)
    assert who.status == 403
    assert who.principal == "iam:123456789012:assumed-role:claims-reviewer-admin:mallory"


def test_iam_principals_are_never_reviewers_when_no_prefix_is_configured() -> None:
    who = identify(iam("arn:aws:sts::123456789012:assumed-role/claims-reviewer/alice"), ReviewerAccess(group="g"))
    assert isinstance(who, AuthError)
    assert who.status == 403


def test_cognito_claims_take_precedence_over_an_iam_identity() -> None:
    context = cognito(sub="u1", **{"cognito:groups": "claims-reviewers"})
    context["identity"] = {"userArn": "arn:aws:sts::123456789012:assumed-role/other/x"}
    assert identify(context, ACCESS) == Reviewer("u1", "cognito")


def test_groups_of_ignores_non_text() -> None:
    assert groups_of(None) == frozenset()
    assert groups_of(42) == frozenset()
    assert groups_of(" a , b ") == frozenset({"a", "b"})


def test_iam_reviewer_id_rejects_arns_it_cannot_name() -> None:
    assert iam_reviewer_id("not-an-arn") is None
    assert iam_reviewer_id("arn:aws:sts::123456789012:assumed-role/r/a+b=c") is None
