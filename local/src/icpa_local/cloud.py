"""LocalCloud: the deployed topology on one laptop.

The real ASL runs on moto's Step Functions interpreter; the real handlers run in-process under
their template logical ids; an upload to the inbox bucket starts an execution through the real
EventBridge rule (pattern and input transformer from orchestration/). Retry intervals, waits and
timeouts run on a time scale, so nothing waits real minutes and the ASL stays unchanged.
"""

from __future__ import annotations

import io
import json
import os
import threading
import time
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from icpa_local import logrouting, moto_patches
from icpa_local.functions import FUNCTIONS, load_handler
from icpa_local.resources import ACCOUNT, REGION, Names, table_definitions

TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})
DEFAULT_TIME_SCALE = 0.01
LOCAL_REVIEWER_GROUP = "claims-reviewers"


@dataclass
class ClaimResult:
    """What `icpa process --json` prints for one file."""

    file: str
    claim_id: str | None
    execution_arn: str
    status: str
    outcome: str
    route: str
    reasons: list[str]
    payable_amount: str | None
    transitions: int
    duration_ms: int
    review_id: str | None = None
    states: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "states"}
        return out


def _aws_env() -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",  # noqa: S105 - moto's fake credentials
        "AWS_SESSION_TOKEN": "testing",  # noqa: S105
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "ICPA",
        "POWERTOOLS_SERVICE_NAME": "icpa-local",
    }


def _dummy_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("lambda_function.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


class LocalCloud:
    """Use as a context manager: `with LocalCloud() as cloud: cloud.process(path)`."""

    def __init__(
        self,
        *,
        time_scale: float = DEFAULT_TIME_SCALE,
        names: Names | None = None,
        log_path: Path | None = None,
        handler_overrides: Mapping[str, Callable[[dict[str, Any], Any], Any]] | None = None,
        seed_policies: bool = True,
    ) -> None:
        self.names = names or Names()
        self.time_scale = time_scale
        self.log_path = log_path
        self._overrides = dict(handler_overrides or {})
        self._seed_policies = seed_policies
        self._mock: Any = None
        self._saved_env: dict[str, str | None] = {}
        self._started: dict[tuple[str, str], str] = {}  # (bucket, key) -> execution arn
        self._started_lock = threading.Condition()
        self.logs: logrouting.HandlerLogRouter | None = None
        self._clients: dict[str, Any] = {}

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> LocalCloud:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        env = {**_aws_env(), **self.names.settings_env()}
        for key, value in env.items():
            self._saved_env[key] = os.environ.get(key)
            os.environ[key] = value
        self.logs = logrouting.router()
        self.logs.open(self.log_path)
        moto_patches.install(self.time_scale)
        from moto import mock_aws

        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        from icpa_shared.adapters.aws import reset_clients

        reset_clients()
        self._clients = {}
        moto_patches.STATE.on_execution_started.append(self._record_start)
        self.register_handlers()
        self.provision()

    def stop(self) -> None:
        if self._mock is None:
            return
        self.wait_idle(timeout=5.0)
        if self._record_start in moto_patches.STATE.on_execution_started:
            moto_patches.STATE.on_execution_started.remove(self._record_start)
        self._mock.stop()
        self._mock = None
        if self.logs is not None:
            self.logs.close()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def client(self, service: str) -> Any:
        if service not in self._clients:
            import boto3

            self._clients[service] = boto3.client(service, region_name=REGION)  # type: ignore[call-overload]
        return self._clients[service]

    # -- provisioning (idempotent: safe to run again at every start) ------------------------

    def register_handlers(self) -> None:
        for logical_id in FUNCTIONS:
            moto_patches.STATE.handlers[logical_id] = self._overrides.get(logical_id) or load_handler(logical_id)

    def provision(self) -> None:
        from icpa_orchestration import inbox_rule, render_definition

        n = self.names
        s3, ddb, sns = self.client("s3"), self.client("dynamodb"), self.client("sns")
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

        iam, lam = self.client("iam"), self.client("lambda")
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
                    FunctionName=logical_id, Runtime="python3.11", Role=role_arn,
                    Handler="lambda_function.handler", Code={"ZipFile": code}, Timeout=60,
                )

        sfn = self.client("stepfunctions")
        definition = render_definition({f"{fid}Arn": n.function_arn(fid) for fid in FUNCTIONS if fid != "ReviewApiFunction"})
        machines = {m["name"]: m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]}
        if n.state_machine in machines:
            sfn.update_state_machine(stateMachineArn=machines[n.state_machine], definition=definition)
        else:
            sfn.create_state_machine(
                name=n.state_machine, definition=definition, type="STANDARD",
                roleArn=f"arn:aws:iam::{ACCOUNT}:role/icpa-local-states",
            )

        rule = inbox_rule({"InboxBucketName": n.inbox_bucket})
        events = self.client("events")
        events.put_rule(Name=n.inbox_rule, EventPattern=json.dumps(rule["EventPattern"]), State="ENABLED")
        events.put_targets(
            Rule=n.inbox_rule,
            Targets=[{
                "Id": "claims-workflow",
                "Arn": n.state_machine_arn(),
                "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/icpa-local-events",
                "InputTransformer": rule["InputTransformer"],
            }],
        )
        if self._seed_policies:
            self.seed_policies()

    def seed_policies(self, policies: list[dict[str, Any]] | None = None) -> int:
        if policies is None:
            text = resources.files("icpa_local").joinpath("data/policies.json").read_text()
            policies = json.loads(text)
        ddb = self.client("dynamodb")
        for policy in policies:
            ddb.put_item(
                TableName=self.names.policies_table,
                Item={"policy_id": {"S": policy["policy_id"]}, "policy": {"S": json.dumps(policy)}},
            )
        return len(policies)

    # -- running claims --------------------------------------------------------------------

    def _record_start(self, arn: str, event: dict[str, Any]) -> None:
        detail = event.get("detail", {})
        key = (detail.get("bucket", {}).get("name", ""), detail.get("object", {}).get("key", ""))
        with self._started_lock:
            self._started[key] = arn
            self._started_lock.notify_all()

    def upload(self, body: bytes, key: str) -> str:
        """Put a claim file in the inbox; returns the execution the rule started for it."""
        if not key.startswith("claims/"):
            key = f"claims/{key}"
        with self._started_lock:
            self._started.pop((self.names.inbox_bucket, key), None)
        self.client("s3").put_object(Bucket=self.names.inbox_bucket, Key=key, Body=body)
        with self._started_lock:
            found = self._started_lock.wait_for(lambda: (self.names.inbox_bucket, key) in self._started, timeout=10)
            if not found:
                raise RuntimeError(f"no execution started for s3://{self.names.inbox_bucket}/{key}")
            return self._started[(self.names.inbox_bucket, key)]

    def describe(self, arn: str) -> dict[str, Any]:
        result: dict[str, Any] = self.client("stepfunctions").describe_execution(executionArn=arn)
        return result

    def pending_review_for(self, arn: str) -> str | None:
        """The review id an execution waits on, if its review is pending."""
        ddb = self.client("dynamodb")
        kwargs: dict[str, Any] = {
            "TableName": self.names.reviews_table, "IndexName": "status-index",
            "KeyConditionExpression": "#s = :p", "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":p": {"S": "PENDING"}},
        }
        while True:
            page = ddb.query(**kwargs)
            for item in page.get("Items", []):
                if item.get("execution_id", {}).get("S") == arn:
                    return str(item["review_id"]["S"])
            if "LastEvaluatedKey" not in page:
                return None
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def wait(self, arn: str, *, timeout: float = 60.0, stop_at_review: bool = True) -> str:
        """Wait until the execution ends (or waits on a reviewer); returns its status."""
        deadline = time.monotonic() + timeout
        delay = 0.005
        while True:
            status = str(self.describe(arn)["status"])
            if status in TERMINAL:
                return status
            if stop_at_review and self._waiting_for_review(arn):
                return "WAITING_FOR_REVIEW"
            if time.monotonic() > deadline:
                raise TimeoutError(f"{arn} still {status} after {timeout}s")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.1)

    def _waiting_for_review(self, arn: str) -> bool:
        # The review request handler stores the review (with the execution id) before the
        # workflow parks on its task token, so a PENDING review means: waiting for a reviewer.
        return self.pending_review_for(arn) is not None

    def history(self, arn: str) -> list[dict[str, Any]]:
        sfn = self.client("stepfunctions")
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
        while True:
            page = sfn.get_execution_history(**kwargs)
            events.extend(page["events"])
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Give running executions a moment to finish before tearing the mock down."""
        deadline = time.monotonic() + timeout
        sfn = self.client("stepfunctions")
        try:
            arn = self.names.state_machine_arn()
            while time.monotonic() < deadline:
                running = sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]
                if not running or all(self._waiting_for_review(e["executionArn"]) for e in running):
                    return
                time.sleep(0.02)
        except Exception:  # noqa: BLE001 - best effort at shutdown
            return

    # -- the reviewers' API ----------------------------------------------------------------

    def review_api(
        self, method: str, path: str, *, reviewer: str | None, body: Any = None,
        groups: str = LOCAL_REVIEWER_GROUP,
    ) -> tuple[int, Any]:
        """Call the real review API handler with an API Gateway REST proxy event whose
        authorizer context carries the reviewer's identity (as Cognito would fill it)."""
        from icpa_local.apigateway import rest_event

        event = rest_event(method, path, body=body, reviewer=reviewer, groups=groups)
        handler = moto_patches.STATE.handlers["ReviewApiFunction"]
        response = handler(event, moto_patches.LambdaContext("ReviewApiFunction", "local"))
        payload = response.get("body")
        try:
            payload = json.loads(payload) if payload else None
        except (TypeError, ValueError):
            pass
        return int(response["statusCode"]), payload

    def answer_review(self, review_id: str, decision: str, *, reviewer: str, rationale: str) -> tuple[int, Any]:
        return self.review_api(
            "POST", f"/reviews/{review_id}/decision", reviewer=reviewer,
            body={"decision": decision.upper(), "rationale": rationale},
        )

    # -- results ---------------------------------------------------------------------------

    def claim_record(self, claim_id: str) -> dict[str, Any] | None:
        item = self.client("dynamodb").get_item(
            TableName=self.names.claims_table, Key={"claim_id": {"S": claim_id}}, ConsistentRead=True
        ).get("Item")
        if not item or "record" not in item:
            return None
        record: dict[str, Any] = json.loads(item["record"]["S"])
        return record

    def result(self, arn: str, file: str = "") -> ClaimResult:
        from icpa_local.results import claim_result

        return claim_result(self, arn, file)

    def process(
        self, body: bytes, key: str, *, review: str | None = None, reviewer: str = "cli",
        rationale: str = "Decided from the icpa command line.", timeout: float = 60.0,
    ) -> ClaimResult:
        """Upload one file and follow it to its outcome, answering a review when asked to."""
        arn = self.upload(body, key)
        status = self.wait(arn, timeout=timeout)
        if status == "WAITING_FOR_REVIEW" and review in ("approve", "deny"):
            review_id = self.pending_review_for(arn)
            if review_id is not None:
                code, answer = self.answer_review(review_id, review, reviewer=reviewer, rationale=rationale)
                if code != 200:
                    raise RuntimeError(f"review {review_id} was refused ({code}): {answer}")
                self.wait(arn, timeout=timeout, stop_at_review=False)
        return self.result(arn, file=key.rsplit("/", 1)[-1])
