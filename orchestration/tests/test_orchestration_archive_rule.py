"""The deployed archive rule is the committed rule file the local cloud runs."""

from __future__ import annotations

from typing import Any

from orchestration_testkit import with_placeholder

from icpa_orchestration import archive_rule

PLACEHOLDER = "<<StateMachine>>"


def test_template_archive_rule_is_the_rule_file(resources: dict[str, dict[str, Any]]) -> None:
    deployed = with_placeholder(resources["ArchiveExecutionRule"]["Properties"], "ClaimsStateMachine", PLACEHOLDER)
    rule = archive_rule({"StateMachineArn": PLACEHOLDER})
    assert deployed["EventPattern"] == rule["EventPattern"]
    assert deployed["Description"] == rule["Description"]
    (target,) = deployed["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["ArchiverFunction", "Arn"]}
