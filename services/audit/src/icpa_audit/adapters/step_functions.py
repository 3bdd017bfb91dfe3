"""An execution's full history from Step Functions, every page of it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from icpa_shared.adapters.aws import LazyClient, raise_if_transient

if TYPE_CHECKING:
    from types_boto3_stepfunctions.client import SFNClient

PAGE_SIZE = 1000  # GetExecutionHistory's maximum


class StepFunctionsHistory:
    _sfn: LazyClient[SFNClient] = LazyClient("stepfunctions")

    def __init__(self, stepfunctions: SFNClient | None = None, region: str | None = None) -> None:
        self._client = stepfunctions
        self._region = region

    def events(self, execution_arn: str) -> list[dict[str, Any]]:
        """Follows nextToken to the end: a long review wait or many retries make >1000 events."""
        pages = self._sfn.get_paginator("get_execution_history").paginate(
            executionArn=execution_arn,
            PaginationConfig={"PageSize": PAGE_SIZE},
            reverseOrder=False,
            includeExecutionData=True,
        )
        events: list[dict[str, Any]] = []
        try:
            for page in pages:
                # the port's plain dicts: the archive keeps each event as the API returned it
                events.extend(cast("list[dict[str, Any]]", page.get("events", [])))
        except Exception as exc:
            raise_if_transient(exc, "stepfunctions.get_execution_history")
            raise
        return events
