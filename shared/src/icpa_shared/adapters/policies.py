"""The policies table, read by Intake, Fraud and Adjudication: pk `policy_id`, attribute
`policy` (the shared Policy's JSON, verbatim)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import ValidationError

from icpa_shared.adapters.aws import LazyClient, raise_typed
from icpa_shared.adapters.items import string_attribute, to_attributes
from icpa_shared.contracts.policy import Policy
from icpa_shared.errors import ContractViolationError

if TYPE_CHECKING:
    from types_boto3_dynamodb.client import DynamoDBClient


class DynamoPolicies:
    """Reads one policy by id. What a missing policy means is the caller's business (Intake
    reports UNKNOWN_POLICY, Adjudication raises UnknownPolicyError): here it is just None."""

    _ddb: LazyClient[DynamoDBClient] = LazyClient("dynamodb")

    def __init__(self, table: str, dynamodb: DynamoDBClient | None = None) -> None:
        self.table = table
        self._client = dynamodb

    def get(self, policy_id: str) -> Policy | None:
        """The policy on file; None when there is none (no item, or an item without a `policy`
        string). ContractViolationError when the stored JSON breaks the Policy contract;
        TransientDependencyError when DynamoDB throttles or is unavailable."""
        try:
            item = self._ddb.get_item(
                TableName=self.table,
                Key=to_attributes({"policy_id": policy_id}),
                ProjectionExpression="#p",
                ExpressionAttributeNames={"#p": "policy"},
            ).get("Item")
        except Exception as exc:
            raise_typed(exc, "policies.get")
            raise
        raw = string_attribute(item or {}, "policy")
        if raw is None:
            return None
        try:
            return Policy.model_validate_json(raw)
        except ValidationError as exc:
            # A stored policy that breaks the contract is a data bug, not the claim's fault. Say
            # how many fields failed, never their values (a policy lists member ids), and do not
            # chain the ValidationError: its text quotes the input.
            raise ContractViolationError(
                f"policy {policy_id} on file violates the Policy contract: {exc.error_count()} error(s)"
            ) from None
