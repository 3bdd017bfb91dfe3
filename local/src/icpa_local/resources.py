"""The local cloud's resources: the SAM template's (orchestration/template.yaml) key schemas
and functions, read from the template itself, under local names."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

REGION: Final = "us-east-1"
ACCOUNT: Final = "123456789012"


@dataclass(frozen=True)
class Names:
    inbox_bucket: str = "icpa-inbox"
    documents_bucket: str = "icpa-documents"
    quarantine_bucket: str = "icpa-quarantine"
    archive_bucket: str = "icpa-archive"
    claims_table: str = "icpa-claims"
    policies_table: str = "icpa-policies"
    reviews_table: str = "icpa-reviews"
    audit_table: str = "icpa-audit"
    reviewers_topic: str = "icpa-reviewers"
    supervisors_topic: str = "icpa-supervisors"
    oncall_topic: str = "icpa-oncall"
    state_machine: str = "icpa-claims-workflow"
    inbox_rule: str = "icpa-claims-inbox"
    archive_rule: str = "icpa-archive-executions"

    def topic_arn(self, name: str) -> str:
        return f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}"

    def function_arn(self, logical_id: str) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{logical_id}"

    def state_machine_arn(self) -> str:
        return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{self.state_machine}"

    def settings_env(self) -> dict[str, str]:
        """The ICPA_* settings every handler reads at cold start (one process, one env)."""
        return {
            "ICPA_ENVIRONMENT": "local",
            "ICPA_CLAIMS_TABLE": self.claims_table,
            "ICPA_AUDIT_TABLE": self.audit_table,
            "ICPA_DOCUMENTS_BUCKET": self.documents_bucket,
            "ICPA_POLICIES_TABLE": self.policies_table,
            "ICPA_QUARANTINE_BUCKET": self.quarantine_bucket,
            "ICPA_CLAIMS_STATE_MACHINE_ARN": self.state_machine_arn(),
            "ICPA_ARCHIVE_BUCKET": self.archive_bucket,
            "ICPA_REVIEWS_TABLE": self.reviews_table,
            "ICPA_REVIEW_TOPIC_ARN": self.topic_arn(self.reviewers_topic),
            "ICPA_SUPERVISOR_TOPIC_ARN": self.topic_arn(self.supervisors_topic),
            "ICPA_FRAUD_MODEL_PROVIDER": "deterministic",
        }


# Template logical id -> the Names field that names the table locally.
_TABLES: Final = {
    "ClaimsTable": "claims_table",
    "PoliciesTable": "policies_table",
    "ReviewsTable": "reviews_table",
    "AuditTable": "audit_table",
}
_TEMPLATE: Final = Path("orchestration", "template.yaml")
# Where local/src/icpa_local:template puts it in a Pants sandbox and in the PEX's venv.
_PACKAGED: Final = Path("local", "src", "icpa_local", "_template", "template.yaml")


def template_path() -> Path:
    """orchestration/template.yaml, found above this source root: the copy that
    local/src/icpa_local:template packages (a Pants sandbox, the PEX), else the repo's."""
    parents = Path(__file__).resolve().parents
    for candidate in (parent / where for where in (_PACKAGED, _TEMPLATE) for parent in parents):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{_TEMPLATE} is not beside {__file__}")


@functools.cache
def template() -> dict[str, Any]:
    """The SAM template, parsed once on first use (libyaml; tags such as !Ref and !Sub kept as
    {"!Ref": value}, which is all the local cloud reads of them)."""
    import yaml  # type: ignore[import-untyped]  # pants: no-infer-dep (PyYAML comes with moto[server])

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class _Loader(loader):  # type: ignore[misc,valid-type]
        pass

    def _tag(ld: Any, suffix: str, node: Any) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = ld.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = ld.construct_sequence(node, deep=True)
        else:
            value = ld.construct_mapping(node, deep=True)
        return {f"!{suffix}": value}

    _Loader.add_multi_constructor("!", _tag)
    with template_path().open(encoding="utf-8") as f:
        parsed: dict[str, Any] = yaml.load(f, Loader=_Loader)  # noqa: S506 (a SafeLoader)
    return parsed


def resources_of_type(kind: str) -> dict[str, dict[str, Any]]:
    """The template's resources of one type, by logical id, in template order."""
    return {lid: r for lid, r in template()["Resources"].items() if r.get("Type") == kind}


# A deadline setting (the template's function environment) that the ASL's TimeoutSeconds mirror;
# locally the interpreter runs those waits `time_scale` times faster, so the deadline a reviewer is
# shown must shrink with them. The review service refuses less than 60 s (a misconfiguration on AWS).
_SCALED_DEADLINES: Final = ("ICPA_REVIEW_TIMEOUT_SECONDS",)
_MIN_DEADLINE_SECONDS: Final = 60


def scaled_deadlines(time_scale: float) -> dict[str, str]:
    """The template's deadline settings, scaled like the waits they mirror (at least 60 s)."""
    out: dict[str, str] = {}
    for function in resources_of_type("AWS::Serverless::Function").values():
        variables = ((function.get("Properties") or {}).get("Environment") or {}).get("Variables") or {}
        for name in _SCALED_DEADLINES:
            if name in variables:
                out[name] = str(max(_MIN_DEADLINE_SECONDS, round(int(variables[name]) * time_scale)))
    return out


def table_definitions(names: Names) -> list[dict[str, Any]]:
    """CreateTable requests: keys and indexes as the template declares them, local names."""
    definitions = []
    for logical_id, table in resources_of_type("AWS::DynamoDB::Table").items():
        props = table["Properties"]
        definition: dict[str, Any] = {
            "TableName": getattr(names, _TABLES[logical_id]),
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
        }
        if "GlobalSecondaryIndexes" in props:
            definition["GlobalSecondaryIndexes"] = [
                {k: index[k] for k in ("IndexName", "KeySchema", "Projection")}
                for index in props["GlobalSecondaryIndexes"]
            ]
        definitions.append(definition)
    return definitions
