"""The handlers in worker processes (`LocalCloud(workers=N)`, icpa_local.workers): the same
workflow as with the handlers in-process, and nothing lost when a worker dies.

The state process keeps moto's backends, the interpreter and the rules; each worker is one
Lambda container whose AWS calls are forwarded to the state process as the requests botocore
builds. So every path must end the same way, through the same states, with the same calls by the
same functions, as in-process."""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Iterator
from typing import Any, Final

import pytest

from icpa_local import workers
from icpa_local.callrecorder import CallRecorder
from icpa_local.cloud import LocalCloud
from icpa_local.functions import FUNCTIONS

from .conftest import sample

# One claim per path: auto-approve, auto-deny, a human review (answered), quarantined at intake,
# and a FHIR Claim.
SAMPLES: Final = (
    "approve-office-visit.json",
    "deny-lapsed-policy.json",
    "review-high-amount-surgery.json",
    "rejected-invalid-codes.json",
    "fhir-approve-office-visit.json",
)


def _run(cloud: LocalCloud, names: tuple[str, ...]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for name in names:
        with CallRecorder() as recorder:
            result = cloud.process(sample(name), name, review="approve")
            cloud.wait_idle()  # the archiver runs after the execution ends
        calls = Counter((c.principal, c.service, c.operation) for c in recorder.calls if c.principal in FUNCTIONS)
        out.append((name, str(result.outcome), result.route, sorted(result.reasons), result.states, calls))
    return out


@pytest.fixture
def worker_cloud() -> Iterator[LocalCloud]:
    with LocalCloud(time_scale=0.001, workers=1) as cloud:
        yield cloud


def test_every_path_ends_the_same_with_the_handlers_in_a_worker() -> None:
    # Given the same claims run with the handlers in-process (one local cloud at a time: moto's
    # backends are the process's)
    with LocalCloud(time_scale=0.001) as cloud:
        in_process = _run(cloud, SAMPLES)
    # When a cloud with its handlers in a worker process runs them
    with LocalCloud(time_scale=0.001, workers=1) as worker_cloud:
        in_worker = _run(worker_cloud, SAMPLES)
        pool = worker_cloud.pool
        assert pool is not None
        intake_runs = pool.invocations["IntakeFunction"]
    # Then each ends with the same outcome, route, reasons and states, and each function made
    # the same AWS calls (recorded in the worker, reported with the result)
    assert [r[:5] for r in in_worker] == [r[:5] for r in in_process]
    for (name, *_, worker_calls), (_, *_, local_calls) in zip(in_worker, in_process, strict=True):
        assert worker_calls == local_calls, name
    assert {r[1] for r in in_worker} >= {"APPROVED", "DENIED", "REJECTED"}
    reviewed = next(r for r in in_worker if r[0] == "review-high-amount-surgery.json")
    assert "REVIEWER_APPROVED" in reviewed[3]  # answered through the review API, in the worker
    # and the handlers ran in the worker, not here
    assert intake_runs == len(SAMPLES)


def test_a_workers_requests_are_signed_only_where_moto_reads_the_signature(
    worker_cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve = workers._serve_call
    seen: list[tuple[str, bool]] = []

    def record(message: tuple[Any, ...]) -> tuple[Any, ...]:
        _, _method, url, headers, _body = message
        seen.append((url.split("/")[2], any(k.lower() == "authorization" for k, _ in headers)))
        return serve(message)

    monkeypatch.setattr(workers, "_serve_call", record)
    # When a claim runs with its handlers in a worker
    result = worker_cloud.process(sample("approve-office-visit.json"), "approve-office-visit.json")
    assert str(result.outcome) == "APPROVED"
    # Then, as the state process's own in-process requests, S3's are signed (moto's S3 treats an
    # unsigned request as anonymous) and the other services' are not (nothing reads them)
    assert {signed for host, signed in seen if host.startswith("s3.") or ".s3." in host} == {True}
    assert {signed for host, signed in seen if host.startswith("dynamodb.")} == {False}


def test_a_workers_log_lines_go_to_the_handler_log(
    worker_cloud: LocalCloud, capsys: pytest.CaptureFixture[str]
) -> None:
    # When a claim runs with its handlers in a worker
    result = worker_cloud.process(sample("approve-office-visit.json"), "approve-office-visit.json")
    worker_cloud.wait_idle()
    # Then what they printed (structlog JSON, EMF metrics) is in the handler log, as in-process,
    assert str(result.outcome) == "APPROVED"
    assert worker_cloud.logs is not None
    logged = "".join(worker_cloud.logs.captured)
    assert '"service": "intake"' in logged or '"service":"intake"' in logged
    assert '"_aws"' in logged  # a Powertools metrics flush
    # and nothing reached the terminal
    assert capsys.readouterr().out == ""


def test_a_worker_that_dies_mid_invocation_quarantines_its_claim_and_is_replaced(
    worker_cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = worker_cloud.pool
    assert pool is not None
    before = pool.pids()
    serve = workers._serve_call
    killed: list[int] = []

    def kill_on_first_call(message: tuple[Any, ...]) -> tuple[Any, ...]:
        if not killed:  # the worker's first AWS call: the handler is mid-invocation
            pid = pool.pids()[0]
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            killed.append(pid)
        return serve(message)

    monkeypatch.setattr(workers, "_serve_call", kill_on_first_call)
    # When the worker running Intake is killed during the invocation
    crashed = worker_cloud.process(sample("approve-office-visit.json"), "approve-office-visit.json")
    # Then the invocation fails as a crashed Lambda runtime, and the claim is quarantined as an
    # unexpected error (the ASL's Catch), not lost
    assert killed == before
    assert str(crashed.outcome) == "ERROR", crashed
    assert crashed.states[:3] == ["ChooseSourceKind", "Intake", "QuarantineClaim"]
    failed = [
        e for e in worker_cloud.history(crashed.execution_arn) if e["type"] in ("TaskFailed", "LambdaFunctionFailed")
    ]
    assert failed and "Runtime.ExitError" in str(failed[0])
    # and a new worker took its place: the next claim is decided
    monkeypatch.setattr(workers, "_serve_call", serve)
    again = worker_cloud.process(sample("approve-lab-panel.json"), "approve-lab-panel.json")
    assert str(again.outcome) == "APPROVED"
    assert len(pool) == 1 and pool.pids() != before


def test_a_worker_that_died_while_idle_is_replaced_before_an_invocation(worker_cloud: LocalCloud) -> None:
    pool = worker_cloud.pool
    assert pool is not None
    (pid,) = pool.pids()
    # Given the only worker died between invocations
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    # When a claim arrives -- Then it is decided in a new worker, as Lambda uses another container
    result = worker_cloud.process(sample("approve-office-visit.json"), "approve-office-visit.json")
    assert str(result.outcome) == "APPROVED"
    assert pool.pids() != [pid] and len(pool) == 1


def test_stopping_the_cloud_ends_its_workers() -> None:
    with LocalCloud(time_scale=0.001, workers=2) as cloud:
        assert cloud.pool is not None
        pids = cloud.pool.pids()
        assert len(pids) == 2
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reaped: not running, not a zombie


def test_a_negative_worker_count_is_refused() -> None:
    with pytest.raises(ValueError, match="workers"):
        LocalCloud(workers=-1)
