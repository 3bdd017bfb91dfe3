"""The local cloud's resources: the same names and key schemas as the SAM template
(orchestration/template.yaml; a test keeps the two equal)."""

from __future__ import annotations

from dataclasses import dataclass
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
    idempotency_table: str = "icpa-idempotency"
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
            "ICPA_IDEMPOTENCY_TABLE": self.idempotency_table,
            "ICPA_QUARANTINE_BUCKET": self.quarantine_bucket,
            "ICPA_ARCHIVE_BUCKET": self.archive_bucket,
            "ICPA_REVIEWS_TABLE": self.reviews_table,
            "ICPA_REVIEW_TOPIC_ARN": self.topic_arn(self.reviewers_topic),
            "ICPA_SUPERVISOR_TOPIC_ARN": self.topic_arn(self.supervisors_topic),
            "ICPA_FRAUD_MODEL_PROVIDER": "deterministic",
        }


def _s(name: str) -> dict[str, str]:
    return {"AttributeName": name, "AttributeType": "S"}


def table_definitions(names: Names) -> list[dict[str, Any]]:
    """CreateTable requests: keys and indexes exactly as in the template."""
    return [
        {
            "TableName": names.claims_table,
            "KeySchema": [{"AttributeName": "claim_id", "KeyType": "HASH"}],
            "AttributeDefinitions": [_s("claim_id"), _s("member_id"), _s("provider_npi"), _s("service_date")],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "member-date-index",
                    "KeySchema": [
                        {"AttributeName": "member_id", "KeyType": "HASH"},
                        {"AttributeName": "service_date", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                },
                {
                    "IndexName": "provider-date-index",
                    "KeySchema": [
                        {"AttributeName": "provider_npi", "KeyType": "HASH"},
                        {"AttributeName": "service_date", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                },
            ],
        },
        {
            "TableName": names.policies_table,
            "KeySchema": [{"AttributeName": "policy_id", "KeyType": "HASH"}],
            "AttributeDefinitions": [_s("policy_id")],
        },
        {
            "TableName": names.idempotency_table,
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [_s("id")],
        },
        {
            "TableName": names.reviews_table,
            "KeySchema": [{"AttributeName": "review_id", "KeyType": "HASH"}],
            "AttributeDefinitions": [_s("review_id"), _s("status"), _s("created_at")],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "status-index",
                    "KeySchema": [
                        {"AttributeName": "status", "KeyType": "HASH"},
                        {"AttributeName": "created_at", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        },
        {
            "TableName": names.audit_table,
            "KeySchema": [
                {"AttributeName": "claim_id", "KeyType": "HASH"},
                {"AttributeName": "sequence", "KeyType": "RANGE"},
            ],
            "AttributeDefinitions": [_s("claim_id"), {"AttributeName": "sequence", "AttributeType": "N"}],
        },
    ]
