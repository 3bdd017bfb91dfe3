"""`icpa cost [--claims-per-month N] [--json]`: what a claim costs on AWS, measured.

Runs a few bundled sample claims per route in a throwaway embedded local cloud
(`icpa_local.costmeter`), prices what they used with the one price table
(`icpa_orchestration/pricing.toml`, us-east-1, each price with its source and date) and prints
cost per claim by route and component, a month at the given volume under the table's route
mix, which component dominates at which volume, and the design record's budget beside it
(DECISIONS: budgets). The arithmetic is `icpa_local.costs`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any

from icpa_local.commands.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from icpa_local.commands.render import console, table
from icpa_local.costs import (
    BUDGET_PER_CLAIM,
    COMPONENTS,
    DESIGN_CLAIMS_PER_MONTH,
    DESIGN_STEPFUNCTIONS_MONTH,
    DESIGN_TRANSITIONS,
    ROUTE_TITLES,
    FunctionSpec,
    PriceTable,
    Usage,
    blended,
    claim_cost,
    dominance,
    load_prices,
    monthly_cost,
    quantities,
)


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    cost = sub.add_parser(
        "cost",
        parents=[common],
        help="cost per claim and per month on AWS, from usage measured in a throwaway local cloud",
        description="Measure a few sample claims per route (auto approve, auto deny, human review, rejected) "
        "in a throwaway embedded local cloud and price them with orchestration's pricing.toml (us-east-1).",
    )
    cost.add_argument(
        "--claims-per-month",
        type=int,
        default=DESIGN_CLAIMS_PER_MONTH,
        metavar="N",
        help="monthly volume to price (default: %(default)s, the design's 50 claims a minute)",
    )
    cost.add_argument(
        "--per-route",
        type=int,
        default=3,
        metavar="K",
        help="sample claims measured per route (1..3), after one warm-up claim each (default: %(default)s)",
    )
    cost.add_argument("--json", action="store_true", help="one JSON document instead of tables (default: tables)")
    cost.set_defaults(func=run_cost)


def report(
    per_route: dict[str, Usage],
    *,
    claims_per_month: int,
    functions: dict[str, FunctionSpec],
    prices: PriceTable,
    fixed: dict[str, float],
) -> dict[str, Any]:
    """Everything `icpa cost` shows, as data (the --json document)."""
    average = blended(per_route, prices.route_mix)
    monthly = monthly_cost(average, claims_per_month, functions, prices, fixed)
    total = sum(monthly.values())
    arm = {name: FunctionSpec(spec.memory_mb, "arm64") for name, spec in functions.items()}
    arm_lambda = monthly_cost(average, claims_per_month, arm, prices, fixed)["Lambda"]
    transitions = quantities(average, functions, prices)["stepfunctions_transition"]
    no_model = dataclasses.replace(average, model_calls=0.0)  # BedrockAgentId left empty
    no_model_total = sum(monthly_cost(no_model, claims_per_month, functions, prices, fixed).values())
    return {
        "region": prices.region,
        "claims_per_month": claims_per_month,
        "route_mix": dict(prices.route_mix),
        "usage_per_claim": {route: usage.as_json() for route, usage in per_route.items()},
        "cost_per_claim": {route: claim_cost(usage, functions, prices) for route, usage in per_route.items()}
        | {"blended": claim_cost(average, functions, prices)},
        "monthly": monthly,
        "monthly_total": total,
        "per_claim_all_in": total / claims_per_month if claims_per_month else None,
        "lambda_monthly_if_arm64": arm_lambda,
        "dominance": [
            {"component": d.component, "from_claims_per_month": d.from_claims, "to_claims_per_month": d.to_claims}
            for d in dominance(average, functions, prices, fixed)
        ],
        "without_model": {
            "monthly_total": no_model_total,
            "per_claim_all_in": no_model_total / claims_per_month if claims_per_month else None,
            "dominance": [
                {"component": d.component, "from_claims_per_month": d.from_claims, "to_claims_per_month": d.to_claims}
                for d in dominance(no_model, functions, prices, fixed)
            ],
        },
        "design": {
            "budget_per_claim": BUDGET_PER_CLAIM,
            "transitions_per_claim": DESIGN_TRANSITIONS,
            "stepfunctions_month": DESIGN_STEPFUNCTIONS_MONTH,
            "stepfunctions_month_measured_at_design_volume": transitions
            * DESIGN_CLAIMS_PER_MONTH
            * prices.usd("stepfunctions_transition"),
            "transitions_per_claim_measured": transitions,
        },
        "fixed_monthly_items": fixed,
        "prices": {k: p.__dict__ for k, p in prices.prices.items()},
        "assumptions": dict(prices.assumptions),
    }


def _usd(value: float) -> str:
    if value == 0:
        return "0"
    if value >= 1:
        return f"${value:,.2f}"
    return f"${value:.6f}" if value >= 0.000001 else "<$0.000001"


def _claims(value: int | None) -> str:
    return "and up" if value is None else f"{value:,}"


def run_cost(args: argparse.Namespace) -> int:
    from icpa_local.costmeter import MeasurementError, fixed_monthly_items, function_specs, measure

    if args.claims_per_month <= 0 or not 1 <= args.per_route <= 3:
        sys.stderr.write("icpa cost: --claims-per-month must be positive and --per-route 1..3\n")
        return EXIT_USAGE
    out = console()
    if not args.json:
        out.print(f"measuring {args.per_route} sample claims a route in a throwaway local cloud ...")
    try:
        # At time scale 1: the template's task timeouts as deployed, so a slow handler is a
        # measured retry or timeout, not an artefact of shrunken deadlines.
        measured = measure(per_route=args.per_route, time_scale=1.0, timeout=args.timeout)
    except MeasurementError as exc:
        sys.stderr.write(f"icpa cost: {exc}\n")
        return EXIT_FAILED
    per_route = measured.mean()
    data = report(
        per_route,
        claims_per_month=args.claims_per_month,
        functions=function_specs(),
        prices=load_prices(),
        fixed=fixed_monthly_items(),
    )
    data["measured"] = {"claims": len(measured.claims), "seconds": round(measured.seconds, 1)}
    if args.json:
        sys.stdout.write(json.dumps(data) + "\n")
        return EXIT_OK
    _print(out, data, measured.seconds, len(measured.claims))
    return EXIT_OK


def _print(out: Any, data: dict[str, Any], seconds: float, claims: int) -> None:
    routes = [r for r in ROUTE_TITLES if r in data["usage_per_claim"]]
    mix = ", ".join(f"{ROUTE_TITLES[r]} {share:.0%}" for r, share in data["route_mix"].items())
    usage = data["usage_per_claim"]
    per_event = data["assumptions"]["stepfunctions_log_bytes_per_event"]
    out.print(f"measured {claims} claims in {seconds:.1f} s; prices: {data['region']}, pricing.toml\n")
    measures = [
        ("state transitions", lambda u: f"{u['transitions']:g}"),
        ("Lambda invocations", lambda u: f"{sum(u['lambda_requests'].values()):g}"),
        ("Lambda billed ms", lambda u: f"{sum(u['lambda_billed_ms'].values()):.0f}"),
        ("DynamoDB RRU / WRU", lambda u: f"{u['rru']:.1f} / {u['wru']:.1f}"),
        ("S3 PUT / GET", lambda u: f"{u['s3_put']:g} / {u['s3_get']:g}"),
        ("S3 KB written", lambda u: f"{u['s3_bytes_stored'] / 1024:.1f}"),
        ("SNS publishes", lambda u: f"{u['sns_publishes']:g}"),
        ("model calls", lambda u: f"{u['model_calls']:g}"),
        ("log KB", lambda u: f"{(u['log_bytes'] + u['history_events'] * per_event) / 1024:.1f}"),
    ]
    columns = [("per claim", "left")] + [(ROUTE_TITLES[r], "right") for r in routes]
    out.print(table("Usage measured per claim", columns, ([m] + [f(usage[r]) for r in routes] for m, f in measures)))
    out.print()
    per_claim = data["cost_per_claim"]
    columns = [("USD per claim", "left")] + [(ROUTE_TITLES[r], "right") for r in routes] + [("blended", "right")]
    keys = [*routes, "blended"]
    rows = [[c] + [_usd(per_claim[k][c]) for k in keys] for c in COMPONENTS]
    rows.append(["total"] + [_usd(sum(per_claim[k].values())) for k in keys])
    out.print(table("Cost per claim, list price", columns, rows))
    out.print(f"blended: {mix} (pricing.toml's route mix)\n")
    total = data["monthly_total"]
    rows = [[c, _usd(v), f"{v / total:.0%}" if total else "-"] for c, v in data["monthly"].items()]
    rows.append(["total", _usd(total), "100%"])
    out.print(
        table(
            f"A month of {data['claims_per_month']:,} claims",
            [("component", "left"), ("USD/month", "right"), ("share", "right")],
            rows,
        )
    )
    out.print()
    rows = [
        [d["component"], f"{d['from_claims_per_month']:,}", _claims(d["to_claims_per_month"])]
        for d in data["dominance"]
    ]
    rows += [
        [f"{d['component']} (no model)", f"{d['from_claims_per_month']:,}", _claims(d["to_claims_per_month"])]
        for d in data["without_model"]["dominance"]
    ]
    out.print(
        table(
            "Largest component by monthly volume",
            [("component", "left"), ("from claims/month", "right"), ("to", "right")],
            rows,
        )
    )
    out.print()
    design = data["design"]
    all_in = data["per_claim_all_in"]
    verdict = "within" if all_in <= design["budget_per_claim"] else "OVER"
    out.print(
        f"all in: {_usd(all_in)} a claim at {data['claims_per_month']:,} claims/month, {verdict} the design's "
        f"${design['budget_per_claim']:.2f} budget ({all_in / design['budget_per_claim']:.2%} of it)"
    )
    without = data["without_model"]
    out.print(
        f"without a Bedrock agent (BedrockAgentId empty: no model calls): {_usd(without['monthly_total'])}/month, "
        f"{_usd(without['per_claim_all_in'])} a claim"
    )
    out.print(
        f"Step Functions: {design['transitions_per_claim_measured']:.2f} transitions a claim (blended) vs the "
        f"design's {design['transitions_per_claim']}; at {DESIGN_CLAIMS_PER_MONTH:,} claims/month "
        f"{_usd(design['stepfunctions_month_measured_at_design_volume'])} vs the design's "
        f"{_usd(design['stepfunctions_month'])}"
    )
    out.print(
        f"Lambda: {_usd(data['monthly']['Lambda'])}/month on the template's architecture, "
        f"{_usd(data['lambda_monthly_if_arm64'])} on arm64"
    )
