"""What AWS authorizes for one API call: the IAM action(s), the resource ARN each addresses (in
the template's ARN shapes) and the condition keys the request carries, plus what a service
does with the caller's permissions behind the call (KMS on an encrypted table, bucket, topic
or queue).

Sources (AWS Service Authorization Reference and the services' KMS pages):
- DynamoDB: an item or query call is `dynamodb:<Operation>` on `table/<name>` (a query or scan
  on an index: `table/<name>/index/<index>`); on a table encrypted with a customer managed key
  DynamoDB decrypts the table key with the caller's `kms:Decrypt` (kms:ViaService dynamodb).
- S3: GetObject is `s3:GetObject` (`s3:GetObjectVersion` with a VersionId), HeadObject too;
  PutObject `s3:PutObject`; CopyObject reads the source and writes the target; ListObjects(V2)
  is `s3:ListBucket` on the bucket with `s3:prefix`. SSE-KMS: reads need `kms:Decrypt`, writes
  `kms:GenerateDataKey`; with an S3 Bucket Key the encryption context is the bucket ARN.
- SNS Publish / SQS SendMessage to a KMS-encrypted topic or queue: `kms:GenerateDataKey` and
  `kms:Decrypt` for the publisher.
- Step Functions: SendTask* support no resource (`*`); StartExecution the state machine;
  GetExecutionHistory/DescribeExecution the execution ARN.
- Lambda Invoke: `lambda:InvokeFunction` on the function ARN (also the waitForTaskToken task).
- Bedrock agent runtime InvokeAgent: `bedrock:InvokeAgent` on `agent-alias/<agent>/<alias>`.
A call that is not in these tables is an error, not a guess: the check names it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from icpa_orchestration.iam.policy import ConditionValue, Request
from icpa_orchestration.iam.template import ACCOUNT, PARTITION, REGION, TemplateModel

_PREFIX: Final = {"stepfunctions": "states", "bedrock-agent-runtime": "bedrock", "lambda": "lambda"}


class UnmappedCall(LookupError):
    """The check does not know which IAM action or resource a call needs: extend this module."""


@dataclass(frozen=True)
class Need:
    """One authorization a principal's role must grant."""

    request: Request
    why: str  # the call it comes from, and for implicit needs what the service does
    implicit: bool = False


class Authorizations:
    """Maps recorded calls (service, operation, params with local names) to Needs."""

    def __init__(self, model: TemplateModel) -> None:
        self.model = model
        self.local = model.local_names()

    # -- names ---------------------------------------------------------------------------------

    def logical(self, local_name: str, kind: str) -> str:
        found = [lid for lid in self.local.get(local_name, []) if self.model.type_of(lid) in _KINDS[kind]]
        if len(found) != 1:
            raise UnmappedCall(f"no single {kind} in the template for local name {local_name!r}: {found}")
        return found[0]

    def _table(self, name: str) -> tuple[str, str]:
        logical_id = self.logical(name, "table")
        return logical_id, self.model.arn(logical_id)

    def _bucket(self, name: str) -> tuple[str, str]:
        logical_id = self.logical(name, "bucket")
        return logical_id, self.model.arn(logical_id)

    # -- implicit KMS ----------------------------------------------------------------------------

    def _kms(
        self, logical_id: str, actions: list[str], via: str, why: str, context: Mapping[str, ConditionValue]
    ) -> list[Need]:
        key = self.model.kms_key_of(logical_id)
        if key is None or ":alias/" in key or key.startswith("alias/"):
            return []  # AWS owned / managed key: nothing for the caller's role
        ctx: dict[str, ConditionValue] = {
            "kms:ViaService": f"{via}.{REGION}.amazonaws.com",
            "kms:CallerAccount": ACCOUNT,
            **context,
        }
        name = self.model.physical_name(logical_id)
        return [
            Need(Request(a, key, ctx), f"{why}: {via} uses {a} on {name}'s key for the caller", implicit=True)
            for a in actions
        ]

    # -- calls -----------------------------------------------------------------------------------

    def needs(self, service: str, operation: str, params: Mapping[str, Any]) -> list[Need]:
        handler = getattr(self, f"_{service.replace('-', '_')}", None)
        if handler is None:
            raise UnmappedCall(f"no IAM mapping for {service}.{operation}")
        result: list[Need] = handler(operation, params)
        return result

    def _dynamodb(self, operation: str, params: Mapping[str, Any]) -> list[Need]:
        why = f"dynamodb.{operation}"
        tables: list[tuple[str, str | None]] = []
        if operation in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "DescribeTable"):
            tables.append((str(params["TableName"]), params.get("IndexName")))
        elif operation in ("BatchGetItem", "BatchWriteItem"):
            tables.extend((str(name), None) for name in params["RequestItems"])
        elif operation in ("TransactWriteItems", "TransactGetItems"):
            for item in params["TransactItems"]:
                ((_, body),) = item.items()
                tables.append((str(body["TableName"]), None))
        else:
            raise UnmappedCall(f"no IAM mapping for dynamodb.{operation}")
        action = {
            "TransactWriteItems": None,
            "TransactGetItems": "dynamodb:GetItem",
        }.get(operation, f"dynamodb:{operation}")
        needs: list[Need] = []
        for table, index in tables:
            logical_id, arn = self._table(table)
            resource = f"{arn}/index/{index}" if index else arn
            if operation == "TransactWriteItems":
                for item in params["TransactItems"]:
                    ((kind, body),) = item.items()
                    if body["TableName"] == table:
                        verb = {
                            "Put": "PutItem",
                            "Update": "UpdateItem",
                            "Delete": "DeleteItem",
                            "ConditionCheck": "ConditionCheckItem",
                        }[kind]
                        needs.append(Need(Request(f"dynamodb:{verb}", resource), why))
            else:
                needs.append(Need(Request(str(action), resource), why))
            if operation != "DescribeTable":
                name = self.model.physical_name(logical_id)
                needs += self._kms(
                    logical_id,
                    ["kms:Decrypt"],
                    "dynamodb",
                    why,
                    {
                        "kms:EncryptionContext:aws:dynamodb:tableName": name,
                        "kms:EncryptionContext:aws:dynamodb:subscriberID": ACCOUNT,
                    },
                )
        return _unique(needs)

    def _s3_object(self, bucket: str, key: str, *, write: bool, version: bool, why: str) -> list[Need]:
        logical_id, bucket_arn = self._bucket(bucket)
        object_arn = f"{bucket_arn}/{key}"
        action = "s3:PutObject" if write else ("s3:GetObjectVersion" if version else "s3:GetObject")
        context = bucket_arn if self.model.bucket_key_enabled(logical_id) else object_arn
        kms = ["kms:GenerateDataKey"] if write else ["kms:Decrypt"]
        return [
            Need(Request(action, object_arn), why),
            *self._kms(logical_id, kms, "s3", why, {"kms:EncryptionContext:aws:s3:arn": context}),
        ]

    def _s3(self, operation: str, params: Mapping[str, Any]) -> list[Need]:
        why = f"s3.{operation}"
        if operation in ("GetObject", "HeadObject"):
            return self._s3_object(
                str(params["Bucket"]), str(params["Key"]), write=False, version="VersionId" in params, why=why
            )
        if operation == "PutObject":
            return self._s3_object(str(params["Bucket"]), str(params["Key"]), write=True, version=False, why=why)
        if operation == "CopyObject":
            source = params["CopySource"]
            if isinstance(source, str):
                raise UnmappedCall("s3.CopyObject with a string CopySource is not modelled")
            return _unique(
                [
                    *self._s3_object(
                        str(source["Bucket"]), str(source["Key"]), write=False, version="VersionId" in source, why=why
                    ),
                    *self._s3_object(str(params["Bucket"]), str(params["Key"]), write=True, version=False, why=why),
                ]
            )
        if operation in ("ListObjectsV2", "ListObjects", "ListObjectVersions"):
            _, bucket_arn = self._bucket(str(params["Bucket"]))
            action = "s3:ListBucketVersions" if operation == "ListObjectVersions" else "s3:ListBucket"
            return [Need(Request(action, bucket_arn, {"s3:prefix": str(params.get("Prefix", ""))}), why)]
        if operation == "DeleteObject":
            _, bucket_arn = self._bucket(str(params["Bucket"]))
            return [Need(Request("s3:DeleteObject", f"{bucket_arn}/{params['Key']}"), why)]
        raise UnmappedCall(f"no IAM mapping for s3.{operation}")

    def _topic(self, topic_arn: str) -> str:
        return self.logical(topic_arn.rsplit(":", 1)[-1], "topic")

    def _sns(self, operation: str, params: Mapping[str, Any]) -> list[Need]:
        if operation != "Publish":
            raise UnmappedCall(f"no IAM mapping for sns.{operation}")
        logical_id = self._topic(str(params["TopicArn"]))
        why = "sns.Publish"
        return [
            Need(Request("sns:Publish", self.model.arn(logical_id)), why),
            *self._kms(logical_id, ["kms:GenerateDataKey", "kms:Decrypt"], "sns", why, {}),
        ]

    def _sqs(self, operation: str, params: Mapping[str, Any]) -> list[Need]:
        if operation not in ("SendMessage", "SendMessageBatch"):
            raise UnmappedCall(f"no IAM mapping for sqs.{operation}")
        logical_id = self.logical(str(params["QueueUrl"]).rstrip("/").rsplit("/", 1)[-1], "queue")
        why = f"sqs.{operation}"
        return [
            Need(Request("sqs:SendMessage", self.model.arn(logical_id)), why),
            *self._kms(logical_id, ["kms:GenerateDataKey", "kms:Decrypt"], "sqs", why, {}),
        ]

    def _state_machine_arn(self, local_arn: str) -> str:
        return self.model.arn(self.logical(local_arn.rsplit(":", 1)[-1], "state machine"))

    def _stepfunctions(self, operation: str, params: Mapping[str, Any]) -> list[Need]:
        why = f"stepfunctions.{operation}"
        action = f"states:{operation}"
        if operation in ("SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat"):
            return [Need(Request(action, "*"), why)]
        if operation == "StartExecution":
            return [Need(Request(action, self._state_machine_arn(str(params["stateMachineArn"]))), why)]
        if operation in ("GetExecutionHistory", "DescribeExecution", "StopExecution"):
            # arn:aws:states:<region>:<account>:execution:<machine>:<execution>
            parts = str(params["executionArn"]).split(":")
            machine = self._state_machine_arn(":".join(parts[:5] + ["stateMachine", parts[6]]))
            execution = machine.replace(":stateMachine:", ":execution:") + f":{parts[7]}"
            return [Need(Request(action, execution), why)]
        raise UnmappedCall(f"no IAM mapping for stepfunctions.{operation}")

    def _lambda(self, operation: str, params: Mapping[str, Any]) -> list[Need]:
        if operation not in ("Invoke", "InvokeAsync"):
            raise UnmappedCall(f"no IAM mapping for lambda.{operation}")
        name = str(params["FunctionName"]).split(":function:")[-1].split(":")[0]
        logical_id = self.logical(name, "function")
        return [Need(Request("lambda:InvokeFunction", self.model.arn(logical_id)), f"lambda.{operation}")]

    def _bedrock_agent_runtime(self, operation: str, params: Mapping[str, Any]) -> list[Need]:
        if operation != "InvokeAgent":
            raise UnmappedCall(f"no IAM mapping for bedrock-agent-runtime.{operation}")
        arn = f"arn:{PARTITION}:bedrock:{REGION}:{ACCOUNT}:agent-alias/{params['agentId']}/{params['agentAliasId']}"
        return [Need(Request("bedrock:InvokeAgent", arn), "bedrock-agent-runtime.InvokeAgent")]

    def _events(self, operation: str, params: Mapping[str, Any]) -> list[Need]:
        if operation != "PutEvents":
            raise UnmappedCall(f"no IAM mapping for events.{operation}")
        buses = {str(e.get("EventBusName", "default")) for e in params.get("Entries", [])}
        return [
            Need(
                Request("events:PutEvents", f"arn:{PARTITION}:events:{REGION}:{ACCOUNT}:event-bus/{b}"),
                "events.PutEvents",
            )
            for b in sorted(buses)
        ]

    # -- what the runtime does for a principal on every run -------------------------------------

    def function_runtime(self, function: str) -> list[Need]:
        """Lambda writes the function's logs and (Tracing: Active) its X-Ray segments with the
        function's role, on every invocation."""
        props = self.model.properties(function)
        needs: list[Need] = []
        group = props.get("LoggingConfig", {}).get("LogGroup")
        group_name = str(self.model.resolve(group)) if group else f"/aws/lambda/{self.model.physical_name(function)}"
        stream = f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:{group_name}:log-stream:2026/01/01/[$LATEST]0"
        for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
            needs.append(Need(Request(action, stream), "Lambda writes the function's logs", implicit=True))
        if str(self.model.resolve(props.get("Tracing", ""))) == "Active":
            for action in ("xray:PutTraceSegments", "xray:PutTelemetryRecords"):
                needs.append(
                    Need(Request(action, "*"), "Lambda sends the function's traces (Tracing: Active)", implicit=True)
                )
        return needs

    def state_machine_runtime(self, machine: str) -> list[Need]:
        """Step Functions sends an execution's traces (Tracing.Enabled) with the machine's role."""
        tracing = self.model.properties(machine).get("Tracing", {})
        if not (isinstance(tracing, Mapping) and self.model.resolve(tracing.get("Enabled"))):
            return []
        return [
            Need(Request(a, "*"), "Step Functions traces the execution (Tracing: Enabled)", implicit=True)
            for a in (
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
            )
        ]


_KINDS: Final[dict[str, tuple[str, ...]]] = {
    "table": ("AWS::DynamoDB::Table",),
    "bucket": ("AWS::S3::Bucket",),
    "topic": ("AWS::SNS::Topic",),
    "queue": ("AWS::SQS::Queue",),
    "state machine": ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"),
    "function": ("AWS::Serverless::Function", "AWS::Lambda::Function"),
}


def _unique(needs: list[Need]) -> list[Need]:
    seen: set[tuple[str, str, str]] = set()
    out: list[Need] = []
    for need in needs:
        key = (need.request.action, need.request.resource, repr(sorted(need.request.context.items())))
        if key not in seen:
            seen.add(key)
            out.append(need)
    return out
