"""moto's side of the handlers' calls with a group of the emulator's patches on and off
(icpa_local.moto_patches): `--patches expressions` (sections 17-19: DynamoDB expressions parsed
once per text, one processing map per traversal; DynamoDB calls only), `requests` (21: a plain
request's WSGI environ written directly; every call) or `items` (22: an item sized once as it is
built; DynamoDB calls only).

    python3.11 benchmarks/moto_patch_ab.py --patches requests
    (or ./pants run benchmarks/moto_patch_ab.py -- --patches requests)

Runs real claims (auto-approve, auto-deny, rejected: no human review to answer) one at a time
through a fresh local cloud with real handlers, alternately with the patches and with moto's
own code (the patches undone), and times moto's request processing of every call it times
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
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from claim_variants import UNREVIEWED, Variants, one_at_a_time, warm_cloud

from icpa_local import moto_patches
from icpa_local.moto_patches import dynamodb_expressions, dynamodb_items, lambda_inprocess, wsgi_requests

GROUPS = {
    # name -> (the patched attributes to undo, whether calls other than DynamoDB's are timed)
    "expressions": (dynamodb_expressions.patched_attributes, False),
    "requests": (wsgi_requests.patched_attributes, True),
    "items": (dynamodb_items.patched_attributes, False),
    "invoke": (lambda_inprocess.direct_invoke_attributes, True),
}


def operation_of(request: Any) -> str:
    """DynamoDB's operation (its X-Amz-Target), or the method and service of any other call."""
    target = request.headers.get("X-Amz-Target") or b""
    target = target.decode() if isinstance(target, bytes) else target
    if target.startswith("DynamoDB_"):
        return target.split(".", 1)[1]
    host = str(request.url).split("://", 1)[-1].split("/", 1)[0]
    service = "s3" if ".s3." in f".{host}" else host.split(".", 1)[0]
    return f"{service} {target.split('.')[-1] if target else request.method}"


@contextlib.contextmanager
def timing(into: dict[str, list[float]], every_service: bool) -> Iterator[None]:
    """Thread CPU of moto's processing of each request (DynamoDB's, or every one), by operation."""
    stubber = moto_patches.moto_module("moto.core.botocore_stubber").BotocoreStubber
    original = stubber.process_request

    def timed(self: Any, request: Any) -> Any:
        operation = operation_of(request)
        if (not every_service and " " in operation) or operation.startswith("lambda "):
            # a Lambda invoke's processing holds its handler's calls, timed by themselves
            return original(self, request)
        started = time.thread_time()
        try:
            return original(self, request)
        finally:
            into[operation].append(time.thread_time() - started)

    stubber.process_request = timed
    try:
        with timing_invokes(into) if every_service else contextlib.nullcontext():
            yield
    finally:
        stubber.process_request = original


@contextlib.contextmanager
def timing_invokes(into: dict[str, list[float]]) -> Iterator[None]:
    """Thread CPU of each Lambda task's invoke outside its handler: the interpreter's
    `_invoke_lambda_function` minus the function's `_invoke_lambda` (the handler, its calls)."""
    eval_utils = moto_patches.moto_module(lambda_inprocess._EVAL_UTILS)
    function_class = moto_patches.moto_module("moto.awslambda.models").LambdaFunction
    invoke, inner = eval_utils._invoke_lambda_function, function_class._invoke_lambda
    local = threading.local()

    def handler_part(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return inner(self, *args, **kwargs)
        finally:
            local.inside = getattr(local, "inside", 0.0) + time.thread_time() - started

    def timed(*args: Any, **kwargs: Any) -> Any:
        local.inside, started = 0.0, time.thread_time()
        try:
            return invoke(*args, **kwargs)
        finally:
            into["lambda Invoke (task side)"].append(time.thread_time() - started - local.inside)

    eval_utils._invoke_lambda_function, function_class._invoke_lambda = timed, handler_part
    try:
        yield
    finally:
        eval_utils._invoke_lambda_function, function_class._invoke_lambda = invoke, inner


def run(
    claims: int, first: int, variants: Variants, patched: bool, logs: Path, groups: list[str]
) -> tuple[dict[str, list[float]], int, float]:
    """One round: `claims` claims one at a time; moto's time per call, and the process's CPU."""
    times: dict[str, list[float]] = defaultdict(list)
    plan = [(UNREVIEWED[n % len(UNREVIEWED)], first + n) for n in range(claims)]
    attributes = [a for g in groups for a in GROUPS[g][0]()]
    every_service = any(GROUPS[g][1] for g in groups)
    undone = contextlib.nullcontext() if patched else moto_patches.REGISTRY.undone(*attributes)
    with (
        warm_cloud(variants, plan, logs / f"{first}.log", warm=first + 900_000) as cloud,
        undone,
        timing(times, every_service),
    ):
        started = time.process_time()
        one_at_a_time(cloud, variants, plan, "ab")
        cpu = time.process_time() - started
    return times, claims, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=60, help="claims per round and side")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of patched / moto's own code")
    parser.add_argument(
        "--patches", default="expressions", help=f"the groups turned on and off, comma-separated: {', '.join(GROUPS)}"
    )
    args = parser.parse_args()
    groups = [g.strip() for g in args.patches.split(",") if g.strip()]
    unknown = [g for g in groups if g not in GROUPS]
    if unknown or not groups:
        parser.error(f"--patches: unknown group(s) {unknown}; choose from {', '.join(GROUPS)}")
    logging.getLogger("moto.stepfunctions.parser.asl.component.eval_component").setLevel(logging.CRITICAL)
    moto_patches.install()
    variants = Variants()
    logs = Path(tempfile.mkdtemp(prefix="icpa-moto-ab-"))
    per_claim: dict[bool, list[float]] = {True: [], False: []}
    per_op: dict[bool, dict[str, list[float]]] = {True: defaultdict(list), False: defaultdict(list)}
    process: dict[bool, list[float]] = {True: [], False: []}  # the process's CPU ms per claim, per round
    for r in range(args.rounds):
        for patched in (True, False) if r % 2 == 0 else (False, True):
            first = (2 * r + (0 if patched else 1)) * 10_000
            times, claims, cpu = run(args.claims, first, variants, patched, logs, groups)
            per_claim[patched].append(1000 * sum(sum(v) for v in times.values()) / claims)
            process[patched].append(1000 * cpu / claims)
            for op, values in times.items():
                per_op[patched][op].extend(values)
    timed = "every request" if any(GROUPS[g][1] for g in groups) else "DynamoDB requests"
    print(f"moto's processing of {timed} (Lambda invokes: their handlers' calls), patches {groups} on / off,")
    print(f"{args.claims} claims x {args.rounds} rounds per side (thread CPU)")
    print(f"{'operation':<24} {'calls/claim':>11} {'patched ms':>11} {'moto ms':>9} {'ratio':>6}")
    total = args.claims * args.rounds
    typical = {True: 0.0, False: 0.0}  # calls per claim x the median call, summed over operations
    for op in sorted(per_op[False], key=lambda o: -sum(per_op[False][o])):
        mine, theirs = per_op[True].get(op, []), per_op[False][op]
        if not mine:
            continue
        a, b = 1000 * statistics.median(mine), 1000 * statistics.median(theirs)
        typical[True] += a * len(mine) / total
        typical[False] += b * len(theirs) / total
        print(f"{op:<24} {len(theirs) / total:>11.1f} {a:>11.3f} {b:>9.3f} {a / b:>6.2f}")
    a, b = typical[True], typical[False]
    print(f"{'per claim':<24} {'':>11} {a:>11.2f} {b:>9.2f} {a / b:>6.2f}   (calls per claim x median call)")
    a, b = statistics.median(per_claim[True]), statistics.median(per_claim[False])
    print(f"{'per claim':<24} {'':>11} {a:>11.2f} {b:>9.2f} {a / b:>6.2f}   (median of the rounds' means: noisier)")
    a, b = statistics.median(process[True]), statistics.median(process[False])
    print(f"{'process CPU per claim':<24} {'':>11} {a:>11.2f} {b:>9.2f} {a / b:>6.2f}   (median of the rounds)")
    print(json.dumps({"rounds_patched_ms": per_claim[True], "rounds_moto_ms": per_claim[False], "process": process}))


if __name__ == "__main__":
    main()
