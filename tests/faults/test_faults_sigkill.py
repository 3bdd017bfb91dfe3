"""Fault: `icpa serve` SIGKILLed in the middle of a batch of 100 claims, then restarted on the
same data directory. Every claim gets exactly one outcome, every step of its audit chain is
there once, and `icpa audit CLAIM --verify` is OK for all 100 (archives included)."""

from __future__ import annotations

import contextlib
import io
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from serve_process import HUMAN, Serve, audit_steps, eventually, outcome_of, server_pool, variant

import icpa_local.cli as icpa_cli
from icpa_local.remote import http_call

BATCH = 100
KILL_AFTER_ENDED = 30  # executions ended when the SIGKILL comes: the rest are in flight or not started
PLAN = [
    "approve-office-visit.json",
    "deny-lapsed-policy.json",
    "approve-lab-panel.json",
    "review-high-amount-surgery.json",
]
# Steps a claim's chain holds once per execution: the workflow's deciding steps.
ONCE = ("intake", "fraud", "adjudication", "router", "review_requested", "decision")


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Callable[..., Serve]]:
    with server_pool(tmp_path / "data") as make:
        yield make


def verify(server: Serve, claim_id: str) -> tuple[int, str]:
    """`icpa audit CLAIM --verify` against the running server (in this process: the command's
    own code path, without 100 interpreter start-ups)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = icpa_cli.main(
            ["audit", claim_id, "--verify", "--endpoint", server.endpoint, "--data-dir", str(server.data_dir)]
        )
    return code, err.getvalue() or out.getvalue()[-300:]


def test_sigkill_mid_batch_every_claim_one_outcome_and_verified(servers: Callable[..., Serve]) -> None:
    server = servers(handlers=None)  # every real handler
    server.start()
    cloud = server.session()
    batch = {f"claims/kill-{n:03d}.json": variant(PLAN[n % len(PLAN)], n, "KIL") for n in range(BATCH)}
    claim_ids = [claim_id for claim_id, _ in batch.values()]

    # Given a batch of 100 being uploaded, four clients at a time
    def upload(key: str) -> str:
        return str(cloud.client("s3").put_object(Bucket="icpa-inbox", Key=key, Body=batch[key][1])["ETag"])

    pool = ThreadPoolExecutor(max_workers=4)
    uploads = {key: pool.submit(upload, key) for key in batch}

    # When the server is SIGKILLed once 30 executions have ended
    sfn = cloud.client("stepfunctions")
    machine = cloud.names.state_machine_arn()

    def enough_ended() -> list[dict[str, Any]] | None:
        found = sfn.list_executions(stateMachineArn=machine, maxResults=1000)["executions"]
        return found if sum(e["status"] != "RUNNING" for e in found) >= KILL_AFTER_ENDED else None

    executions = eventually(enough_ended, 180, f"{KILL_AFTER_ENDED} ended executions", interval=0.05)
    server.kill()
    pool.shutdown(wait=True)
    failed_uploads = [key for key, future in uploads.items() if future.exception() is not None]
    ended = sum(e["status"] != "RUNNING" for e in executions)
    running = len(executions) - ended

    # And started again on the same data directory
    restart_began = time.monotonic()
    restart_seconds = server.start()
    cloud = server.session()
    s3 = cloud.client("s3")
    resent = 0
    for key in failed_uploads:  # a careful client re-sends what the server had not confirmed
        try:
            s3.head_object(Bucket="icpa-inbox", Key=key)
        except s3.exceptions.ClientError:
            upload(key)
            resent += 1

    # Then every claim is decided, or parks on a review that can be answered with its new token
    def settled() -> dict[str, Any] | None:
        found = {c.claim_id: c for c in cloud.claim_statuses() if c.claim_id in claim_ids}
        done = len(found) == BATCH and all(c.outcome != "IN_PROGRESS" for c in found.values())
        return found if done else None

    statuses = eventually(settled, 240, "every claim to settle", interval=0.5)
    good = {"Authorization": f"Bearer {server.token(HUMAN)}"}
    pending = {c.claim_id: c.review_id for c in statuses.values() if c.outcome == "PENDING_REVIEW"}
    for claim_id, review_id in pending.items():
        status, answer = http_call(
            f"{server.review_url}/reviews/{review_id}/decision",
            "POST",
            headers=good,
            body={"decision": "APPROVE", "rationale": f"Checked {claim_id} after the kill."},
        )
        assert status == 200, answer
    eventually(
        lambda: all(outcome_of(cloud, c) not in (None, "IN_PROGRESS", "PENDING_REVIEW") for c in claim_ids),
        240,
        "every claim's outcome",
        interval=0.5,
    )
    decided_seconds = time.monotonic() - restart_began

    # Exactly one outcome per claim, and each deciding step of its chain once
    repeated: dict[str, Counter[str]] = {}
    for claim_id in claim_ids:
        steps = Counter(e["step"] for e in audit_steps(cloud, claim_id))
        assert steps["decision"] == 1 and steps["intake"] == 1, (claim_id, steps)
        twice = Counter({step: n for step, n in steps.items() if step in ONCE and n > 1})
        if twice:
            repeated[claim_id] = twice
    assert not repeated, f"steps recorded twice after the restart: {repeated}"
    names = Counter(e["name"].rsplit("-", 1)[0] for e in cloud.executions() if e["name"].startswith("kill-"))
    assert names == Counter({key.split("/")[1].removesuffix(".json"): 1 for key in batch})  # same ARNs

    # And `icpa audit --verify` is OK for all 100 (the archiver runs just after each end)
    def all_verified() -> bool:
        return all(verify(server, claim_id)[0] == 0 for claim_id in claim_ids)

    with contextlib.suppress(AssertionError):
        eventually(all_verified, 60, "every archive", interval=1.0)
    failures = {c: why for c in claim_ids if (result := verify(server, c))[0] != 0 for why in [result[1]]}
    assert not failures, failures
    verified_seconds = time.monotonic() - restart_began

    print(  # noqa: T201 - the figures the report quotes
        f"\nsigkill: batch {BATCH}; at the kill {ended} executions had ended, {running} were running, "
        f"{BATCH - len(executions)} not started ({len(failed_uploads)} uploads unconfirmed, {resent} re-sent); "
        f"restart {restart_seconds:.1f} s; all {BATCH} decided {decided_seconds:.1f} s and verified "
        f"{verified_seconds:.1f} s after the restart began ({len(pending)} reviews answered after it)"
    )
    assert server.terminate() == 0
