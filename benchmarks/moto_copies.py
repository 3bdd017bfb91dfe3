"""The interpreter's copies, measured: moto's `copy.deepcopy` against the JSON copy that
replaces it (icpa_local.moto_patches, section 14) on the values a real claim copies.

    python3.11 benchmarks/moto_copies.py   (or ./pants run benchmarks/moto_copies.py)

Runs real claims (auto-approve, auto-deny, rejected: no human review to answer) through the local
cloud with real handlers and records every value the patched modules copy, by module. Then times
both copies of that recorded set (per claim; what each module copies; what falls back to deepcopy
because it is not plain JSON), of the largest recorded state payload and of a 200-event history
(the recorded histories' events, repeated), and prints microseconds and the ratio.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from claim_variants import UNREVIEWED, Variants, one_at_a_time, warm_cloud

from icpa_local.moto_patches import copies


def record(claims: int) -> tuple[list[tuple[str, Any]], int]:
    """(module, a snapshot of the value) for every copy the patched modules made, and the claims run."""
    recorded: list[tuple[str, Any]] = []

    def recording(value: Any, memo: Any = None) -> Any:
        recorded.append((sys._getframe(1).f_globals.get("__name__", "?"), copy.deepcopy(value)))
        return copies.json_copy(value, memo)

    variants = Variants()
    plan = [(UNREVIEWED[n % len(UNREVIEWED)], n) for n in range(claims)]
    logging.getLogger("moto.stepfunctions.parser.asl.component.eval_component").setLevel(logging.CRITICAL)
    logs = Path(tempfile.mkdtemp(prefix="icpa-copies-"))
    with warm_cloud(variants, plan, logs / "copies.log", warm=10_000) as cloud:
        copies.COPY_MODULE.deepcopy = recording  # type: ignore[method-assign]
        try:
            one_at_a_time(cloud, variants, plan, "copies")
        finally:
            del copies.COPY_MODULE.deepcopy
    return recorded, claims


def per_call_us(fn: Callable[[Any], Any], values: list[Any], repeat: int) -> float:
    """Best of five: microseconds to copy every value once."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(repeat):
            for value in values:
                fn(value)
        best = min(best, (time.perf_counter() - started) / repeat)
    return best * 1e6


def compare(label: str, values: list[Any], repeat: int, per: int = 1) -> None:
    """Both copies of `values`, in microseconds per `per` (per claim, or per value)."""
    for value in values:
        if _plain(value) and type(value) not in copies.PLAIN_CLASSES:  # (those have no __eq__)
            assert copies.json_copy(value) == copy.deepcopy(value) or value != value  # NaN is never equal
    deep = per_call_us(copy.deepcopy, values, repeat) / per
    json_ = per_call_us(copies.json_copy, values, repeat) / per
    print(f"  {label:58s} deepcopy {deep:9.1f} us  json_copy {json_:9.1f} us  ratio {deep / json_:5.2f}")


def _plain(value: Any) -> bool:
    """True when json_copy copies it itself (no fallback to deepcopy): JSON, shared leaves,
    moto's ProgramState objects."""
    try:
        copies.plain_copy(value)
    except copies.NotJson:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    recorded, claims = record(args.claims)
    by_module: dict[str, list[Any]] = defaultdict(list)
    for module, value in recorded:
        by_module[module.rsplit(".", 1)[-1]].append(value)
    values = [value for _, value in recorded]
    plain = [v for v in values if _plain(v)]
    odd = [v for v in values if not _plain(v)]
    print(
        f"{len(values)} copies recorded over {claims} claims ({len(values) / claims:.0f} per claim);"
        f" {len(odd)} deepcopy's (not JSON)"
    )
    print("per claim:")
    compare("every copy", values, args.repeat, claims)
    if odd:
        kinds = sorted({type(v).__name__ for v in odd})
        compare(f"the others, deepcopy's either way ({', '.join(kinds)})", odd, args.repeat, claims)
    print("per claim, by module:")
    for module, module_values in sorted(by_module.items(), key=lambda kv: -len(kv[1])):
        compare(f"{module} ({len(module_values) / claims:.0f} copies)", module_values, args.repeat, claims)
    sized = [(len(json.dumps(v, default=str)), v) for v in plain if isinstance(v, dict)]
    size, largest = max(sized, key=lambda sv: sv[0])
    print("single values:")
    compare(f"largest state payload ({size} bytes of JSON)", [largest], args.repeat * 50)
    events = [
        e for v in plain if isinstance(v, list) and v and isinstance(v[0], dict) and "timestamp" in v[0] for e in v
    ]
    if events:
        history = [copy.deepcopy(events[n % len(events)]) for n in range(200)]
        compare(f"a 200-event history ({len(json.dumps(history, default=str))} bytes)", [history], args.repeat)


if __name__ == "__main__":
    main()
