"""Powertools Idempotency on DynamoDB (table pk `id`), keyed on the uploaded object.

The record id is `icpa-intake.accept#<md5 of {"bucket", "key", "version"}>` where `version` is
the object's version id, or its ETag when the bucket is unversioned. A redelivered event gets the
stored IntakeResult back without running Intake again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from icpa_shared.adapters.aws import client
from icpa_shared.contracts import IntakeResult
from icpa_shared.errors import TransientDependencyError

KEY_PREFIX = "icpa-intake.accept"


class PowertoolsIdempotency:
    def __init__(self, table: str, *, expires_after_seconds: int, dynamodb: Any = None) -> None:
        self.table = table
        self.expires_after_seconds = expires_after_seconds
        self._client = dynamodb
        self._layer: Any = None

    @property
    def persistence_layer(self) -> Any:
        if self._layer is None:
            from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

            self._layer = DynamoDBPersistenceLayer(
                table_name=self.table, key_attr="id", boto3_client=self._client or client("dynamodb")
            )
        return self._layer

    def run(self, *, key: dict[str, str], work: Callable[[], IntakeResult], lambda_context: Any = None) -> IntakeResult:
        from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyAlreadyInProgressError,
            IdempotencyPersistenceLayerError,
        )
        from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer

        config = IdempotencyConfig(expires_after_seconds=self.expires_after_seconds, raise_on_no_idempotency_key=True)
        if callable(getattr(lambda_context, "get_remaining_time_in_millis", None)):
            # Lets an interrupted run's IN_PROGRESS record expire with the invocation, not in an hour.
            config.register_lambda_context(lambda_context)

        def accept(source: dict[str, str]) -> IntakeResult:
            return work()

        once = idempotent_function(
            accept,
            data_keyword_argument="source",
            persistence_store=self.persistence_layer,
            config=config,
            output_serializer=PydanticSerializer(IntakeResult),
            key_prefix=KEY_PREFIX,
        )
        try:
            result: IntakeResult = once(source=key)
        except IdempotencyAlreadyInProgressError as exc:
            # Another execution is accepting the same object right now: retry later, get its result.
            raise TransientDependencyError("intake of this object is already in progress") from exc
        except IdempotencyPersistenceLayerError as exc:
            raise TransientDependencyError("idempotency store unavailable") from exc
        return result
