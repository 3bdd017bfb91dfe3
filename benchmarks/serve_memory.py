"""Memory of a long-running local cloud (what `icpa serve` runs): RSS against claims processed.

A journaled LocalCloud on a fresh data directory, serving its endpoint like `icpa serve`, takes
auto-approve claims (made unique) a few at a time; every --every claims it prints VmRSS
(/proc/self/status) next to what the process holds: executions with their in-memory history,
history events, moto's TMP_THREADS, pending async invocations, S3 bytes, DynamoDB items.
"""

from __future__ import annotations

import argparse
import gc
import json
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from claim_variants import shifted

from icpa_local import moto_patches
from icpa_local.cloud import LocalCloud
from icpa_local.resources import ACCOUNT, REGION
from icpa_local.serve import free_port


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def held() -> dict[str, int]:
    """What the process holds that grows with claims."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.s3.models import s3_backends
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends
    from moto.stepfunctions.parser.utils import TMP_THREADS

    sfn: Any = stepfunctions_parser_backends[ACCOUNT][REGION]
    executions = [e for machine in sfn.state_machines for e in machine.executions]
    live_histories = [
        e
        for e in executions
        if getattr(getattr(e, "exec_worker", None), "env", None) is not None
        and hasattr(e.exec_worker.env, "event_history_context")
    ]
    events = 0
    for execution in live_histories:
        try:
            events += len(execution.to_history_output()["events"])
        except Exception:  # - a probe
            continue
    s3 = s3_backends[ACCOUNT]["aws"]
    s3_bytes = sum(
        k.size for b in s3.buckets.values() for versions in b.keys.lists() for k in versions[1] if hasattr(k, "size")
    )
    ddb = dynamodb_backends[ACCOUNT][REGION]
    return {
        "executions": len(executions),
        "in_memory_histories": len(live_histories),
        "history_events": events,
        "tmp_threads": len(TMP_THREADS),
        "async_invocations": len(moto_patches._async_invocations),
        "s3_kb": s3_bytes // 1024,
        "ddb_items": sum(len(list(t.all_items())) for t in ddb.tables.values()),
    }


def variant(template: dict[str, Any], n: int) -> bytes:
    """Claim n of the run: its own id, dates and amounts, the sample's member (so fraud's
    history grows with the run, as a serving cloud's does; flagged near-duplicates are reviewed)."""
    return json.dumps(shifted(template, n, f"BENCH-{n:06d}")).encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=300)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    template = json.loads(resources.files("icpa_local").joinpath("samples/approve-office-visit.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        cloud = LocalCloud(data_dir=Path(tmp) / "data", server_port=free_port(), log_path=Path(tmp) / "h.jsonl")
        with cloud:
            print(f"{'claims':>6} {'rss MB':>7}  held")
            print(f"{0:>6} {rss_mb():7.1f}  {held()}")
            done = 0
            while done < args.claims:
                batch = min(args.concurrency, args.claims - done)
                arns = [cloud.upload(variant(template, done + i), f"claims/mem-{done + i}.json") for i in range(batch)]
                for arn in arns:
                    if cloud.wait(arn, timeout=120) == "WAITING_FOR_REVIEW":  # near-duplicates get flagged
                        review_id = cloud.pending_review_for(arn)
                        assert review_id is not None
                        cloud.answer_review(review_id, "APPROVE", reviewer="bench", rationale="Benchmark review.")
                    status = cloud.wait(arn, timeout=120, stop_at_review=False)
                    assert status == "SUCCEEDED", (arn, status)  # every claim ends: none is parked
                done += batch
                if done % args.every < batch or done == args.claims:
                    moto_patches.wait_for_async_invocations(10)  # the archiver of the last ones
                    gc.collect()
                    print(f"{done:>6} {rss_mb():7.1f}  {held()}")


if __name__ == "__main__":
    main()
