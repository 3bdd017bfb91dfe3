"""The shared policies-table adapter against moto: what is read, what None means, and how
DynamoDB's and the stored data's failures become typed errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest.mock import MagicMock

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from icpa_shared.adapters.policies import DynamoPolicies
from icpa_shared.errors import ContractViolationError, TransientDependencyError
from icpa_shared.testing.aws import create_policies_table, patched_aws_env, put_policy
from icpa_shared.testing.builders import a_policy

TABLE = "icpa-policies"


@pytest.fixture
def ddb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A moto account with the policies table; yields its DynamoDB client."""
    with patched_aws_env(monkeypatch), mock_aws():
        client = boto3.client("dynamodb")
        create_policies_table(client, TABLE)
        yield client


def store(ddb: Any, policy_id: str, **attributes: Any) -> None:
    ddb.put_item(TableName=TABLE, Item={"policy_id": {"S": policy_id}, **attributes})


def failing(code: str) -> MagicMock:
    dynamodb = MagicMock()
    dynamodb.get_item.side_effect = ClientError({"Error": {"Code": code, "Message": "no"}}, "GetItem")
    return dynamodb


def test_a_policy_on_file_is_read_back_as_stored(ddb: Any) -> None:
    policy = a_policy(members=["MBR000001", "MBR000002"])
    put_policy(ddb, policy, TABLE)

    assert DynamoPolicies(TABLE, ddb).get(policy.policy_id) == policy


def test_an_unknown_policy_is_none(ddb: Any) -> None:
    assert DynamoPolicies(TABLE, ddb).get("POL-NOPE999") is None


@pytest.mark.parametrize("attributes", [{}, {"policy": {"N": "1"}}], ids=["no policy", "policy not a string"])
def test_an_item_without_a_policy_string_is_none(ddb: Any, attributes: dict[str, Any]) -> None:
    store(ddb, "POL-EMPTY01", **attributes)

    assert DynamoPolicies(TABLE, ddb).get("POL-EMPTY01") is None


def test_a_stored_policy_that_breaks_the_contract_names_no_values(ddb: Any) -> None:
    store(ddb, "POL-BROKEN1", policy={"S": '{"policy_id": "POL-BROKEN1", "members": ["MBR000001"]}'})

    with pytest.raises(ContractViolationError) as caught:
        DynamoPolicies(TABLE, ddb).get("POL-BROKEN1")

    assert caught.value.message.startswith("policy POL-BROKEN1 on file violates the Policy contract: ")
    # Neither the message nor a chained ValidationError quotes the stored member ids.
    assert "MBR000001" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_only_the_policy_attribute_of_the_item_is_read() -> None:
    dynamodb = MagicMock()
    dynamodb.get_item.return_value = {}

    assert DynamoPolicies(TABLE, dynamodb).get("POL-GOLD001") is None

    dynamodb.get_item.assert_called_once_with(
        TableName=TABLE,
        Key={"policy_id": {"S": "POL-GOLD001"}},
        ProjectionExpression="#p",
        ExpressionAttributeNames={"#p": "policy"},
    )


def test_throttling_is_a_transient_dependency_error() -> None:
    with pytest.raises(TransientDependencyError, match="policies.get: ProvisionedThroughputExceededException"):
        DynamoPolicies(TABLE, failing("ProvisionedThroughputExceededException")).get("POL-GOLD001")


def test_other_client_errors_are_raised_as_they_are() -> None:
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        DynamoPolicies(TABLE, failing("ResourceNotFoundException")).get("POL-GOLD001")


def test_without_a_client_one_is_built_on_first_use(ddb: Any) -> None:
    policy = a_policy()
    put_policy(ddb, policy, TABLE)
    policies = DynamoPolicies(TABLE)

    assert policies.get(policy.policy_id) == policy
