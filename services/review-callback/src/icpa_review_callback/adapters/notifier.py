"""SNS topics for the reviewers' notices and the supervisors' escalations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from icpa_review_callback.adapters.errors import raise_dependency_error
from icpa_shared.adapters.aws import LazyClient

if TYPE_CHECKING:
    from types_boto3_sns.client import SNSClient
    from types_boto3_sns.type_defs import MessageAttributeValueTypeDef


class SnsTopic:
    """Publishes a model's JSON verbatim; `event_type` and `schema_version` ride along as
    message attributes so subscriptions can filter without parsing the body."""

    _sns: LazyClient[SNSClient] = LazyClient("sns")

    def __init__(self, topic_arn: str, sns: SNSClient | None = None) -> None:
        self.topic_arn = topic_arn
        self._client = sns

    def publish(self, message: BaseModel, *, event_type: str) -> None:
        attributes: dict[str, MessageAttributeValueTypeDef] = {
            "event_type": {"DataType": "String", "StringValue": event_type}
        }
        version = getattr(message, "schema_version", None)
        if isinstance(version, str):
            attributes["schema_version"] = {"DataType": "String", "StringValue": version}
        try:
            self._sns.publish(TopicArn=self.topic_arn, Message=message.model_dump_json(), MessageAttributes=attributes)
        except Exception as exc:
            raise_dependency_error(exc, f"sns.publish.{event_type}")
            raise
