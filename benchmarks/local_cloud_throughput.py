"""Claims per second through the local cloud, against the no-op floor, in one run.

Real workflow: every claim is a real upload -> EventBridge rule -> the real ASL on moto's
interpreter -> the real handlers -> decision; human reviews are answered through the review API.
Floor: the same state machine, rule and driver with no-op handlers (`LocalCloud(handler_overrides=
...)`) that replay, per path, what the real handlers answered, so every path runs the same
states; its reviews are answered with the task-success output the real run's reviews produced.

The driver keeps `--concurrency` claims in flight and waits on hooks, not a poll: the execution's
end (moto_patches.STATE.on_execution_ended) and the review request handler's return. Every wait
is bounded (`--stall-seconds` without any progress fails the run, naming what is stuck).
Claims are distinct (benchmarks/claim_variants.py), so a claim's path never depends on the ones
before it; a claim that ends elsewhere than its path's outcome is printed as UNEXPECTED.

Printed: claims/s and p50/p95 per path for both runs and their ratio; process CPU ms per claim
over the first and the last tenth of the run (claims 0-100 and 900-1000 of a 1,000-claim run);
AWS calls per claim by principal, service and operation (callrecorder); transitions per path;
the largest state payload; the real run's CPU by function (thread CPU of each invocation, its
own AWS calls included). `--claims 40` is a quick run.

`--workers N` runs the real workflow's handlers in N worker processes (icpa_local.workers): the
process CPU printed is then the state process's (backends, interpreter, rule, driver), and the
CPU by function shows each invocation's share in this process (moto's side of its calls) and in
its worker (the handler and the client side of its calls). The floor's no-op handlers stay
in-process (in a worker they would only add the pipe).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import queue
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from claim_variants import BY_NAME, PATHS, Variants

from icpa_local import callrecorder, moto_patches
from icpa_local.cloud import LocalCloud
from icpa_local.functions import FUNCTIONS

REVIEW_FUNCTION = "ReviewRequestFunction"


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def path_of(execution_arn: str) -> str:
    """The path is in the upload's key, hence in the execution's name (bench-<path>-<n>-...)."""
    name = execution_arn.rsplit(":", 1)[-1]
    for path in sorted(BY_NAME, key=len, reverse=True):
        if name.startswith(f"bench-{path}-"):
            return path
    raise KeyError(f"not a benchmark execution: {execution_arn}")


class Hooks:
    """What the driver waits on: executions ending and reviews being requested."""

    def __init__(self) -> None:
        self.events: queue.Queue[tuple[str, str, Any]] = queue.Queue()

    def ended(self, execution: Any) -> None:
        status = str(getattr(execution.exec_status, "value", execution.exec_status))
        self.events.put(("ended", execution.exec_arn, status))

    def review_requested(self, execution_arn: str, task_token: str, review_id: str | None = None) -> None:
        """`review_id`: the review the request handler opened (what its notice names), if known."""
        self.events.put(("review", execution_arn, Review(task_token, review_id)))


@dataclass(frozen=True)
class Review:
    task_token: str
    review_id: str | None


@dataclass(frozen=True)
class Raised:
    error: str  # the exception's class name: what the ASL's Catch matches


@dataclass
class Recorded:
    """What the real handlers answered, per execution and function (the floor replays it)."""

    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    replay: dict[str, dict[str, Any]] = field(default_factory=dict)  # path -> function -> output
    review_output: str | None = None  # the task-success output a real review sent
    # thread CPU seconds and invocations per function (a handler's own AWS calls run on its thread)
    cpu: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    invocations: Counter[str] = field(default_factory=Counter)


def real_handlers(
    hooks: Hooks, recorded: Recorded
) -> Callable[[str, Callable[[dict[str, Any], Any], Any]], Callable[[dict[str, Any], Any], Any]]:
    """Wraps each real handler (in-process, or a worker's: LocalCloud(wrap_handlers=...))."""

    def wrap(logical_id: str, handler: Callable[[dict[str, Any], Any], Any]) -> Callable[[dict[str, Any], Any], Any]:
        def run(event: dict[str, Any], context: Any) -> Any:
            execution = event.get("execution_id") if isinstance(event, dict) else None
            started = time.thread_time()
            try:
                out = handler(event, context)
            except Exception as exc:  # replayed by the floor as an error of the same name (Catch)
                if execution:
                    error = getattr(exc, "error_type", None) or type(exc).__name__  # a worker's: its name there
                    recorded.outputs.setdefault(execution, {}).setdefault(logical_id, Raised(error))
                raise
            finally:
                recorded.cpu[logical_id] += time.thread_time() - started
                recorded.invocations[logical_id] += 1
            if execution:
                recorded.outputs.setdefault(execution, {}).setdefault(logical_id, json.loads(json.dumps(out)))
                if logical_id == REVIEW_FUNCTION:
                    opened = out.get("review_id") if isinstance(out, dict) else None
                    hooks.review_requested(execution, str(event.get("task_token")), opened)
            return out

        return run

    return wrap


def floor_handlers(hooks: Hooks, recorded: Recorded) -> dict[str, Callable[[dict[str, Any], Any], Any]]:
    def no_op(logical_id: str) -> Callable[[dict[str, Any], Any], Any]:
        def run(event: dict[str, Any], context: Any) -> Any:
            execution = event.get("execution_id") if isinstance(event, dict) else None
            if not execution:
                return {}  # the archiver (EventBridge target): nothing to replay
            out = recorded.replay[path_of(execution)].get(logical_id, {})
            if isinstance(out, Raised):
                raise type(out.error, (Exception,), {})("replayed by the floor")
            if logical_id == REVIEW_FUNCTION:
                hooks.review_requested(execution, str(event.get("task_token")))
            return out

        return run

    return {logical_id: no_op(logical_id) for logical_id in FUNCTIONS}


@dataclass
class RunStats:
    label: str
    claims: int
    elapsed: float
    latencies: dict[str, list[float]]
    cpu_first: float  # CPU ms per claim over the first tenth of completions
    cpu_last: float
    window: int
    cpu_seconds: float  # process CPU over the whole run (all threads)
    arns: dict[str, str]  # execution arn -> path

    @property
    def cpu_bound_rate(self) -> float:
        """Claims/s if this process had one core to itself (CPU-bound: one core, the GIL)."""
        return self.claims / self.cpu_seconds


def drive(
    cloud: LocalCloud,
    hooks: Hooks,
    plan: list[tuple[str, int]],
    variants: Variants,
    *,
    label: str,
    concurrency: int,
    stall_seconds: float,
    answer: Callable[[str, Review], None],
) -> RunStats:
    inflight: dict[str, tuple[str, float]] = {}
    early: dict[str, str] = {}  # ended before upload() returned its arn
    latencies: dict[str, list[float]] = defaultdict(list)
    arns: dict[str, str] = {}
    window = max(1, len(plan) // 10)
    cpu_marks: dict[int, float] = {}
    done = 0
    next_claim = 0

    def finish(arn: str) -> None:
        nonlocal done
        path, t0 = inflight.pop(arn)
        latencies[path].append((time.perf_counter() - t0) * 1000)
        done += 1
        if done in (window, len(plan) - window, len(plan)):
            cpu_marks[done] = time.process_time()

    cpu_marks[0] = time.process_time()
    started = time.perf_counter()
    while done < len(plan):
        while next_claim < len(plan) and len(inflight) < concurrency:
            path, n = plan[next_claim]
            next_claim += 1
            t0 = time.perf_counter()
            arn = cloud.upload(variants.claim(path, n), f"claims/bench-{path}-{n}.json")
            inflight[arn] = (path, t0)
            arns[arn] = path
            if arn in early:
                early.pop(arn)
                finish(arn)
        try:
            kind, arn, detail = hooks.events.get(timeout=stall_seconds)
        except queue.Empty:
            stuck = {a: str(cloud.describe(a)["status"]) for a in inflight}
            raise RuntimeError(f"{label}: no progress for {stall_seconds}s; in flight: {stuck}") from None
        if kind == "review":
            answer(arn, detail)
        elif arn in inflight:
            finish(arn)
        elif path_of_or_none(arn) is not None and arn not in arns:
            early[arn] = detail
    elapsed = time.perf_counter() - started
    first = (cpu_marks[window] - cpu_marks[0]) * 1000 / window
    last = (cpu_marks[len(plan)] - cpu_marks[len(plan) - window]) * 1000 / window
    cpu = cpu_marks[len(plan)] - cpu_marks[0]
    return RunStats(label, len(plan), elapsed, dict(latencies), first, last, window, cpu, arns)


def path_of_or_none(arn: str) -> str | None:
    try:
        return path_of(arn)
    except KeyError:
        return None


def transitions(history: list[dict[str, Any]]) -> int:
    return sum(1 for e in history if str(e["type"]).endswith("StateEntered"))


def largest_payload(history: list[dict[str, Any]]) -> tuple[int, str]:
    best = (0, "-")
    for event in history:
        for key in ("stateEnteredEventDetails", "stateExitedEventDetails"):
            details = event.get(key)
            if details:
                size = len(str(details.get("input") or details.get("output") or "").encode())
                best = max(best, (size, f"{details.get('name')} ({key[:-12]})"))
    return best


def print_run(stats: RunStats, transitions_by_path: dict[str, Counter[int]]) -> None:
    everything = [v for values in stats.latencies.values() for v in values]
    print(
        f"{stats.label}: {stats.claims} claims in {stats.elapsed:.1f} s = {stats.claims / stats.elapsed:.1f} claims/s"
    )
    print(f"  all paths      p50 {pct(everything, 0.5):7.0f} ms  p95 {pct(everything, 0.95):7.0f} ms")
    for path in PATHS:
        values = stats.latencies.get(path.name, [])
        seen = dict(sorted(transitions_by_path.get(path.name, Counter()).items()))
        print(
            f"  {path.name:14s} n={len(values):4d}  p50 {pct(values, 0.5):7.0f} ms  p95 {pct(values, 0.95):7.0f} ms"
            f"  transitions {seen}"
        )
    print(
        f"  process CPU    {stats.cpu_seconds:.1f} s in {stats.elapsed:.1f} s wall"
        f" ({stats.cpu_seconds / stats.elapsed:.0%} of one core; the rest went to other processes):"
        f" CPU-bound rate {stats.cpu_bound_rate:.1f} claims/s"
        f" = {60 * stats.cpu_bound_rate:.0f}/min"
    )
    print(
        f"  CPU per claim  first {stats.window}: {stats.cpu_first:6.1f} ms   last {stats.window}: "
        f"{stats.cpu_last:6.1f} ms   ratio {stats.cpu_last / stats.cpu_first:.2f}"
    )


def print_functions(
    cpu: dict[str, float], invocations: Counter[str], stats: RunStats, in_workers: dict[str, float]
) -> None:
    """Where the real run's CPU went, by function (each with its own AWS calls, client and moto).
    With worker processes, `cpu` is this (the state) process's share of each invocation (moto's
    side of its calls, the pipe) and `in_workers` the handler's own thread CPU in its worker."""
    total = sum(cpu.values())
    print(
        f"  handlers' CPU  {1000 * total / stats.claims:.1f} ms per claim of"
        f" {1000 * stats.cpu_seconds / stats.claims:.1f} (the rest: interpreter, rule, Lambda plumbing, driver)"
        + (f"; in the workers {1000 * sum(in_workers.values()) / stats.claims:.1f} ms per claim" if in_workers else "")
    )
    for name, seconds in sorted(cpu.items(), key=lambda kv: -kv[1]):
        if not invocations[name]:
            continue
        worker = f"  in a worker {1000 * in_workers[name] / invocations[name]:6.2f} ms each" if in_workers else ""
        print(
            f"    {name:24s} {invocations[name]:5d} calls  {1000 * seconds / invocations[name]:6.2f} ms each"
            f"  {1000 * seconds / stats.claims:6.2f} ms per claim{worker}"
        )


def print_calls(calls: list[callrecorder.RecordedCall], claims: int, title: str) -> None:
    counts = Counter((c.principal, c.service, c.operation) for c in calls)
    by_kind = Counter("handlers" if c.principal.endswith("Function") else c.principal for c in calls)
    print(
        f"{title} ({claims} claims): {len(calls) / claims:.1f} per claim; "
        + ", ".join(f"{kind} {n / claims:.1f}" for kind, n in sorted(by_kind.items()))
    )
    for (principal, service, operation), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {n / claims:5.2f}  {principal:24s} {service}:{operation}")


@dataclass
class RealRun:
    stats: RunStats
    transitions: dict[str, Counter[int]]
    census: dict[str, list[callrecorder.RecordedCall]]


def run_real(
    args: argparse.Namespace,
    workers: int,
    plans: tuple[list[tuple[str, int]], list[tuple[str, int]], list[tuple[str, int]]],
    variants: Variants,
    hooks: Hooks,
    recorded: Recorded,
    log_path: Path,
) -> RealRun:
    """One real-workflow run in a fresh local cloud (handlers in `workers` processes, 0: in this
    one), printed; its census when `plans` has one."""
    plan, census_plan, warm = plans
    label = "real workflow" + (f", handlers in {workers} worker processes" if workers else ", handlers in-process")
    transitions_real: dict[str, Counter[int]] = defaultdict(Counter)
    surprises: list[str] = []
    biggest = (0, "-", "-")
    census: dict[str, list[callrecorder.RecordedCall]] = {}
    real_cloud = LocalCloud(
        time_scale=args.time_scale, wrap_handlers=real_handlers(hooks, recorded), log_path=log_path, workers=workers
    )
    with real_cloud as cloud:
        cloud.seed_policies(variants.policies(plan + census_plan + warm))

        def answer_real(arn: str, review: Review) -> None:
            # The id the request handler opened (its notice names it), as a reviewer has it
            review_id = review.review_id or cloud.pending_review_for(arn)
            if review_id is None:
                raise RuntimeError(f"review requested for {arn}, but no PENDING review names it")
            code, body = cloud.answer_review(
                review_id, BY_NAME[path_of(arn)].review or "APPROVE", reviewer="bench", rationale="Benchmark review."
            )
            if code != 200:
                raise RuntimeError(f"review {review_id} refused ({code}): {body}")

        def run(claims: list[tuple[str, int]], label: str, concurrency: int) -> RunStats:
            return drive(
                cloud,
                hooks,
                claims,
                variants,
                label=label,
                concurrency=concurrency,
                stall_seconds=args.stall_seconds,
                answer=answer_real,
            )

        run(warm, "warm-up", len(warm))
        cpu_before, invocations_before = dict(recorded.cpu), Counter(recorded.invocations)
        workers_before = dict(cloud.pool.cpu) if cloud.pool else {}
        real = run(plan, label, args.concurrency)
        in_workers = {n: s - workers_before.get(n, 0.0) for n, s in (cloud.pool.cpu if cloud.pool else {}).items()}
        by_function = (
            {name: seconds - cpu_before.get(name, 0.0) for name, seconds in recorded.cpu.items()},
            recorded.invocations - invocations_before,
        )
        for arn, path in real.arns.items():
            history = cloud.history(arn)
            transitions_real[path][transitions(history)] += 1
            size, where = largest_payload(history)
            biggest = max(biggest, (size, where, path))
            result = cloud.result(arn)
            if result.outcome != BY_NAME[path].outcome:
                surprises.append(f"{path}: {result.outcome} {result.reasons} via {' > '.join(result.states)}")
            if path not in recorded.replay and arn in recorded.outputs:
                recorded.replay[path] = recorded.outputs[arn]
            if BY_NAME[path].review and recorded.review_output is None:
                for event in history:
                    if event["type"] == "TaskSucceeded":
                        recorded.review_output = event["taskSucceededEventDetails"]["output"]
        moto_patches.wait_for_async_invocations()  # the run's last archivers: not the census's
        for path, n in census_plan:  # one claim at a time: every call is that claim's
            with callrecorder.CallRecorder() as rec:
                run([(path, n)], "census", 1)
                moto_patches.wait_for_async_invocations()
            census.setdefault(path, []).extend(rec.calls)

    print_run(real, transitions_real)
    print(f"  largest state payload: {biggest[0]} bytes at {biggest[1]} on {biggest[2]} (AWS limit 262144)")
    for surprise in surprises[:20]:
        print(f"  UNEXPECTED {surprise}")
    print(f"  unexpected outcomes: {len(surprises)}")
    print_functions(*by_function, real, in_workers)
    return RealRun(real, transitions_real, census)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=1000, help="claims per run, spread over the paths")
    parser.add_argument("--concurrency", type=int, default=8, help="claims in flight at once")
    parser.add_argument("--time-scale", type=float, default=0.01)
    parser.add_argument("--stall-seconds", type=float, default=60.0, help="fail when nothing moves this long")
    parser.add_argument("--census", type=int, default=3, help="claims per path for the sequential call census")
    parser.add_argument("--no-floor", action="store_true", help="only the real workflow")
    parser.add_argument(
        "--workers",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[0, 2],
        help="real runs, one per count of handler worker processes (0: handlers in the state process); " "default 0,2",
    )
    args = parser.parse_args()
    variants = Variants()
    plan = [(PATHS[i % len(PATHS)].name, i) for i in range(args.claims)]
    census_plan = [(p.name, 10_000_000 + len(PATHS) * k + j) for k in range(args.census) for j, p in enumerate(PATHS)]
    warm = [(p.name, 9_000_000 + j) for j, p in enumerate(PATHS)]
    print(
        f"local cloud: {args.claims} claims, {args.concurrency} in flight, time scale {args.time_scale}; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start"
    )

    # Handlers' logs go to a file (as a Lambda's would), and moto's log line for every Choice rule
    # whose path is absent (normal ASL, e.g. an optional field) stays off the terminal.
    logs = Path(tempfile.mkdtemp(prefix="icpa-bench-"))
    logging.getLogger("moto.stepfunctions.parser.asl.component.eval_component").setLevel(logging.CRITICAL)
    hooks = Hooks()
    recorded = Recorded()
    moto_patches.STATE.on_execution_ended.append(hooks.ended)
    reals: list[RealRun] = []
    for n, workers in enumerate(args.workers):  # the census once, in the first run
        plans = (plan, census_plan if n == 0 else [], warm)
        reals.append(run_real(args, workers, plans, variants, hooks, recorded, logs / f"real-{n}.log"))
    census = reals[0].census

    if not args.no_floor:
        floor_cloud = LocalCloud(
            time_scale=args.time_scale,
            handler_overrides=floor_handlers(hooks, recorded),
            seed_policies=False,
            log_path=logs / "floor.log",
        )
        transitions_floor: dict[str, Counter[int]] = defaultdict(Counter)
        with floor_cloud as cloud:
            sfn = cloud.client("stepfunctions")

            def answer_floor(_arn: str, review: Review) -> None:
                sfn.send_task_success(taskToken=review.task_token, output=recorded.review_output or "{}")

            drive(
                cloud,
                hooks,
                warm,
                variants,
                label="floor warm-up",
                concurrency=len(warm),
                stall_seconds=args.stall_seconds,
                answer=answer_floor,
            )
            floor = drive(
                cloud,
                hooks,
                plan,
                variants,
                label="no-op floor",
                concurrency=args.concurrency,
                stall_seconds=args.stall_seconds,
                answer=answer_floor,
            )
            for arn, path in floor.arns.items():
                transitions_floor[path][transitions(cloud.history(arn))] += 1
        print_run(floor, transitions_floor)
        for workers, each in zip(args.workers, reals, strict=True):
            real = each.stats
            ratio = (real.claims / real.elapsed) / (floor.claims / floor.elapsed)
            print(
                f"real ({workers} workers) / floor throughput: {ratio:.2f}"
                f"   real: {60 * real.claims / real.elapsed:.0f} claims/min"
            )
            cpu_ratio = real.cpu_bound_rate / floor.cpu_bound_rate
            print(
                f"real ({workers} workers) / floor CPU-bound rate: {cpu_ratio:.2f}"
                f"   real: {60 * real.cpu_bound_rate:.0f} claims/min (this process's CPU)"
            )

    for census_path in PATHS if args.census else ():
        name = census_path.name
        print_calls(census.get(name, []), args.census, f"AWS calls per {name} claim")
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
