"""Workflow tier: the real ASL on moto's interpreter, the real handlers, the real rule."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest

from icpa_local.cloud import LocalCloud


def sample(name: str) -> bytes:
    return resources.files("icpa_local").joinpath(f"samples/{name}").read_bytes()


def sample_json(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(sample(name))
    return loaded


class Topics:
    """SQS queues subscribed to the SNS topics, to read what was published."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self.queues: dict[str, str] = {}
        sqs, sns = cloud.client("sqs"), cloud.client("sns")
        for topic in (cloud.names.reviewers_topic, cloud.names.supervisors_topic):
            url = sqs.create_queue(QueueName=f"watch-{topic}")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            sns.subscribe(
                TopicArn=cloud.names.topic_arn(topic),
                Protocol="sqs",
                Endpoint=arn,
                Attributes={"RawMessageDelivery": "true"},
            )
            self.queues[topic] = url

    def messages(self, topic: str) -> list[str]:
        sqs = self.cloud.client("sqs")
        out: list[str] = []
        while True:
            got = sqs.receive_message(QueueUrl=self.queues[topic], MaxNumberOfMessages=10).get("Messages", [])
            if not got:
                return out
            out.extend(m["Body"] for m in got)


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud(time_scale=0.001) as c:
        yield c


@pytest.fixture
def topics(cloud: LocalCloud) -> Topics:
    return Topics(cloud)
