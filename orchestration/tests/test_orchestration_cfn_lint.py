"""The template passes cfn-lint (the locked 1.58) with no errors and no warnings."""

from __future__ import annotations

from pathlib import Path

from cfnlint.api import lint_file

TEMPLATE = Path("orchestration/template.yaml")


def _describe(matches: list) -> str:  # type: ignore[type-arg]
    return "\n".join(f"{m.rule.id} line {m.linenumber}: {m.message}" for m in matches)


def test_template_has_no_cfn_lint_errors_or_warnings() -> None:
    # Default rule set: errors (E) and warnings (W); every match counts.
    matches = lint_file(TEMPLATE)

    assert matches == [], "cfn-lint findings:\n" + _describe(matches)


def test_cfn_lint_really_checks_this_template(tmp_path: Path) -> None:
    # Given the template with a typo in one SAM property and one CloudFormation value
    broken = (
        TEMPLATE.read_text()
        .replace("      TracingEnabled: true\n", "      TracingEnable: true\n", 1)
        .replace("TreatMissingData: notBreaching", "TreatMissingData: nope", 1)
    )
    copy = tmp_path / "template.yaml"
    copy.write_text(broken)

    # When it is linted
    rule_ids = {m.rule.id for m in lint_file(copy)}

    # Then both are reported: a clean result above means the checks ran, not that they were skipped
    assert "E3002" in rule_ids  # unknown property on AWS::Serverless::Api
    assert "E3030" in rule_ids  # value not in the allowed set
