"""What a claim costs on AWS: measured usage x the price table, per route and per month.

Pure: usage (what `costmeter` measured in the local cloud), the template's function sizes and
the price table (`icpa_orchestration/pricing.toml`) in; dollars out. `icpa cost` prints it.

- `item_size` / `read_units` / `write_units`: DynamoDB's request-unit arithmetic (an item's
  size is its attribute names plus values; reads in 4 KB units, half for eventually consistent;
  writes in 1 KB units, doubled in transactions; each GSI an item lands in is one more write).
- `usage_from_calls`: one claim's AWS calls (request and response) as billable quantities.
- `quantities` -> `claim_cost` (one claim, no free tier), `monthly_cost` (a route mix at a
  volume, with the always-free allowances and the template's fixed monthly items) and
  `dominance` (which component is the largest at which volume).
"""

from __future__ import annotations

import itertools
import json
import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Final

ROUTES: Final = ("auto_approve", "auto_deny", "human_review", "rejected")
ROUTE_TITLES: Final = {
    "auto_approve": "auto approve",
    "auto_deny": "auto deny",
    "human_review": "human review",
    "rejected": "rejected",
}
COMPONENTS: Final = (
    "Step Functions",
    "Lambda",
    "DynamoDB",
    "S3",
    "SNS",
    "KMS",
    "API Gateway",
    "CloudWatch",
    "Model (Bedrock)",
)
COMPONENT_OF_PRICE: Final = {
    "stepfunctions_transition": "Step Functions",
    "lambda_request": "Lambda",
    "lambda_gb_second_x86_64": "Lambda",
    "lambda_gb_second_arm64": "Lambda",
    "dynamodb_read_request_unit": "DynamoDB",
    "dynamodb_write_request_unit": "DynamoDB",
    "s3_put_request": "S3",
    "s3_get_request": "S3",
    "s3_gb_month": "S3",
    "sns_publish": "SNS",
    "kms_request": "KMS",
    "kms_key_month": "KMS",
    "apigateway_request": "API Gateway",
    "logs_ingested_gb": "CloudWatch",
    "cloudwatch_alarm_month": "CloudWatch",
    "cloudwatch_dashboard_month": "CloudWatch",
    "model_input_1k_tokens": "Model (Bedrock)",
    "model_output_1k_tokens": "Model (Bedrock)",
}
GIB: Final = 1024**3
# Lambda's free GB-seconds are one allowance whatever the architecture.
SHARED_ALLOWANCES: Final = (("lambda_gb_second_x86_64", "lambda_gb_second_arm64"),)

# DECISIONS: budgets. The design record's figures this report is compared with.
BUDGET_PER_CLAIM: Final = 0.45
DESIGN_TRANSITIONS: Final = 8
DESIGN_CLAIMS_PER_MONTH: Final = 2_160_000
DESIGN_STEPFUNCTIONS_MONTH: Final = 432.0

S3_PUT_CLASS: Final = frozenset(
    {
        "PutObject",
        "CopyObject",
        "PostObject",
        "ListObjects",
        "ListObjectsV2",
        "ListObjectVersions",
        "ListBuckets",
        "CreateMultipartUpload",
        "UploadPart",
        "CompleteMultipartUpload",
        "PutObjectRetention",
        "PutObjectLegalHold",
        "PutObjectTagging",
    }
)
S3_FREE: Final = frozenset({"DeleteObject", "DeleteObjects", "AbortMultipartUpload"})


class PriceTableError(ValueError):
    """The price table misses a price or an assumption, or one is not a number."""


# -- the price table -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Price:
    usd: float
    per: str
    source: str
    as_of: str
    free_per_month: float = 0.0


@dataclass(frozen=True)
class PriceTable:
    region: str
    prices: Mapping[str, Price]
    assumptions: Mapping[str, Any]
    route_mix: Mapping[str, float]

    def usd(self, key: str) -> float:
        return self.prices[key].usd

    def assumption(self, key: str) -> float:
        value = self.assumptions.get(key)
        if not isinstance(value, int | float):
            raise PriceTableError(f"assumption {key!r} is missing or not a number")
        return float(value)


def load_prices(text: str | None = None) -> PriceTable:
    """The price table (default: the packaged pricing.toml), checked complete."""
    if text is None:
        text = resources.files("icpa_orchestration").joinpath("pricing.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    prices: dict[str, Price] = {}
    for key in COMPONENT_OF_PRICE:
        entry = raw.get("prices", {}).get(key)
        if not isinstance(entry, dict) or not isinstance(entry.get("usd"), int | float):
            raise PriceTableError(f"price {key!r} is missing or has no usd number")
        if not entry.get("source") or not entry.get("as_of"):
            raise PriceTableError(f"price {key!r} needs its source and as_of date")
        prices[key] = Price(
            usd=float(entry["usd"]),
            per=str(entry.get("per", "")),
            source=str(entry["source"]),
            as_of=str(entry["as_of"]),
            free_per_month=float(entry.get("free_per_month", 0)),
        )
    assumptions = dict(raw.get("assumptions", {}))
    mix = {str(k): float(v) for k, v in assumptions.pop("route_mix", {}).items()}
    if set(mix) != set(ROUTES) or not math.isclose(sum(mix.values()), 1.0, abs_tol=1e-9):
        raise PriceTableError(f"route_mix must give {', '.join(ROUTES)} shares summing to 1")
    table = PriceTable(str(raw.get("region", "us-east-1")), prices, assumptions, mix)
    for key in (
        "model_invocations_per_agent_call",
        "model_input_tokens_per_invocation",
        "model_output_tokens_per_invocation",
        "kms_requests_per_sns_publish",
        "stepfunctions_log_bytes_per_event",
    ):
        table.assumption(key)
    return table


# -- DynamoDB request units ------------------------------------------------------------------------


def _value_size(value: Mapping[str, Any]) -> int:
    """Bytes of one AttributeValue, as DynamoDB counts them (item size docs)."""
    ((kind, body),) = value.items()
    if kind == "S":
        return len(str(body).encode())
    if kind == "N":
        digits = str(body).lstrip("-").replace(".", "").lstrip("0") or "0"
        return (len(digits) + 1) // 2 + 1
    if kind == "B":
        return len(body) if isinstance(body, bytes | bytearray) else len(str(body))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: member}) for member in body)
    if kind == "L":
        return 3 + sum(1 + _value_size(member) for member in body)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in body.items())
    raise ValueError(f"unknown DynamoDB attribute type {kind!r}")


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """An item's size in bytes: each attribute's name plus its value."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def read_units(size: int, *, consistent: bool, transactional: bool = False) -> float:
    """Read request units for `size` bytes read in one request (at least one 4 KB unit)."""
    units = max(1, math.ceil(size / 4096))
    factor = 2.0 if transactional else 1.0 if consistent else 0.5
    return units * factor


def write_units(size: int, *, transactional: bool = False) -> float:
    """Write request units for one item of `size` bytes (at least one 1 KB unit)."""
    return max(1, math.ceil(size / 1024)) * (2.0 if transactional else 1.0)


@dataclass(frozen=True)
class TableSpec:
    """What decides a table's write cost beyond the item: its GSIs' key attributes."""

    gsi_keys: tuple[tuple[str, ...], ...] = ()

    def indexes_holding(self, item: Mapping[str, Any]) -> int:
        """How many GSIs (ALL projection) an item with these attributes is written to."""
        return sum(1 for keys in self.gsi_keys if all(k in item for k in keys))


# -- usage -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObservedCall:
    """One AWS call a principal of the template made: request and parsed response."""

    principal: str
    service: str
    operation: str
    params: Mapping[str, Any]
    response: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FunctionSpec:
    memory_mb: int
    architecture: str  # x86_64 | arm64


@dataclass
class Usage:
    """One claim's billable quantities (or a route's mean over its measured claims)."""

    transitions: float = 0.0
    history_events: float = 0.0
    lambda_requests: dict[str, float] = field(default_factory=dict)  # function -> invocations
    lambda_billed_ms: dict[str, float] = field(default_factory=dict)  # function -> ms, rounded up per call
    rru: float = 0.0
    wru: float = 0.0
    s3_put: float = 0.0
    s3_get: float = 0.0
    s3_bytes_stored: float = 0.0
    sns_publishes: float = 0.0
    kms_requests: float = 0.0
    api_requests: float = 0.0
    log_bytes: float = 0.0
    model_calls: float = 0.0

    @staticmethod
    def mean(usages: Sequence[Usage]) -> Usage:
        if not usages:
            return Usage()
        n = len(usages)
        out = Usage()
        for name, value in out.__dict__.items():
            if isinstance(value, dict):
                for u in usages:
                    for function, amount in getattr(u, name).items():
                        value[function] = value.get(function, 0.0) + amount / n
            else:
                setattr(out, name, sum(getattr(u, name) for u in usages) / n)
        return out

    def as_json(self) -> dict[str, Any]:
        return {k: (dict(sorted(v.items())) if isinstance(v, dict) else round(v, 4)) for k, v in self.__dict__.items()}


def _key_of(params: Mapping[str, Any]) -> str:
    return json.dumps(params.get("Key", {}), sort_keys=True)


def dynamodb_units(
    call: ObservedCall,
    tables: Mapping[str, TableSpec],
    final_items: Mapping[tuple[str, str], Mapping[str, Any]],
) -> tuple[float, float]:
    """(RRU, WRU) of one DynamoDB call. Reads count what came back; PutItem the item written;
    UpdateItem and DeleteItem the item as it stands after the run (`final_items`, by table and
    key: AWS bills the larger of before and after, and items here only grow), plus one write per
    GSI the item is in."""
    op, params, response = call.operation, call.params, call.response
    table = str(params.get("TableName", ""))
    spec = tables.get(table, TableSpec())
    consistent = bool(params.get("ConsistentRead"))
    if op == "GetItem":
        return read_units(item_size(response.get("Item", {})), consistent=consistent), 0.0
    if op in ("Query", "Scan"):
        size = sum(item_size(item) for item in response.get("Items", []))
        return read_units(size, consistent=consistent and "IndexName" not in params), 0.0
    if op == "BatchGetItem":
        rru = 0.0
        for name, items in response.get("Responses", {}).items():
            strong = bool(params.get("RequestItems", {}).get(name, {}).get("ConsistentRead"))
            rru += sum(read_units(item_size(i), consistent=strong) for i in items)
        return rru, 0.0
    if op == "PutItem":
        item = params.get("Item", {})
        return 0.0, write_units(item_size(item)) * (1 + spec.indexes_holding(item))
    if op in ("UpdateItem", "DeleteItem"):
        final = final_items.get((table, _key_of(params)), {})
        return 0.0, write_units(item_size(final)) * (1 + spec.indexes_holding(final))
    if op == "TransactWriteItems":
        wru = 0.0
        for entry in params.get("TransactItems", []):
            ((kind, body),) = entry.items()
            if kind == "Put":
                wru += write_units(item_size(body.get("Item", {})), transactional=True)
            elif kind in ("Update", "Delete"):
                final = final_items.get((str(body.get("TableName", "")), _key_of(body)), {})
                wru += write_units(item_size(final), transactional=True)
            else:  # ConditionCheck: a read of the item, billed as a transactional write unit
                wru += write_units(0, transactional=True)
        return 0.0, wru
    if op == "BatchWriteItem":
        wru = 0.0
        for name, requests in params.get("RequestItems", {}).items():
            for request in requests:
                item = request.get("PutRequest", {}).get("Item")
                if item is not None:
                    wru += write_units(item_size(item)) * (1 + tables.get(name, TableSpec()).indexes_holding(item))
                else:
                    wru += write_units(0)
        return 0.0, wru
    return 0.0, 0.0  # DescribeTable and the like: not billed per request


def usage_from_calls(
    calls: Iterable[ObservedCall],
    *,
    tables: Mapping[str, TableSpec],
    final_items: Mapping[tuple[str, str], Mapping[str, Any]],
    object_sizes: Mapping[tuple[str, str], int],
) -> Usage:
    """The AWS-call part of one claim's usage (DynamoDB units, S3 requests and bytes written,
    SNS publishes, KMS calls made directly, model calls made through Bedrock)."""
    usage = Usage()
    for call in calls:
        if call.service == "dynamodb":
            rru, wru = dynamodb_units(call, tables, final_items)
            usage.rru += rru
            usage.wru += wru
        elif call.service == "s3":
            if call.operation in S3_PUT_CLASS:
                usage.s3_put += 1
            elif call.operation not in S3_FREE:
                usage.s3_get += 1
            if call.operation == "PutObject":
                key = (str(call.params.get("Bucket")), str(call.params.get("Key")))
                usage.s3_bytes_stored += object_sizes.get(key, 0)
        elif call.service == "sns" and call.operation == "Publish":
            message = str(call.params.get("Message", ""))
            usage.sns_publishes += max(1, math.ceil(len(message.encode()) / 65536))
        elif call.service == "kms":
            usage.kms_requests += 1
        elif call.service == "bedrock-agent-runtime" and call.operation == "InvokeAgent":
            usage.model_calls += 1
    return usage


# -- prices x usage --------------------------------------------------------------------------------


def quantities(usage: Usage, functions: Mapping[str, FunctionSpec], table: PriceTable) -> dict[str, float]:
    """Usage as amounts of each priced unit (price key -> amount)."""
    gb_seconds = {"x86_64": 0.0, "arm64": 0.0}
    for function, ms in usage.lambda_billed_ms.items():
        spec = functions.get(function, FunctionSpec(128, "x86_64"))
        gb_seconds[spec.architecture] += ms / 1000 * spec.memory_mb / 1024
    model_invocations = usage.model_calls * table.assumption("model_invocations_per_agent_call")
    log_bytes = usage.log_bytes + usage.history_events * table.assumption("stepfunctions_log_bytes_per_event")
    return {
        "stepfunctions_transition": usage.transitions,
        "lambda_request": sum(usage.lambda_requests.values()),
        "lambda_gb_second_x86_64": gb_seconds["x86_64"],
        "lambda_gb_second_arm64": gb_seconds["arm64"],
        "dynamodb_read_request_unit": usage.rru,
        "dynamodb_write_request_unit": usage.wru,
        "s3_put_request": usage.s3_put,
        "s3_get_request": usage.s3_get,
        "s3_gb_month": usage.s3_bytes_stored / GIB,
        "sns_publish": usage.sns_publishes,
        "kms_request": usage.kms_requests + usage.sns_publishes * table.assumption("kms_requests_per_sns_publish"),
        "apigateway_request": usage.api_requests,
        "logs_ingested_gb": log_bytes / GIB,
        "model_input_1k_tokens": model_invocations * table.assumption("model_input_tokens_per_invocation") / 1000,
        "model_output_1k_tokens": model_invocations * table.assumption("model_output_tokens_per_invocation") / 1000,
    }


def _by_component(amounts: Mapping[str, float]) -> dict[str, float]:
    out = dict.fromkeys(COMPONENTS, 0.0)
    for key, dollars in amounts.items():
        out[COMPONENT_OF_PRICE[key]] += dollars
    return out


def claim_cost(usage: Usage, functions: Mapping[str, FunctionSpec], table: PriceTable) -> dict[str, float]:
    """One claim's dollars by component, at list price (no free allowance)."""
    return _by_component({k: q * table.usd(k) for k, q in quantities(usage, functions, table).items()})


def blended(per_route: Mapping[str, Usage], mix: Mapping[str, float]) -> Usage:
    """The usage of an average claim under the route mix (routes not measured count as none)."""
    out = Usage()
    for route, share in mix.items():
        usage = per_route.get(route)
        if usage is None:
            continue
        for name, value in usage.__dict__.items():
            if isinstance(value, dict):
                target = getattr(out, name)
                for k, v in value.items():
                    target[k] = target.get(k, 0.0) + v * share
            else:
                setattr(out, name, getattr(out, name) + value * share)
    return out


def monthly_cost(
    average: Usage,
    claims: float,
    functions: Mapping[str, FunctionSpec],
    table: PriceTable,
    fixed: Mapping[str, float],
) -> dict[str, float]:
    """A month of `claims` average claims by component: the always-free allowances taken off,
    plus the fixed monthly items (`fixed`: price key -> count, e.g. KMS keys, alarms)."""
    amounts: dict[str, float] = {}
    monthly = {key: per_claim * claims for key, per_claim in quantities(average, functions, table).items()}
    for pool in SHARED_ALLOWANCES:  # one allowance for the pool, used up in the pool's order
        free = max(table.prices[key].free_per_month for key in pool)
        for key in pool:
            used = min(free, monthly[key])
            amounts[key] = (monthly[key] - used) * table.usd(key)
            free -= used
    for key, amount in monthly.items():
        if key not in amounts:
            price = table.prices[key]
            amounts[key] = max(0.0, amount - price.free_per_month) * price.usd
    for key, count in fixed.items():
        price = table.prices[key]
        amounts[key] = amounts.get(key, 0.0) + max(0.0, count - price.free_per_month) * price.usd
    return _by_component(amounts)


@dataclass(frozen=True)
class Dominance:
    component: str
    from_claims: int  # per month
    to_claims: int | None  # None: and beyond


def dominance(
    average: Usage,
    functions: Mapping[str, FunctionSpec],
    table: PriceTable,
    fixed: Mapping[str, float],
    *,
    low: int = 1,
    high: int = 100_000_000,
) -> list[Dominance]:
    """Which component costs most at which monthly volume, from `low` to `high` claims: the
    volumes where the leader changes, found by bisection between points of a log grid."""

    def leader(claims: float) -> str:
        costs = monthly_cost(average, claims, functions, table, fixed)
        return max(COMPONENTS, key=lambda c: (costs[c], -COMPONENTS.index(c)))

    grid = sorted({round(low * (high / low) ** (i / 80)) for i in range(81)})
    spans: list[Dominance] = []
    start, current = grid[0], leader(grid[0])
    for previous, claims in itertools.pairwise(grid):
        now = leader(claims)
        if now == current:
            continue
        lo, hi = previous, claims  # leader(lo) == current != leader(hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if leader(mid) == current else (lo, mid)
        spans.append(Dominance(current, start, hi - 1))
        start, current = hi, now
    spans.append(Dominance(current, start, None))
    return spans
