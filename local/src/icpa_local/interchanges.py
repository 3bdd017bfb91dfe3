"""The claim executions an interchange's split started, read from the split execution's
history (the SplitInterchange task's result names the interchange and how many claims it had;
each claim's execution is named `<interchange_id>-<position>`, see icpa_intake.usecases.split)."""

from __future__ import annotations

import json
from typing import Any


def split_execution_names(events: list[dict[str, Any]]) -> list[str]:
    """The claim execution names, in claim order; [] when the execution split nothing."""
    output = split_result(events)
    if output is None:
        return []
    return [f"{output['interchange_id']}-{n:04d}" for n in range(1, int(output["claims"]) + 1)]


def split_result(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The splitter's InterchangeSplit (the task's result; the ASL discards it from the state)."""
    for event in events:
        # A Lambda ARN as the Resource reports LambdaFunctionSucceeded; an integration, TaskSucceeded.
        details = event.get("lambdaFunctionSucceededEventDetails") or event.get("taskSucceededEventDetails") or {}
        output = json.loads(details.get("output") or "{}")
        if isinstance(output, dict) and "interchange_id" in output and "claims" in output:
            return output
    return None


def execution_arn(state_machine_arn: str, name: str) -> str:
    """arn:aws:states:<region>:<account>:stateMachine:<machine> -> ...:execution:<machine>:<name>"""
    prefix, _, machine = state_machine_arn.partition(":stateMachine:")
    return f"{prefix}:execution:{machine}:{name}"
