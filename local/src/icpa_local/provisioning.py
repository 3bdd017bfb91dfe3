"""Provisioning the local cloud: what the deployment template declares, made on moto.
Idempotent: safe to run again at every start, on a restored data directory too."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from importlib import resources
from typing import Any

from icpa_local.functions import FUNCTIONS
from icpa_local.resources import ACCOUNT, Names, table_definitions
from icpa_shared.adapters.items import to_attributes


def _dummy_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("lambda_function.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


def provision(client: Callable[[str], Any], names: Names) -> None:
    """Buckets, tables, topics, functions, the state machine and both rules, as the template
    declares them; what exists already is kept (a restored data directory)."""
    from icpa_orchestration import archive_rule, inbox_rule, render_definition, substitution_names

    n = names
    s3, ddb, sns = client("s3"), client("dynamodb"), client("sns")
    existing_buckets = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket in (n.inbox_bucket, n.documents_bucket, n.quarantine_bucket, n.archive_bucket):
        if bucket not in existing_buckets:
            s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=n.inbox_bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(
        Bucket=n.inbox_bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    tables = set(ddb.list_tables()["TableNames"])
    for definition in table_definitions(n):
        if definition["TableName"] not in tables:
            ddb.create_table(BillingMode="PAY_PER_REQUEST", **definition)
    for topic in (n.reviewers_topic, n.supervisors_topic, n.oncall_topic):
        sns.create_topic(Name=topic)

    iam, lam = client("iam"), client("lambda")
    role_name = "icpa-local-lambda"
    try:
        role_arn = iam.get_role(RoleName=role_name)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    existing_functions = {f["FunctionName"] for f in lam.list_functions()["Functions"]}
    code = _dummy_zip()
    for logical_id in FUNCTIONS:
        if logical_id not in existing_functions:
            lam.create_function(
                FunctionName=logical_id,
                Runtime="python3.11",
                Role=role_arn,
                Handler="lambda_function.handler",
                Code={"ZipFile": code},
                Timeout=60,
            )

    sfn = client("stepfunctions")
    wanted = substitution_names()
    asl = render_definition({f"{fid}Arn": n.function_arn(fid) for fid in FUNCTIONS if f"{fid}Arn" in wanted})
    machines = {m["name"]: m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]}
    if n.state_machine in machines:
        sfn.update_state_machine(stateMachineArn=machines[n.state_machine], definition=asl)
    else:
        sfn.create_state_machine(
            name=n.state_machine,
            definition=asl,
            type="STANDARD",
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/icpa-local-states",
        )

    rule = inbox_rule({"InboxBucketName": n.inbox_bucket})
    events = client("events")
    events.put_rule(Name=n.inbox_rule, EventPattern=json.dumps(rule["EventPattern"]), State="ENABLED")
    events.put_targets(
        Rule=n.inbox_rule,
        Targets=[
            {
                "Id": "claims-workflow",
                "Arn": n.state_machine_arn(),
                "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/icpa-local-events",
                "InputTransformer": rule["InputTransformer"],
            }
        ],
    )
    # The audit archiver gets every finished execution, as on AWS (the same rule file).
    archive = archive_rule({"StateMachineArn": n.state_machine_arn()})
    events.put_rule(Name=n.archive_rule, EventPattern=json.dumps(archive["EventPattern"]), State="ENABLED")
    events.put_targets(Rule=n.archive_rule, Targets=[{"Id": "archiver", "Arn": n.function_arn("ArchiverFunction")}])


def seed_policies(client: Callable[[str], Any], names: Names, policies: list[dict[str, Any]] | None = None) -> int:
    """Put the policies (default: the bundled data/policies.json) in the policies table."""
    if policies is None:
        text = resources.files("icpa_local").joinpath("data/policies.json").read_text()
        policies = json.loads(text)
    ddb = client("dynamodb")
    for policy in policies:
        ddb.put_item(
            TableName=names.policies_table,
            Item=to_attributes({"policy_id": policy["policy_id"], "policy": json.dumps(policy)}),
        )
    return len(policies)
