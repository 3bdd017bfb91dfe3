"""moto's side of the handlers' DynamoDB calls, with and without the expression patches
(icpa_local.moto_patches, sections 17-19: expressions parsed once per text, one processing map
per traversal).

    python3.11 benchmarks/moto_expressions.py   (or ./pants run benchmarks/moto_expressions.py)

Runs real claims (auto-approve, auto-deny, rejected: no human review to answer) one at a time
through a fresh local cloud with real handlers, alternately with the patches and with moto's
own parsing (the patches undone), and times moto's request processing of every DynamoDB call
(thread CPU of the stubber's `process_request`: routing, dispatch, parsing, the backend, the
answer). Prints ms per operation and per claim for both, and their ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from claim_variants import UNREVIEWED, Variants, one_at_a_time, warm_cloud

from icpa_local import moto_patches
from icpa_local.moto_patches import dynamodb_expressions


@contextlib.contextmanager
def timing_dynamodb(into: dict[str, list[float]]) -> Iterator[None]:
    """Thread CPU of moto's processing of each DynamoDB request, by operation, into `into`."""
    stubber = moto_patches.moto_module("moto.core.botocore_stubber").BotocoreStubber
    original = stubber.process_request

    def timed(self: Any, request: Any) -> Any:
        target = request.headers.get("X-Amz-Target") or b""
        target = target.decode() if isinstance(target, bytes) else target
        if not target.startswith("DynamoDB_"):
            return original(self, request)
        started = time.thread_time()
        try:
            return original(self, request)
        finally:
            into[target.split(".", 1)[1]].append(time.thread_time() - started)

    stubber.process_request = timed
    try:
        yield
    finally:
        stubber.process_request = original


def run(claims: int, first: int, variants: Variants, patched: bool, logs: Path) -> tuple[dict[str, list[float]], int]:
    times: dict[str, list[float]] = defaultdict(list)
    plan = [(UNREVIEWED[n % len(UNREVIEWED)], first + n) for n in range(claims)]
    undone = (
        contextlib.nullcontext()
        if patched
        else moto_patches.REGISTRY.undone(*dynamodb_expressions.patched_attributes())
    )
    with (
        warm_cloud(variants, plan, logs / f"{first}.log", warm=first + 900_000) as cloud,
        undone,
        timing_dynamodb(times),
    ):
        one_at_a_time(cloud, variants, plan, "expr")
    return times, claims


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=60, help="claims per round and side")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of patched / moto's own parsing")
    args = parser.parse_args()
    logging.getLogger("moto.stepfunctions.parser.asl.component.eval_component").setLevel(logging.CRITICAL)
    moto_patches.install()
    variants = Variants()
    logs = Path(tempfile.mkdtemp(prefix="icpa-expr-"))
    per_claim: dict[bool, list[float]] = {True: [], False: []}
    per_op: dict[bool, dict[str, list[float]]] = {True: defaultdict(list), False: defaultdict(list)}
    for r in range(args.rounds):
        for patched in (True, False) if r % 2 == 0 else (False, True):
            first = (2 * r + (0 if patched else 1)) * 10_000
            times, claims = run(args.claims, first, variants, patched, logs)
            per_claim[patched].append(1000 * sum(sum(v) for v in times.values()) / claims)
            for op, values in times.items():
                per_op[patched][op].extend(values)
    print(f"moto's DynamoDB request processing, {args.claims} claims x {args.rounds} rounds per side (thread CPU)")
    print(f"{'operation':<14} {'calls/claim':>11} {'patched ms':>11} {'moto ms':>9} {'ratio':>6}")
    total = args.claims * args.rounds
    typical = {True: 0.0, False: 0.0}  # calls per claim x the median call, summed over operations
    for op in sorted(per_op[False], key=lambda o: -sum(per_op[False][o])):
        mine, theirs = per_op[True].get(op, []), per_op[False][op]
        if not mine:
            continue
        a, b = 1000 * statistics.median(mine), 1000 * statistics.median(theirs)
        typical[True] += a * len(mine) / total
        typical[False] += b * len(theirs) / total
        print(f"{op:<14} {len(theirs) / total:>11.1f} {a:>11.3f} {b:>9.3f} {a / b:>6.2f}")
    a, b = typical[True], typical[False]
    print(f"per claim      {'':>11} {a:>11.2f} {b:>9.2f} {a / b:>6.2f}   (calls per claim x median call)")
    a, b = statistics.median(per_claim[True]), statistics.median(per_claim[False])
    print(f"per claim      {'':>11} {a:>11.2f} {b:>9.2f} {a / b:>6.2f}   (median of the rounds' means: noisier)")
    print(json.dumps({"rounds_patched_ms": per_claim[True], "rounds_moto_ms": per_claim[False]}))


if __name__ == "__main__":
    main()
