"""The deployed inbox rule is the committed rule file (the one the local cloud runs), and what it
produces from a real S3 "Object Created" event is a valid WorkflowState."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from orchestration_testkit import with_placeholder

from icpa_orchestration import apply_input_transformer, inbox_rule
from icpa_shared.contracts import WorkflowState

BUCKET = "icpa-inbox-dev-123456789012-us-east-1"
PLACEHOLDER = "<<InboxBucket>>"

# AWS's documented shape of an S3 "Object Created" event on EventBridge (S3 User Guide,
# "EventBridge event message structure"), with this stack's bucket.
S3_OBJECT_CREATED: dict[str, Any] = {
    "version": "0",
    "id": "17793124-05d4-b198-2fde-7ededc63b103",
    "detail-type": "Object Created",
    "source": "aws.s3",
    "account": "123456789012",
    "time": "2021-11-12T00:00:00Z",
    "region": "us-east-1",
    "resources": [f"arn:aws:s3:::{BUCKET}"],
    "detail": {
        "version": "0",
        "bucket": {"name": BUCKET},
        "object": {
            "key": "claims/CLM-0001.json",
            "size": 5,
            "etag": "b1946ac92492d2347c6235b4d2611184",
            "version-id": "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",
            "sequencer": "617f08299329d189",
        },
        "request-id": "N4N7GDK58NMKJ12R",
        "requester": "123456789012",
        "source-ip-address": "1.2.3.4",
        "reason": "PutObject",
    },
}


def matches(pattern: Any, event: Any) -> bool:
    """The subset of EventBridge pattern matching the rule uses: exact values and prefix."""
    if isinstance(pattern, dict):
        return isinstance(event, dict) and all(k in event and matches(p, event[k]) for k, p in pattern.items())
    return any(
        (isinstance(option, dict) and isinstance(event, str) and event.startswith(option["prefix"])) or option == event
        for option in pattern
    )


@pytest.fixture(scope="module")
def rule_file() -> dict[str, Any]:
    return inbox_rule({"InboxBucketName": PLACEHOLDER})


@pytest.fixture(scope="module")
def deployed(resources: dict[str, dict[str, Any]]) -> dict[str, Any]:
    rule = resources["ClaimsInboxRule"]["Properties"]
    return with_placeholder(rule, "InboxBucket", PLACEHOLDER)  # type: ignore[no-any-return]


def test_template_event_pattern_is_the_rule_files(deployed: dict[str, Any], rule_file: dict[str, Any]) -> None:
    assert deployed["EventPattern"] == rule_file["EventPattern"]


def test_template_input_transformer_is_the_rule_files(deployed: dict[str, Any], rule_file: dict[str, Any]) -> None:
    (target,) = deployed["Targets"]

    assert target["InputTransformer"] == rule_file["InputTransformer"]


def test_template_description_is_the_rule_files(deployed: dict[str, Any], rule_file: dict[str, Any]) -> None:
    assert deployed["Description"] == rule_file["Description"]


def test_rule_listens_on_the_default_bus_and_starts_the_workflow(deployed: dict[str, Any]) -> None:
    (target,) = deployed["Targets"]

    assert deployed["EventBusName"] == "default"
    assert deployed["State"] == "ENABLED"
    assert target["Arn"] == {"Ref": "ClaimsStateMachine"}
    assert target["RoleArn"] == {"Fn::GetAtt": ["ClaimsInboxRuleRole", "Arn"]}
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["EventsDeadLetterQueue", "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0


def test_inbox_bucket_sends_events_to_eventbridge(resources: dict[str, dict[str, Any]]) -> None:
    props = resources["InboxBucket"]["Properties"]

    assert props["NotificationConfiguration"]["EventBridgeConfiguration"]["EventBridgeEnabled"] is True
    assert props["VersioningConfiguration"]["Status"] == "Enabled"


def test_the_documented_event_matches_the_rule(rule_file: dict[str, Any]) -> None:
    pattern = inbox_rule({"InboxBucketName": BUCKET})["EventPattern"]

    assert matches(pattern, S3_OBJECT_CREATED)


@pytest.mark.parametrize(
    ("path", "value"),
    [(("detail", "object", "key"), "other/CLM-0001.json"), (("detail", "bucket", "name"), "someone-elses-bucket")],
)
def test_uploads_elsewhere_do_not_start_the_workflow(path: tuple[str, ...], value: str) -> None:
    pattern = inbox_rule({"InboxBucketName": BUCKET})["EventPattern"]
    event = copy.deepcopy(S3_OBJECT_CREATED)
    node = event
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value

    assert not matches(pattern, event)


def test_transformed_event_is_a_valid_workflow_state(rule_file: dict[str, Any]) -> None:
    # When EventBridge applies the rule's transformer to the documented event
    workflow_input = apply_input_transformer(rule_file["InputTransformer"], S3_OBJECT_CREATED)

    # Then the state machine receives a WorkflowState describing exactly that object
    state = WorkflowState.model_validate(workflow_input)
    obj = S3_OBJECT_CREATED["detail"]["object"]
    assert state.source.bucket == BUCKET
    assert state.source.key == obj["key"]
    assert state.source.etag == obj["etag"]
    assert state.source.size == obj["size"]
    assert state.source.version_id == obj["version-id"]
    assert state.source.event_time is not None
    assert state.source.event_time.isoformat() == "2021-11-12T00:00:00+00:00"
    assert state.intake is None and state.final is None


def test_transformed_event_from_an_unversioned_object_is_valid(rule_file: dict[str, Any]) -> None:
    # S3 omits version-id when versioning is off: the transformer yields null, still valid.
    event = copy.deepcopy(S3_OBJECT_CREATED)
    del event["detail"]["object"]["version-id"]

    state = WorkflowState.model_validate(apply_input_transformer(rule_file["InputTransformer"], event))

    assert state.source.version_id is None


def test_transformed_event_with_quotes_in_the_key_stays_valid_json(rule_file: dict[str, Any]) -> None:
    event = copy.deepcopy(S3_OBJECT_CREATED)
    event["detail"]["object"]["key"] = 'claims/odd "name".json'

    state = WorkflowState.model_validate(apply_input_transformer(rule_file["InputTransformer"], event))

    assert state.source.key == 'claims/odd "name".json'


# The EventBridge "Object Created" event carries the key as S3 stores it (S3 User Guide,
# "EventBridge event message structure": no URL-encoding, unlike the SNS/SQS/Lambda
# notifications' form-encoded `my+claim.json`); moto 5.2.5 sends it the same way.
ODD_KEYS = [
    "claims/my claim.json",
    "claims/my+claim.json",
    "claims/100% %20 %zz.json",
    'claims/"q" \\ back\\"slash.json',
    "claims/réclamation 请求 🦷.json",
    "claims/<bucket> {brace} <key>.json",
    "claims/" + "ü" * 504 + ".json",
]


@pytest.mark.parametrize("key", ODD_KEYS)
def test_any_key_s3_accepts_reaches_the_workflow_exactly(rule_file: dict[str, Any], key: str) -> None:
    event = copy.deepcopy(S3_OBJECT_CREATED)
    event["detail"]["object"]["key"] = key

    state = WorkflowState.model_validate(apply_input_transformer(rule_file["InputTransformer"], event))

    assert state.source.key == key
    assert state.source.uri == f"s3://{BUCKET}/{key}"
