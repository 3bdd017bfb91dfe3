"""`icpa load`: the claims builder, the token bucket, the report, and a CI-sized run on the real
workflow (nothing lost, no ERROR; the figures are printed, not asserted)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from icpa_local.cloud import LocalCloud
from icpa_local.load import LoadReport, TokenBucket, load_batch, run_load, seed


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_token_bucket_paces_takes_at_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(5.0, clock=clock, sleep=clock.sleep)
    for _ in range(11):
        bucket.take()
    # Given one token at the start, ten more at 5/s take two seconds.
    assert abs(clock.now - 2.0) < 1e-9


def test_the_batch_is_deterministic_and_shares_nothing_between_claims_or_runs() -> None:
    batch = load_batch(45, run=3)
    assert batch == load_batch(45, run=3)
    docs = [json.loads(c.body) for c in batch.claims]
    assert len({d["claim_id"] for d in docs}) == len({d["member_id"] for d in docs}) == 45
    assert all(len(p["members"]) <= 20 for p in batch.policies) and len(batch.policies) == 3
    assert {m for p in batch.policies for m in p["members"]} == {d["member_id"] for d in docs}
    other = {json.loads(c.body)["member_id"] for c in load_batch(45, run=4).claims}
    assert not other & {d["member_id"] for d in docs}
    assert Counter(c.expected for c in batch.claims) == {"APPROVED": 41, "DENIED": 2, "REJECTED": 2}


def test_percentiles_are_nearest_rank() -> None:
    report = LoadReport(latencies_ms=[float(n) for n in range(1, 101)])
    assert (report.percentile(50), report.percentile(95), report.percentile(99)) == (50.0, 95.0, 99.0)
    assert LoadReport().percentile(50) is None


def test_a_ci_sized_load_loses_nothing_and_errors_nothing() -> None:
    batch = load_batch(200, run=1)
    # 0.05, not 0.001: the time scale shrinks the tasks' 60 s timeouts too (3 s, not 60 ms under load).
    with LocalCloud(time_scale=0.05) as cloud:
        seed(cloud, batch.policies)
        report = run_load(cloud, batch.claims, rate=10.0, timeout=180)
    print(json.dumps(report.as_json(), indent=1))  # noqa: T201 - the figures, for the log
    assert report.submitted == 200 and report.finished == 200
    assert not report.lost and not report.errors and "ERROR" not in report.outcomes
    assert not report.unexpected
    assert report.outcomes == Counter(c.expected for c in batch.claims)


def test_icpa_load_prints_its_figures_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    from icpa_local import cli

    code = cli.main(["--time-scale", "0.05", "load", "--claims", "20", "--rate", "50", "--run", "2"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "20 of 20 claims" in out and "claims/s" in out and "p95" in out and "errors: 0, lost: 0" in out
