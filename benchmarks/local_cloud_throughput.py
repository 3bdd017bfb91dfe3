"""Claims per second through the local cloud, latency per claim, and transitions per path.

Every claim is a real upload -> EventBridge rule -> the real ASL on moto's interpreter -> the
real handlers. Claims are made unique (claim id, service date, cents) so fraud's duplicate
signals don't change their path. Human-review claims are answered through the review API.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

from icpa_local.cloud import LocalCloud

PATHS = {
    # path name -> (sample file, review answer)
    "auto-approve": ("approve-office-visit.json", None),
    "auto-deny": ("deny-lapsed-policy.json", None),
    "human-approve": ("review-high-amount-surgery.json", "APPROVE"),
    "rejected": ("rejected-unknown-member.json", None),
}


EXPECTED = {
    "auto-approve": {"APPROVED"},
    "auto-deny": {"DENIED"},
    "human-approve": {"APPROVED"},
    "rejected": {"REJECTED"},
}


def variant(template: dict[str, Any], n: int) -> bytes:
    claim = json.loads(json.dumps(template))
    claim["claim_id"] = f"BENCH-{n:06d}"
    shift = timedelta(days=n % 200)
    for line in claim["lines"]:
        line["service_date"] = (date.fromisoformat(line["service_date"]) - shift).isoformat()
        line["charge"]["amount"] = str(Decimal(line["charge"]["amount"]) + Decimal(n % 97) / 100)
    dates = sorted(line["service_date"] for line in claim["lines"])
    claim["service_date_from"], claim["service_date_to"] = dates[0], dates[-1]
    claim["total_charge"]["amount"] = str(sum(Decimal(line["charge"]["amount"]) for line in claim["lines"]))
    return json.dumps(claim).encode()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=40, help="claims per run (spread over the paths)")
    parser.add_argument("--concurrency", type=int, default=8, help="claims in flight at once")
    parser.add_argument("--time-scale", type=float, default=0.01)
    args = parser.parse_args()
    samples = resources.files("icpa_local").joinpath("samples")
    templates = {p: json.loads(samples.joinpath(f).read_text()) for p, (f, _) in PATHS.items()}
    plan = [list(PATHS)[i % len(PATHS)] for i in range(args.claims)]

    with LocalCloud(time_scale=args.time_scale) as cloud:
        warm = cloud.process(variant(templates["auto-approve"], 999_999), "claims/warmup.json")
        assert warm.outcome == "APPROVED", warm
        latencies: dict[str, list[float]] = defaultdict(list)
        transitions: dict[str, set[int]] = defaultdict(set)
        outcomes: dict[str, set[str]] = defaultdict(set)
        surprises: list[str] = []
        started = time.perf_counter()
        pending: list[tuple[str, str, float]] = []
        i = 0
        while i < len(plan) or pending:
            while i < len(plan) and len(pending) < args.concurrency:
                path = plan[i]
                t0 = time.perf_counter()
                arn = cloud.upload(variant(templates[path], i), f"claims/bench-{i}.json")
                pending.append((path, arn, t0))
                i += 1
            still: list[tuple[str, str, float]] = []
            for path, arn, t0 in pending:
                status = str(cloud.describe(arn)["status"])
                if status == "RUNNING":
                    answer = PATHS[path][1]
                    review_id = cloud.pending_review_for(arn) if answer else None
                    if review_id:
                        cloud.answer_review(review_id, answer or "", reviewer="bench", rationale="Benchmark review.")
                    still.append((path, arn, t0))
                    continue
                latencies[path].append((time.perf_counter() - t0) * 1000)
                result = cloud.result(arn)
                transitions[path].add(result.transitions)
                outcomes[path].add(result.outcome)
                if result.outcome not in EXPECTED[path]:
                    surprises.append(f"{path}: {result.outcome} {result.reasons} via {' > '.join(result.states)}")
            pending = still
            time.sleep(0.05)  # polling competes with the workflow for the GIL: keep it light
        elapsed = time.perf_counter() - started

    all_latencies = [v for values in latencies.values() for v in values]
    print(f"local cloud: {args.claims} claims, {args.concurrency} in flight, time scale {args.time_scale}")
    print(f"  throughput   {args.claims / elapsed:6.1f} claims/s  ({elapsed:.1f} s)")
    print(f"  latency      p50 {pct(all_latencies, 0.5):6.0f} ms   p95 {pct(all_latencies, 0.95):6.0f} ms")
    for path in PATHS:
        values = latencies[path]
        print(
            f"  {path:14s} n={len(values):3d}  p50 {pct(values, 0.5):6.0f} ms  p95 {pct(values, 0.95):6.0f} ms"
            f"  transitions {sorted(transitions[path])}  outcomes {sorted(outcomes[path])}"
        )
    for surprise in surprises:
        print(f"  UNEXPECTED {surprise}")


if __name__ == "__main__":
    main()
