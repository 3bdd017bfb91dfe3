"""IAM fidelity: every AWS call each function (and the state machine, and the inbox rule's
target) makes on every workflow path, evaluated against its role in orchestration/template.yaml.

moto models neither IAM nor KMS: a role missing a grant (the data key for a table the function
reads) stays green locally and fails every claim on AWS. Here the real ASL and the real
handlers run once over every path (auto approve and deny, human approve and deny through the
review API, review timeout to PENDED, rejected, crash to ERROR, a retried review request, the
archiver, redeliveries, an X12 interchange split,
re-sent and rejected, steps retried after their audit write on a claim document written before
policy snapshots), with each principal's calls recorded (icpa_local.callrecorder), and
icpa_orchestration.iam.check says which call no statement allows and which grant no call used.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfnlint.decode import cfn_yaml

from icpa_local import moto_patches
from icpa_local.callrecorder import STATE_MACHINE, CallRecorder, rule_principal, unrecorded
from icpa_local.cloud import LocalCloud
from icpa_local.functions import FUNCTIONS, load_handler
from icpa_local.interchanges import execution_arn, split_execution_names
from icpa_local.resources import ACCOUNT, REGION
from icpa_orchestration.iam.check import AllowListEntry, Call, Report, check, load_allowlist, usage_table
from icpa_orchestration.iam.policy import action_matches
from icpa_orchestration.iam.template import TemplateModel

TEMPLATE_PATH = Path("orchestration/template.yaml")
ALLOWLIST_PATH = Path("orchestration/iam-allowlist.toml")
# The widest deployment: with a Bedrock agent configured, its grants are in the roles too.
PARAMETERS = {"Environment": "dev", "BedrockAgentId": "AGENT00001", "BedrockAgentAliasId": "ALIAS00001"}
DATA_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/DataKey"


def sample(name: str) -> bytes:
    return resources.files("icpa_local").joinpath(f"samples/{name}").read_bytes()


def template() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(cfn_yaml.load(str(TEMPLATE_PATH))))
    return loaded


def _review(cloud: LocalCloud, name: str, decision: str) -> str:
    arn = cloud.upload(sample(name), name)
    assert cloud.wait(arn) == "WAITING_FOR_REVIEW"
    review_id = cloud.pending_review_for(arn)
    assert review_id is not None
    assert cloud.review_api("GET", "/reviews", reviewer="alice")[0] == 200
    assert cloud.review_api("GET", f"/reviews/{review_id}", reviewer="alice")[0] == 200
    assert cloud.answer_review(review_id, decision, reviewer="alice", rationale="Checked the records.")[0] == 200
    assert cloud.answer_review(review_id, "DENY", reviewer="bob", rationale="A second answer.")[0] == 409
    # What the reviewer console reads: the decided reviews and the claim's audit timeline.
    assert cloud.review_api("GET", "/reviews?status=DECIDED", reviewer="bob")[0] == 200
    assert cloud.review_api("GET", f"/reviews/{review_id}/audit", reviewer="bob")[0] == 200
    assert cloud.wait(arn, stop_at_review=False) == "SUCCEEDED"
    return str(cloud.result(arn).outcome)


def _x12(cloud: LocalCloud) -> set[str]:
    """An X12 interchange split into its claim executions, the same interchange uploaded again
    (the kept original is checked, nothing restarts), and a rejected one (its 999 written)."""
    outcomes = set()
    for key in ("x12-837i-approve-institutional.837", "x12-again.x12"):
        arn = cloud.upload(sample("x12-837i-approve-institutional.837"), key)
        assert cloud.wait(arn) == "SUCCEEDED"
        for name in split_execution_names(cloud.history(arn)):
            child = execution_arn(cloud.names.state_machine_arn(), name)
            assert cloud.wait(child) == "SUCCEEDED"
            outcomes.add(str(cloud.result(child).outcome))
    rejected = "x12-rejected-missing-claim-charge.837"
    outcomes.add(str(cloud.process(sample(rejected), rejected).outcome))
    return outcomes


def _redeliver(cloud: LocalCloud, name: str) -> None:
    """EventBridge delivers at least once: the same upload event again, through the inbox rule.
    Its execution finds the object registered and its decision taken (Intake's conditional
    UpdateItem on the claims item), writes nothing else and ends with the owner's."""
    from moto.events.models import events_backends

    started: list[tuple[str, dict[str, Any]]] = []

    def seen(arn: str, event: dict[str, Any]) -> None:
        started.append((arn, event))

    moto_patches.STATE.on_execution_started.append(seen)
    try:
        first = cloud.upload(sample(name), name)
        assert cloud.wait(first) == "SUCCEEDED"
        event = next(e for arn, e in started if arn == first)
        rule = events_backends[ACCOUNT][REGION].event_buses["default"].rules[cloud.names.inbox_rule]
        rule.send_to_targets(event)  # type: ignore[arg-type]  # moto types the event as a TypedDict
        again = started[-1][0]
        assert again != first and cloud.wait(again) == "SUCCEEDED"
    finally:
        moto_patches.STATE.on_execution_started.remove(seen)


def _run_every_path() -> tuple[list[Call], set[str]]:
    outcomes: set[str] = set()
    with CallRecorder() as recorder:
        with LocalCloud(time_scale=0.001) as cloud:
            for name in (
                "approve-office-visit.json",
                "deny-lapsed-policy.json",
                "duplicate-original.json",
                "duplicate-resubmitted.json",
                "rejected-invalid-codes.json",
                "rejected-malformed.json",
            ):
                outcomes.add(str(cloud.process(sample(name), name).outcome))
            _redeliver(cloud, "approve-lab-panel.json")
            outcomes |= _x12(cloud)
            outcomes.add(_review(cloud, "review-high-amount-surgery.json", "APPROVE"))
            outcomes.add(_review(cloud, "review-partial-prior-auth.json", "DENY"))
            moto_patches.set_time_scale(0.00001)  # nobody answers: the review times out -> PENDED
            try:
                arn = cloud.upload(sample("review-charge-outlier.json"), "review-charge-outlier.json")
                assert cloud.wait(arn, stop_at_review=False, timeout=60) == "SUCCEEDED"
            finally:
                moto_patches.set_time_scale(0.001)
            outcomes.add(str(cloud.result(arn).outcome))

        def crash(event: dict[str, Any], context: Any) -> Any:
            raise KeyError("fee_schedule")

        with LocalCloud(time_scale=0.001, handler_overrides={"AdjudicationFunction": crash}) as cloud:
            outcomes.add(str(cloud.process(sample("approve-office-visit.json"), "approve-office-visit.json").outcome))

        # A review request retried while the review is pending reopens it with the new token;
        # retried after the reviewer answered, it resumes the workflow with the stored decision
        # (ReviewRequest's own SendTaskSuccess).
        real_request = load_handler("ReviewRequestFunction")
        clouds: list[LocalCloud] = []

        def retried_after_decision(event: dict[str, Any], context: Any) -> Any:
            real_request(event, context)
            real_request(event, context)
            with unrecorded():  # the test's own read, not the function's
                review_id = clouds[0].pending_review_for(event["execution_id"])
            assert review_id is not None
            assert clouds[0].answer_review(review_id, "APPROVE", reviewer="alice", rationale="Fine.")[0] == 200
            return real_request(event, context)

        overrides = {"ReviewRequestFunction": retried_after_decision}
        with LocalCloud(time_scale=0.001, handler_overrides=overrides) as cloud:
            clouds.append(cloud)
            arn = cloud.upload(sample("review-waiting-period.json"), "review-waiting-period.json")
            assert cloud.wait(arn, stop_at_review=False, timeout=30) == "SUCCEEDED"
            outcomes.add(str(cloud.result(arn).outcome))

        # A step retried after its audit write (the ASL's Retry on a Lambda error once the
        # function had run): its append on the head in state is refused, and it reads the chain
        # to find its own event (the audit Query each step still needs off the happy path).
        def retried_after_write(function: str) -> Any:
            real = load_handler(function)

            def twice(event: dict[str, Any], context: Any) -> Any:
                real(event, context)
                return real(event, context)

            return twice

        # Intake too (its second run finds the object registered by its own execution, claims
        # the decision and reads the chain for its event), with its claim document as Intake
        # wrote it before it kept the policy snapshot (an execution in flight across the
        # deploy): Fraud and Adjudication read the policy table.
        real_intake = retried_after_write("IntakeFunction")

        def intake_before_snapshots(event: dict[str, Any], context: Any) -> Any:
            result = real_intake(event, context)
            with unrecorded():  # the test's own rewrite, not the function's
                bucket, key = result["claim_uri"].removeprefix("s3://").split("/", 1)
                s3 = boto3.client("s3", region_name=REGION)
                document = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
                document.pop("policy_snapshot")
                s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(document).encode())
            return result

        retried = {f: retried_after_write(f) for f in ("FraudFunction", "AdjudicationFunction", "RouterFunction")}
        retried["IntakeFunction"] = intake_before_snapshots
        with LocalCloud(time_scale=0.001, handler_overrides=retried) as cloud:
            outcomes.add(str(cloud.process(sample("approve-office-visit.json"), "approve-office-visit.json").outcome))
    calls = [Call(c.principal, c.service, c.operation, c.params) for c in recorder.calls]
    return calls, outcomes


@pytest.fixture(scope="module")
def recorded() -> Iterator[tuple[list[Call], set[str]]]:
    yield _run_every_path()


@pytest.fixture(scope="module")
def calls(recorded: tuple[list[Call], set[str]]) -> list[Call]:
    return recorded[0]


@pytest.fixture(scope="module")
def allowlist() -> list[AllowListEntry]:
    return load_allowlist(ALLOWLIST_PATH.read_text(encoding="utf-8"))


def run_check(calls: list[Call], allowlist: list[AllowListEntry], tpl: dict[str, Any] | None = None) -> Report:
    return check(TemplateModel(tpl or template(), PARAMETERS), calls, allowlist)


def test_every_path_and_every_principal_ran(recorded: tuple[list[Call], set[str]]) -> None:
    calls, outcomes = recorded
    assert {"APPROVED", "DENIED", "PENDED", "REJECTED", "ERROR"} <= outcomes
    principals = {c.principal for c in calls}
    # every function that makes AWS calls, the workflow's own invokes, the inbox rule's target
    assert set(FUNCTIONS) <= principals
    assert {STATE_MACHINE, rule_principal("icpa-claims-inbox")} <= principals


def test_every_recorded_call_is_allowed_by_its_role(calls: list[Call], allowlist: list[AllowListEntry]) -> None:
    report = run_check(calls, allowlist)
    assert report.unmapped == []
    assert report.denied == [], "\n".join(report.denied)


def test_every_granted_action_is_exercised_or_allow_listed(calls: list[Call], allowlist: list[AllowListEntry]) -> None:
    report = run_check(calls, allowlist)
    assert report.unused == [], "\n".join(report.unused)
    assert report.stale_allowlist == [], "\n".join(report.stale_allowlist)


def _without_kms(tpl: dict[str, Any], role: str) -> dict[str, Any]:
    changed = copy.deepcopy(tpl)
    for policy in changed["Resources"][role]["Properties"]["Policies"]:
        statements = policy["PolicyDocument"]["Statement"]
        policy["PolicyDocument"]["Statement"] = [
            s for s in statements if not (isinstance(s, dict) and "kms:Decrypt" in json.dumps(s.get("Action")))
        ]
    return changed


def test_a_role_without_the_data_key_fails_naming_role_action_and_key(
    calls: list[Call], allowlist: list[AllowListEntry]
) -> None:
    report = run_check(calls, allowlist, _without_kms(template(), "RouterFunctionRole"))
    router = [d for d in report.denied if d.startswith("RouterFunctionRole:")]
    assert any("kms:Decrypt" in d and DATA_KEY_ARN in d for d in router), report.denied
    assert all(not d.startswith("RouterFunctionRole:") or "kms:" in d for d in report.denied)


def test_a_new_call_without_its_grant_fails(calls: list[Call], allowlist: list[AllowListEntry]) -> None:
    extra = Call("RouterFunction", "s3", "GetObject", {"Bucket": "icpa-documents", "Key": "claims/CLM-1.json"})
    report = run_check([*calls, extra], allowlist)
    bucket = "arn:aws:s3:::icpa-documents-dev-123456789012-us-east-1"
    assert f"RouterFunctionRole: s3:GetObject on {bucket}/claims/CLM-1.json" in "\n".join(report.denied)


def test_a_call_the_check_cannot_map_fails(calls: list[Call], allowlist: list[AllowListEntry]) -> None:
    extra = Call("RouterFunction", "dynamodb", "CreateBackup", {"TableName": "icpa-claims", "BackupName": "b"})
    report = run_check([*calls, extra], allowlist)
    assert any("RouterFunction" in u and "dynamodb.CreateBackup" in u for u in report.unmapped)


def test_an_unused_grant_without_its_allowlist_entry_fails(calls: list[Call], allowlist: list[AllowListEntry]) -> None:
    assert allowlist, "the allow-list is empty: this test needs an entry to drop"
    for dropped in allowlist:
        report = run_check(calls, [e for e in allowlist if e != dropped])
        dropped_lines = [
            u
            for u in report.unused
            if u.startswith(f"{dropped.role}: ") and action_matches(dropped.action, u.split(" ", 2)[1])
        ]
        assert dropped_lines, dropped
        assert not report.stale_allowlist


def test_an_allowlist_entry_for_a_used_action_is_stale(calls: list[Call], allowlist: list[AllowListEntry]) -> None:
    used = AllowListEntry("RouterFunctionRole", "dynamodb:PutItem", "pretend it is unused")
    report = run_check(calls, [*allowlist, used])
    assert any("RouterFunctionRole dynamodb:PutItem" in s for s in report.stale_allowlist)


def test_usage_table_lists_every_role(calls: list[Call], allowlist: list[AllowListEntry]) -> None:
    report = run_check(calls, allowlist)
    table = usage_table(report)
    for function in FUNCTIONS:
        assert f"| {function}Role |" in table
    assert "| StateMachineRole |" in table and "| ClaimsInboxRuleRole |" in table
