"""The SAM template as the IAM check needs it: names, ARNs, roles and keys, with `Ref`,
`Fn::GetAtt`, `Fn::Sub`, `Fn::If` and friends resolved to the shapes CloudFormation gives them.

Input is the template in long form (`cfnlint.decode.cfn_yaml.load` turns `!Ref` into
`{"Ref": ...}`). Parameters take their defaults unless given; pseudo parameters are fixed
(one region and account, as in the local cloud). A KMS key's id is its logical id, so its ARN
reads `arn:aws:kms:<region>:<account>:key/DataKey`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final

REGION: Final = "us-east-1"
ACCOUNT: Final = "123456789012"
PARTITION: Final = "aws"

_NO_VALUE: Final = object()
_SUB_VAR: Final = re.compile(r"\$\{([^}!][^}]*)\}")

# The property holding a resource's physical name, by type.
_NAME_PROPERTY: Final[dict[str, str]] = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::Serverless::Function": "FunctionName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Serverless::StateMachine": "Name",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::Events::Rule": "Name",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::IAM::Role": "RoleName",
}


class TemplateError(ValueError):
    """The template has something this model cannot resolve."""


class TemplateModel:
    def __init__(self, template: Mapping[str, Any], parameters: Mapping[str, str] | None = None) -> None:
        self.template = template
        self.resources: dict[str, dict[str, Any]] = dict(template.get("Resources", {}))
        self.parameters: dict[str, Any] = {
            name: spec.get("Default", "") for name, spec in template.get("Parameters", {}).items()
        }
        self.parameters.update(parameters or {})
        self.pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": "icpa",
        }
        self._conditions: dict[str, bool] = {}

    # -- intrinsic functions -------------------------------------------------------------------

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = bool(self._condition_value(self.template["Conditions"][name]))
        return self._conditions[name]

    def _condition_value(self, node: Any) -> Any:
        if isinstance(node, Mapping) and len(node) == 1:
            ((fn, args),) = node.items()
            if fn == "Fn::Equals":
                return self.resolve(args[0]) == self.resolve(args[1])
            if fn == "Fn::And":
                return all(self._condition_value(a) for a in args)
            if fn == "Fn::Or":
                return any(self._condition_value(a) for a in args)
            if fn == "Fn::Not":
                return not self._condition_value(args[0])
            if fn == "Condition":
                return self.condition(args)
        return self.resolve(node)

    def resolve(self, node: Any) -> Any:
        """The value CloudFormation would pass: intrinsics evaluated, NoValue entries removed."""
        value = self._resolve(node)
        return None if value is _NO_VALUE else value

    def _resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            items = [self._resolve(v) for v in node]
            return [v for v in items if v is not _NO_VALUE]
        if not isinstance(node, Mapping):
            return node
        if len(node) == 1:
            ((fn, args),) = node.items()
            if fn == "Ref":
                return _NO_VALUE if args == "AWS::NoValue" else self.ref(args)
            if fn == "Fn::GetAtt":
                logical_id, attr = args if isinstance(args, list) else args.split(".", 1)
                return self.get_att(logical_id, attr)
            if fn == "Fn::Sub":
                text, variables = (args, {}) if isinstance(args, str) else (args[0], args[1])
                return self._sub(text, {k: self.resolve(v) for k, v in variables.items()})
            if fn == "Fn::If":
                name, when_true, when_false = args
                return self._resolve(when_true if self.condition(name) else when_false)
            if fn == "Fn::Join":
                return str(args[0]).join(str(self.resolve(v)) for v in args[1])
            if fn == "Fn::Select":
                return self.resolve(args[1])[int(self.resolve(args[0]))]
            if fn.startswith("Fn::") or fn == "Condition":
                raise TemplateError(f"intrinsic {fn} is not modelled")
        out = {k: self._resolve(v) for k, v in node.items()}
        return {k: v for k, v in out.items() if v is not _NO_VALUE}

    def _sub(self, text: str, variables: Mapping[str, Any]) -> str:
        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name and name.split(".", 1)[0] in self.resources:
                logical_id, attr = name.split(".", 1)
                return str(self.get_att(logical_id, attr))
            return str(self.ref(name))

        return _SUB_VAR.sub(one, text)

    # -- names, Ref, GetAtt ----------------------------------------------------------------------

    def type_of(self, logical_id: str) -> str:
        if logical_id not in self.resources:
            raise TemplateError(f"no resource {logical_id}")
        return str(self.resources[logical_id]["Type"])

    def properties(self, logical_id: str) -> dict[str, Any]:
        props: dict[str, Any] = dict(self.resources[logical_id].get("Properties", {}))
        if self.type_of(logical_id) == "AWS::Serverless::Function":
            # SAM Globals: a function's own value wins; Environment variables merge.
            globals_ = dict(self.template.get("Globals", {}).get("Function", {}))
            merged = {**globals_, **props}
            env = {
                **globals_.get("Environment", {}).get("Variables", {}),
                **props.get("Environment", {}).get("Variables", {}),
            }
            if env:
                merged["Environment"] = {"Variables": env}
            props = merged
        return props

    def physical_name(self, logical_id: str) -> str:
        prop = _NAME_PROPERTY.get(self.type_of(logical_id))
        name = self.properties(logical_id).get(prop) if prop else None
        return logical_id if name is None else str(self.resolve(name))

    def ref(self, name: str) -> Any:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        kind = self.type_of(name)
        if kind in ("AWS::SNS::Topic", "AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"):
            return self.arn(name)
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{self.physical_name(name)}"
        return self.physical_name(name)

    def arn(self, logical_id: str) -> str:
        kind, name = self.type_of(logical_id), self.physical_name(logical_id)
        region = f"{PARTITION}:{{}}:{REGION}:{ACCOUNT}"
        shapes = {
            "AWS::DynamoDB::Table": f"arn:{region.format('dynamodb')}:table/{name}",
            "AWS::S3::Bucket": f"arn:{PARTITION}:s3:::{name}",
            "AWS::SNS::Topic": f"arn:{region.format('sns')}:{name}",
            "AWS::SQS::Queue": f"arn:{region.format('sqs')}:{name}",
            "AWS::Serverless::Function": f"arn:{region.format('lambda')}:function:{name}",
            "AWS::Lambda::Function": f"arn:{region.format('lambda')}:function:{name}",
            "AWS::Serverless::StateMachine": f"arn:{region.format('states')}:stateMachine:{name}",
            "AWS::StepFunctions::StateMachine": f"arn:{region.format('states')}:stateMachine:{name}",
            "AWS::Events::Rule": f"arn:{region.format('events')}:rule/{name}",
            # A log group's Arn attribute ends in `:*` (it covers the group's streams).
            "AWS::Logs::LogGroup": f"arn:{region.format('logs')}:log-group:{name}:*",
            "AWS::KMS::Key": f"arn:{region.format('kms')}:key/{name}",
            "AWS::IAM::Role": f"arn:{PARTITION}:iam::{ACCOUNT}:role/{name}",
            "AWS::Cognito::UserPool": f"arn:{region.format('cognito-idp')}:userpool/{name}",
        }
        if kind not in shapes:
            raise TemplateError(f"no ARN shape for {kind} ({logical_id})")
        return shapes[kind]

    def get_att(self, logical_id: str, attr: str) -> str:
        if attr in ("Arn", "TopicArn"):
            return self.arn(logical_id)
        if attr in ("QueueName", "Name"):
            return self.physical_name(logical_id)
        if attr == "QueueUrl":
            return str(self.ref(logical_id))
        raise TemplateError(f"GetAtt {logical_id}.{attr} is not modelled")

    # -- what the IAM check asks -----------------------------------------------------------------

    def local_names(self) -> dict[str, list[str]]:
        """Local resource name -> logical ids (a bucket and a function may share one).
        The local cloud names a resource as the template does, minus the `-${Environment}` part
        and what follows (icpa-claims-${Environment} is icpa-claims;
        icpa-inbox-${Environment}-${AWS::AccountId}-... is icpa-inbox); functions run under
        their logical ids."""
        out: dict[str, list[str]] = {}
        for logical_id, resource in self.resources.items():
            prop = _NAME_PROPERTY.get(str(resource["Type"]))
            raw = resource.get("Properties", {}).get(prop) if prop else None
            text = raw.get("Fn::Sub") if isinstance(raw, Mapping) else raw
            if isinstance(text, str) and "-${Environment}" in text:
                out.setdefault(text.split("-${Environment}", 1)[0], []).append(logical_id)
            if resource["Type"] in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
                out.setdefault(logical_id, []).append(logical_id)
        return out

    def role_of(self, principal: str) -> str:
        """The role logical id a function or state machine runs as (its `Role: !GetAtt X.Arn`)."""
        role = self.properties(principal).get("Role")
        if isinstance(role, Mapping) and "Fn::GetAtt" in role:
            target = role["Fn::GetAtt"]
            return str(target[0] if isinstance(target, list) else target.split(".", 1)[0])
        raise TemplateError(f"{principal} has no role of this template (Role: {json.dumps(role)})")

    def rule_target_role(self, rule: str) -> str:
        """The role an EventBridge rule's target is delivered with (`RoleArn: !GetAtt X.Arn`)."""
        for target in self.properties(rule).get("Targets", []):
            role = target.get("RoleArn")
            if isinstance(role, Mapping) and "Fn::GetAtt" in role:
                got = role["Fn::GetAtt"]
                return str(got[0] if isinstance(got, list) else got.split(".", 1)[0])
        raise TemplateError(f"rule {rule} has no target role")

    def role_statements(self, role: str) -> list[dict[str, Any]]:
        """Every statement of the role's inline policies, resolved; each gains `PolicyName`."""
        statements: list[dict[str, Any]] = []
        for policy in self.properties(role).get("Policies", []):
            name = str(self.resolve(policy.get("PolicyName")))
            document = self.resolve(policy.get("PolicyDocument")) or {}
            raw = document.get("Statement", [])
            for statement in raw if isinstance(raw, list) else [raw]:
                statements.append({**statement, "PolicyName": name})
        if self.properties(role).get("ManagedPolicyArns"):
            raise TemplateError(f"{role} has managed policies; the check reads inline policies only")
        return statements

    def kms_key_of(self, logical_id: str) -> str | None:
        """The customer managed key a table, bucket, topic or queue is encrypted with."""
        props, kind = self.properties(logical_id), self.type_of(logical_id)
        key: Any = None
        if kind == "AWS::DynamoDB::Table":
            sse = props.get("SSESpecification", {})
            key = sse.get("KMSMasterKeyId") if sse.get("SSEEnabled") else None
        elif kind == "AWS::S3::Bucket":
            for rule in props.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", []):
                default = rule.get("ServerSideEncryptionByDefault", {})
                if str(default.get("SSEAlgorithm", "")).startswith("aws:kms"):
                    key = default.get("KMSMasterKeyID")
        elif kind in ("AWS::SNS::Topic", "AWS::SQS::Queue"):
            key = props.get("KmsMasterKeyId")
        return None if key is None else str(self.resolve(key))

    def bucket_key_enabled(self, logical_id: str) -> bool:
        rules = self.properties(logical_id).get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [])
        return any(bool(self.resolve(r.get("BucketKeyEnabled"))) for r in rules)
