"""Settings: the names the template sets, their defaults, and the values they refuse."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from icpa_review_callback.settings import ReviewCallbackSettings


def test_defaults_are_the_local_names() -> None:
    settings = ReviewCallbackSettings()
    assert settings.reviews_table == "icpa-reviews"
    assert settings.review_timeout_seconds == 259_200
    assert settings.reviewer_group == "claims-reviewers"
    assert settings.reviewer_role_arn_prefix is None
    assert settings.review_topic_arn.endswith(":icpa-reviewers")
    assert settings.supervisor_topic_arn.endswith(":icpa-supervisors")
    assert settings.audit_table == "icpa-audit"
    assert settings.documents_bucket == "icpa-documents"


def test_every_setting_is_read_from_its_icpa_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICPA_REVIEWS_TABLE", "prod-reviews")
    monkeypatch.setenv("ICPA_REVIEW_TOPIC_ARN", "arn:aws:sns:eu-west-1:210987654321:reviewers")
    monkeypatch.setenv("ICPA_SUPERVISOR_TOPIC_ARN", "arn:aws:sns:eu-west-1:210987654321:supervisors")
    monkeypatch.setenv("ICPA_REVIEW_TIMEOUT_SECONDS", "3600")
    monkeypatch.setenv("ICPA_REVIEWER_GROUP", "senior-reviewers")
    monkeypatch.setenv("ICPA_REVIEWER_ROLE_ARN_PREFIX", "arn:aws:sts::210987654321:assumed-role/reviewer/")
    settings = ReviewCallbackSettings()
    assert settings.reviews_table == "prod-reviews"
    assert settings.review_topic_arn == "arn:aws:sns:eu-west-1:210987654321:reviewers"
    assert settings.supervisor_topic_arn == "arn:aws:sns:eu-west-1:210987654321:supervisors"
    assert settings.review_timeout_seconds == 3600
    assert settings.reviewer_group == "senior-reviewers"
    assert settings.reviewer_role_arn_prefix == "arn:aws:sts::210987654321:assumed-role/reviewer/"


@pytest.mark.parametrize("prefix", ["arn:aws:sts::210987654321:assumed-role/reviewer", "assumed-role/reviewer/", "*"])
def test_a_role_prefix_that_could_admit_other_roles_is_refused(monkeypatch: pytest.MonkeyPatch, prefix: str) -> None:
    monkeypatch.setenv("ICPA_REVIEWER_ROLE_ARN_PREFIX", prefix)
    with pytest.raises(ValidationError):
        ReviewCallbackSettings()


def test_an_empty_role_prefix_means_no_iam_reviewers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICPA_REVIEWER_ROLE_ARN_PREFIX", "")
    assert ReviewCallbackSettings().reviewer_role_arn_prefix is None


@pytest.mark.parametrize(
    "name,value", [("ICPA_REVIEW_TIMEOUT_SECONDS", "0"), ("ICPA_REVIEW_TOPIC_ARN", "icpa-reviewers")]
)
def test_nonsense_values_fail_at_cold_start(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        ReviewCallbackSettings()
