"""A moto account for the audit service's integration tests: the audit table, the archive
bucket and the claims state machine, with a claim's audit chain recorded on it."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import boto3
from audit_testkit import STATE_MACHINE, T0, status_change_event

from icpa_shared.adapters.audit_store import DynamoAuditStore
from icpa_shared.audit import AuditRecorder
from icpa_shared.contracts.audit import AuditEvent
from icpa_shared.testing.aws import create_audit_table

BUCKET = "icpa-archive"
TABLE = "icpa-audit"
CLAIM_ID = "CLM-2026-0042"


@dataclass
class Cloud:
    s3: Any
    ddb: Any
    sfn: Any
    state_machine_arn: str

    def start(self, name: str) -> str:
        source = {"schema_version": "1.0", "source": {"bucket": "icpa-inbox", "key": f"claims/{name}.json"}}
        return str(
            self.sfn.start_execution(stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(source))[
                "executionArn"
            ]
        )

    def record_chain(self, execution_arn: str) -> list[AuditEvent]:
        store = DynamoAuditStore(TABLE, self.ddb)
        at = T0
        steps = [
            ("intake", "intake", "ACCEPTED", []),
            ("fraud", "fraud", "SCORED_LOW", ["NO_FRAUD_SIGNALS"]),
            ("adjudication", "adjudication", "APPROVED", ["COVERED_SERVICE"]),
            ("router", "router", "AUTO_APPROVE", ["LOW_RISK_WITHIN_LIMITS"]),
            ("router", "decision", "APPROVED", []),
        ]
        for service, step, decision, reasons in steps:
            at += timedelta(seconds=2)
            AuditRecorder(store, service, "1.0.0").record(
                claim_id=CLAIM_ID,
                step=step,
                decision=decision,
                input_value={"step": step},
                output_value={"decision": decision},
                occurred_at=at,
                reason_codes=reasons,
                execution_id=execution_arn,
            )
        return store.events(CLAIM_ID)

    def archived(self, key: str) -> tuple[dict[str, Any], dict[str, Any]]:
        obj = self.s3.get_object(Bucket=BUCKET, Key=key)
        return obj, json.loads(gzip.decompress(obj["Body"].read()))

    def keys(self) -> list[str]:
        return [o["Key"] for o in self.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def make_cloud() -> Iterator[Cloud]:
    """Inside mock_aws: creates the resources and yields the clients."""
    s3 = boto3.client("s3", region_name="us-east-1")
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    create_audit_table(ddb, TABLE)
    machine = sfn.create_state_machine(
        name=STATE_MACHINE,
        definition=json.dumps({"StartAt": "Intake", "States": {"Intake": {"Type": "Pass", "End": True}}}),
        roleArn="arn:aws:iam::123456789012:role/icpa-claims-workflow",
    )
    yield Cloud(s3=s3, ddb=ddb, sfn=sfn, state_machine_arn=machine["stateMachineArn"])


def finished_event(execution_arn: str, name: str, *, output: dict[str, Any] | None) -> dict[str, Any]:
    return status_change_event(
        arn=execution_arn,
        name=name,
        status="SUCCEEDED",
        start=T0,
        stop=T0 + timedelta(seconds=30),
        input_text=json.dumps(
            {"schema_version": "1.0", "source": {"bucket": "icpa-inbox", "key": f"claims/{name}.json"}}
        ),
        output_text=None if output is None else json.dumps(output),
    )


def approved_output() -> dict[str, Any]:
    return {
        "intake": {"claim_id": CLAIM_ID},
        "record": {"claim_id": CLAIM_ID, "outcome": "APPROVED", "decided_by": "AUTO"},
    }
