"""Measure what claims use in an embedded, throwaway local cloud, for `icpa cost`.

A few bundled sample claims per route (auto approve, auto deny, human review answered by the
cli reviewer, rejected) run one after another through the real ASL and handlers, after one
warm-up claim per route (imports and caches, as a warm Lambda has them). For each claim:
- the execution history: states entered (Step Functions' billed transitions), events (its
  logs), and the model calls the workflow makes (fraud consulting its model, adjudication's
  explainer: on AWS with BedrockAgentId set, each is a Bedrock agent call; locally the
  deterministic model and the template explainer stand in at the same points);
- every handler invocation and how long it ran in-process (Lambda requests, billed duration);
- every AWS call of a template principal, request and response (DynamoDB units from the item
  sizes read and written, S3 requests and bytes written, SNS publishes, KMS calls);
- the bytes the handlers logged.
The arithmetic is `icpa_local.costs` (pure); this module only gathers.
"""

from __future__ import annotations

import json
import math
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any, Final

from icpa_local import callrecorder
from icpa_local.costs import ROUTES, FunctionSpec, ObservedCall, TableSpec, Usage, usage_from_calls
from icpa_local.resources import resources_of_type, table_definitions, template

ARCHIVER: Final = "ArchiverFunction"
REVIEW_API: Final = "ReviewApiFunction"
SAMPLE_PREFIX: Final = {
    "auto_approve": "approve-",
    "auto_deny": "deny-",
    "human_review": "review-",
    "rejected": "rejected-",
}


class MeasurementError(RuntimeError):
    """A sample claim did not take the route it was measured for, or did not finish."""


# -- what the template says ----------------------------------------------------------------------


def function_specs() -> dict[str, FunctionSpec]:
    """Logical id -> memory and architecture, the function's own or the Globals'."""
    defaults = template().get("Globals", {}).get("Function", {})
    out: dict[str, FunctionSpec] = {}
    for logical_id, function in resources_of_type("AWS::Serverless::Function").items():
        props = function.get("Properties", {})
        architectures = props.get("Architectures", defaults.get("Architectures", ["x86_64"]))
        out[logical_id] = FunctionSpec(int(props.get("MemorySize", defaults.get("MemorySize", 128))), architectures[0])
    return out


def fixed_monthly_items() -> dict[str, float]:
    """Price key -> how many the template declares of what is billed by the month."""
    return {
        "kms_key_month": float(len(resources_of_type("AWS::KMS::Key"))),
        "cloudwatch_alarm_month": float(len(resources_of_type("AWS::CloudWatch::Alarm"))),
        "cloudwatch_dashboard_month": float(len(resources_of_type("AWS::CloudWatch::Dashboard"))),
    }


# -- recording -------------------------------------------------------------------------------------


def observed(calls: Sequence[callrecorder.RecordedCall]) -> list[ObservedCall]:
    """The calls the call recorder kept, with their responses, as the pure cost arithmetic reads them."""
    return [ObservedCall(c.principal, c.service, c.operation, c.params, c.response) for c in calls]


@dataclass(frozen=True)
class Invocation:
    function: str
    ms: float


def timed_handlers(invocations: list[Invocation]) -> dict[str, Callable[[dict[str, Any], Any], Any]]:
    """Every template function's real handler, timed into `invocations`."""
    from icpa_local.functions import FUNCTIONS, load_handler

    lock = threading.Lock()

    def timed(function: str, handler: Callable[[dict[str, Any], Any], Any]) -> Callable[[dict[str, Any], Any], Any]:
        def run(event: dict[str, Any], context: Any) -> Any:
            started = time.perf_counter()
            try:
                return handler(event, context)
            finally:
                with lock:
                    invocations.append(Invocation(function, (time.perf_counter() - started) * 1000))

        return run

    return {logical_id: timed(logical_id, load_handler(logical_id)) for logical_id in FUNCTIONS}


# -- one claim's usage -----------------------------------------------------------------------------


def history_usage(events: Sequence[Mapping[str, Any]]) -> tuple[int, int, int]:
    """(transitions, history events, model calls) of one execution. A transition is a state
    entered (retries re-enter nothing but are billed too: each extra Lambda attempt counts)."""
    entered = sum(1 for e in events if str(e.get("type", "")).endswith("StateEntered"))
    attempts = sum(1 for e in events if e.get("type") in ("LambdaFunctionScheduled", "TaskScheduled"))
    task_states = sum(1 for e in events if e.get("type") == "TaskStateEntered")
    model_calls = 0
    for event in events:
        if event.get("type") != "TaskStateExited":
            continue
        details = event.get("stateExitedEventDetails", {})
        name = details.get("name")
        if name == "Adjudicate":
            model_calls += 1  # the explainer writes every adjudication's words
        elif name == "AssessFraud":
            output = json.loads(details.get("output") or "{}")
            model_calls += 1 if (output.get("fraud") or {}).get("model") else 0
    return entered + max(0, attempts - task_states), len(events), model_calls


@dataclass
class ClaimMeasure:
    file: str
    route: str
    execution_arn: str
    invocations: list[Invocation]
    calls: list[ObservedCall]
    history: list[dict[str, Any]]
    log_bytes: int
    upload_bytes: int = 0
    """The claim file put in the inbox: one PUT request and its bytes, the submitter's."""


def route_of(outcome: str, route: str) -> str | None:
    if outcome == "REJECTED":
        return "rejected"
    if route == "HUMAN" and outcome in ("APPROVED", "DENIED"):
        return "human_review"
    if route == "AUTO":
        return {"APPROVED": "auto_approve", "DENIED": "auto_deny"}.get(outcome)
    return None


def claim_usage(
    measure: ClaimMeasure,
    *,
    tables: Mapping[str, TableSpec],
    final_items: Mapping[tuple[str, str], Mapping[str, Any]],
    object_sizes: Mapping[tuple[str, str], int],
) -> Usage:
    usage = usage_from_calls(measure.calls, tables=tables, final_items=final_items, object_sizes=object_sizes)
    usage.transitions, usage.history_events, model_calls = history_usage(measure.history)
    usage.model_calls += model_calls
    usage.log_bytes = float(measure.log_bytes)
    usage.s3_put += 1
    usage.s3_bytes_stored += measure.upload_bytes
    for invocation in measure.invocations:
        usage.lambda_requests[invocation.function] = usage.lambda_requests.get(invocation.function, 0.0) + 1
        billed = float(max(1, math.ceil(invocation.ms)))
        usage.lambda_billed_ms[invocation.function] = usage.lambda_billed_ms.get(invocation.function, 0.0) + billed
    usage.api_requests = float(sum(1 for i in measure.invocations if i.function == REVIEW_API))
    return usage


# -- the run ---------------------------------------------------------------------------------------


@dataclass
class Measurement:
    per_route: dict[str, list[Usage]] = field(default_factory=dict)
    claims: list[ClaimMeasure] = field(default_factory=list)
    seconds: float = 0.0

    def mean(self) -> dict[str, Usage]:
        return {route: Usage.mean(usages) for route, usages in self.per_route.items() if usages}


def sample_plan(per_route: int) -> dict[str, list[str]]:
    """Route -> the bundled sample files measured for it, the first being the warm-up claim."""
    names = sorted(p.name for p in importlib_resources.files("icpa_local").joinpath("samples").iterdir())
    plan: dict[str, list[str]] = {}
    for route in ROUTES:
        files = [n for n in names if n.startswith(SAMPLE_PREFIX[route]) and n.endswith(".json")]
        if len(files) < 2:
            raise MeasurementError(f"need two sample claims for {route}, have {files}")
        plan[route] = files[-1:] + files[: max(1, min(per_route, len(files) - 1))]
    return plan


def _final_items(cloud: Any) -> dict[tuple[str, str], dict[str, Any]]:
    ddb = cloud.client("dynamodb")
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for definition in table_definitions(cloud.names):
        name = definition["TableName"]
        keys = [k["AttributeName"] for k in definition["KeySchema"]]
        for page in ddb.get_paginator("scan").paginate(TableName=name):
            for item in page.get("Items", []):
                out[(name, json.dumps({k: item[k] for k in keys if k in item}, sort_keys=True))] = item
    return out


def table_specs(cloud: Any) -> dict[str, TableSpec]:
    return {
        d["TableName"]: TableSpec(
            tuple(
                tuple(k["AttributeName"] for k in index["KeySchema"]) for index in d.get("GlobalSecondaryIndexes", [])
            )
        )
        for d in table_definitions(cloud.names)
    }


def _object_sizes(cloud: Any) -> dict[tuple[str, str], int]:
    s3 = cloud.client("s3")
    out: dict[tuple[str, str], int] = {}
    for bucket in s3.list_buckets().get("Buckets", []):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"]):
            for entry in page.get("Contents", []):
                out[(bucket["Name"], entry["Key"])] = int(entry["Size"])
    return out


def _wait_for_archiver(invocations: list[Invocation], since: int, timeout: float) -> None:
    """The archiver runs after the execution ends (the status-change rule): wait for it, so its
    work is this claim's and not the next one's."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(i.function == ARCHIVER for i in invocations[since:]):
            return
        time.sleep(0.01)
    raise MeasurementError(f"the archiver did not run within {timeout}s of the execution's end")


def measure(
    *,
    per_route: int = 3,
    time_scale: float = 1.0,
    timeout: float = 60.0,
    on_claim: Callable[[ClaimMeasure], None] | None = None,
) -> Measurement:
    """Run the plan in a throwaway embedded local cloud and gather each measured claim."""
    from icpa_local.cloud import LocalCloud

    started = time.perf_counter()
    invocations: list[Invocation] = []
    plan = sample_plan(per_route)
    samples = importlib_resources.files("icpa_local").joinpath("samples")
    result = Measurement()
    with tempfile.TemporaryDirectory(prefix="icpa-cost-") as workdir:
        log_path = Path(workdir, "handlers.jsonl")
        cloud = LocalCloud(time_scale=time_scale, handler_overrides=timed_handlers(invocations), log_path=log_path)
        cloud.start()
        with cloud, callrecorder.CallRecorder() as recorder:
            for route, files in plan.items():
                for index, name in enumerate(files):
                    first_invocation, first_call = len(invocations), len(recorder.calls)
                    logged = log_path.stat().st_size if log_path.exists() else 0
                    body = samples.joinpath(name).read_bytes()
                    outcome = cloud.process(body, f"claims/{name}", review="approve", timeout=timeout)
                    taken = route_of(outcome.outcome, outcome.route)
                    if taken != route:
                        raise MeasurementError(f"{name} ended {outcome.outcome}/{outcome.route}, not {route}")
                    _wait_for_archiver(invocations, first_invocation, timeout)
                    if index == 0:
                        continue  # the warm-up claim
                    claim = ClaimMeasure(
                        file=name,
                        route=route,
                        execution_arn=outcome.execution_arn,
                        invocations=list(invocations[first_invocation:]),
                        calls=observed(recorder.calls[first_call:]),
                        history=cloud.history(outcome.execution_arn),
                        log_bytes=(log_path.stat().st_size if log_path.exists() else 0) - logged,
                        upload_bytes=len(body),
                    )
                    result.claims.append(claim)
                    if on_claim is not None:
                        on_claim(claim)
            tables, final_items, object_sizes = table_specs(cloud), _final_items(cloud), _object_sizes(cloud)
    for claim in result.claims:
        usage = claim_usage(claim, tables=tables, final_items=final_items, object_sizes=object_sizes)
        result.per_route.setdefault(claim.route, []).append(usage)
    result.seconds = time.perf_counter() - started
    return result
