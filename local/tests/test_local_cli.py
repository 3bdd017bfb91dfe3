"""The icpa commands with no server running: each one runs an embedded local cloud on the data
directory for its own duration, so what one command did the next one finds."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import local_fakes
import pytest

from icpa_local.cli import EXIT_CLAIM_ERROR, main
from icpa_local.cloud import DEFAULT_TIME_SCALE
from icpa_local.connect import DEFAULT_ENDPOINT
from icpa_local.datadir import default_data_dir
from icpa_local.remote import probe, review_url_for

FAKE_FRAUD = f"{local_fakes.__name__}:fraud_only"


def sample_path(name: str) -> Path:
    return Path(str(resources.files("icpa_local").joinpath(f"samples/{name}")))


@pytest.fixture(autouse=True)
def _no_server_on_the_default_port() -> None:
    if probe(review_url_for(DEFAULT_ENDPOINT)) is not None:
        pytest.skip("an icpa serve runs on the default port: these tests are about the embedded cloud")


def icpa(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str, str]:
    code = main([*args, "--data-dir", str(data_dir), "--handlers", FAKE_FRAUD])
    out, err = capsys.readouterr()
    return code, out, err


def process_json(
    capsys: pytest.CaptureFixture[str], data_dir: Path, *samples: str, options: tuple[str, ...] = ()
) -> tuple[int, list[dict[str, Any]]]:
    """`icpa process <bundled samples> --json`: the exit code and one result per claim."""
    code, out, _ = icpa(capsys, data_dir, "process", *(str(sample_path(s)) for s in samples), *options, "--json")
    return code, [json.loads(line) for line in out.splitlines()]


def test_process_then_status_reviews_and_review_share_the_data_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    # Given two claims processed by one command, one of them left for a reviewer
    code, processed = process_json(capsys, data, "approve-office-visit.json", "review-high-amount-surgery.json")
    assert code == 0
    results = {r["claim_id"]: r for r in processed}
    assert results["CLM-2026-0001"]["outcome"] == "APPROVED"
    assert results["CLM-2026-0009"]["outcome"] == "PENDING_REVIEW"

    # When the next commands run -- Then they find both claims and the pending review
    code, out, _ = icpa(capsys, data, "status", "--json")
    assert code == 0
    claims = {c["claim_id"]: c for c in map(json.loads, out.splitlines())}
    assert (claims["CLM-2026-0001"]["outcome"], claims["CLM-2026-0001"]["route"]) == ("APPROVED", "AUTO")
    assert (claims["CLM-2026-0009"]["outcome"], claims["CLM-2026-0009"]["route"]) == ("PENDING_REVIEW", "HUMAN")
    assert claims["CLM-2026-0001"]["age_seconds"] >= 0

    code, out, _ = icpa(capsys, data, "status", "CLM-2026-0001", "--json")
    detail = json.loads(out)
    assert code == 0 and detail["execution"]["status"] == "SUCCEEDED"
    assert [s["state"] for s in detail["steps"]][:3] == ["ChooseSourceKind", "Intake", "ChooseDelivery"]
    assert all(s["entered_at"] for s in detail["steps"])

    code, out, _ = icpa(capsys, data, "reviews", "--json")
    (review,) = map(json.loads, out.splitlines())
    assert code == 0 and review["claim_id"] == "CLM-2026-0009"
    # the deadline shown is the one the scaled wait keeps (3 days x time scale 0.01), not 3 days
    shown = datetime.fromisoformat(review["due_by"]) - datetime.fromisoformat(review["created_at"])
    assert shown == timedelta(seconds=round(259_200 * DEFAULT_TIME_SCALE))

    # And a decision through the same review API resumes the claim to its outcome
    code, out, _ = icpa(
        capsys,
        data,
        "review",
        review["review_id"],
        "approve",
        "--rationale",
        "Operative report supports the amount.",
        "--json",
    )
    answer = json.loads(out)
    assert code == 0 and answer["status"] == 200 and answer["outcome"] == "APPROVED"
    assert answer["body"]["decision"]["reviewer_id"] == "cli"

    code, out, _ = icpa(capsys, data, "status", "--json")
    claims = {c["claim_id"]: c for c in map(json.loads, out.splitlines())}
    assert (claims["CLM-2026-0009"]["outcome"], claims["CLM-2026-0009"]["route"]) == ("APPROVED", "HUMAN")
    code, out, _ = icpa(capsys, data, "reviews", "--json")
    assert code == 0 and out == ""  # JSON lines: no pending review, no line


def test_refusals_exit_non_zero_with_the_api_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = icpa(
        capsys, tmp_path / "data", "review", "REV-" + "0" * 32, "deny", "--rationale", "No such review here."
    )
    assert code == 1 and "404" in err and "REVIEW_NOT_FOUND" in err
    code, _, err = icpa(capsys, tmp_path / "data", "status", "CLM-NOPE")
    assert code == 1 and "no claim CLM-NOPE" in err


def test_an_endpoint_that_does_not_answer_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = icpa(capsys, tmp_path / "data", "status", "--endpoint", "http://127.0.0.1:9")
    assert code == 2 and "no icpa serve answers at http://127.0.0.1:9" in err


def test_the_default_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ICPA_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_data_dir() == tmp_path / "xdg" / "icpa"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_data_dir() == tmp_path / "home" / ".local" / "share" / "icpa"
    monkeypatch.setenv("ICPA_DATA_DIR", str(tmp_path / "explicit"))
    assert default_data_dir() == tmp_path / "explicit"


def _journal_state(data: Path) -> tuple[int, list[tuple[str, str]]]:
    from icpa_local import persistence
    from icpa_local.datadir import DataDir

    journal = persistence.Journal(DataDir(data).journal)
    try:
        audit_events = sum(1 for item in journal.items() if item.table_name == "icpa-audit")
        return audit_events, [(e.arn, e.status) for e in journal.executions()]
    finally:
        journal.close()


def test_read_only_commands_never_run_the_workflow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    # Given a claim parked on a review in the data directory
    code, out, _ = icpa(capsys, data, "process", str(sample_path("review-high-amount-surgery.json")), "--json")
    assert code == 0 and json.loads(out)["outcome"] == "PENDING_REVIEW"
    before = _journal_state(data)
    # When status (twice), reviews and audit run on it with no server
    for args in (
        ("status", "--json"),
        ("status", "--json"),
        ("status", "CLM-2026-0009", "--json"),
        ("reviews", "--json"),
        ("audit", "CLM-2026-0009", "--json"),
    ):
        code, out, err = icpa(capsys, data, *args)
        assert code == 0, (args, err)
    # Then no audit event was appended and no execution started or resumed
    assert _journal_state(data) == before
    code, out, _ = icpa(capsys, data, "status", "--json")
    (claim,) = map(json.loads, out.splitlines())
    assert (claim["claim_id"], claim["outcome"]) == ("CLM-2026-0009", "PENDING_REVIEW")


def test_process_exits_non_zero_when_an_outcome_is_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Given a clean claim and one the workflow cannot handle (an untyped failure: outcome ERROR)
    broken = json.loads(sample_path("approve-lab-panel.json").read_text())
    broken["claim_id"] = "CLM-BROKEN-0001"
    broken_path = tmp_path / "broken.json"
    broken_path.write_text(json.dumps(broken))
    argv = [
        "process",
        str(sample_path("approve-office-visit.json")),
        str(broken_path),
        "--json",
        "--data-dir",
        str(tmp_path / "data"),
        "--handlers",
        f"{local_fakes.__name__}:fraud_breaks_on_broken",
    ]
    # When both are processed
    code = main(argv)
    out, err = capsys.readouterr()
    # Then both outcomes are printed, and the exit status says one is ERROR
    outcomes = {r["file"]: r["outcome"] for r in map(json.loads, out.splitlines())}
    assert outcomes == {"approve-office-visit.json": "APPROVED", "broken.json": "ERROR"}
    assert code == EXIT_CLAIM_ERROR == 3 and "broken.json" in err
    # and a clean run still exits 0
    assert main([*argv[:2], *argv[3:]]) == 0


def test_processing_a_claim_id_again_is_rejected_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    sample = str(sample_path("approve-lab-panel.json"))
    code, out, _ = icpa(capsys, data, "process", sample, "--json")
    assert code == 0 and json.loads(out)["outcome"] == "APPROVED"
    code, out, err = icpa(capsys, data, "process", sample)
    assert code == 0 and "REJECTED" in out and "DUPLICATE_CLAIM_ID" in out
    assert "already has a claim with that id" in err and "fresh --data-dir" in err


def test_decided_claims_answer_with_a_fhir_claim_response(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fhir.resources.R4B.claimresponse import ClaimResponse

    data = tmp_path / "data"
    # Given an approved and a denied claim, both ICPA JSON
    code, processed = process_json(capsys, data, "approve-office-visit.json", "deny-lapsed-policy.json")
    results = {r["outcome"]: r for r in processed}
    assert code == 0 and set(results) == {"APPROVED", "DENIED"}

    # When their answers are asked for -- Then each is a valid FHIR R4 ClaimResponse
    answers: dict[str, Any] = {}
    for outcome, result in results.items():
        code, out, _ = icpa(capsys, data, "status", result["claim_id"], "--fhir")
        assert code == 0
        answers[outcome] = ClaimResponse.model_validate(json.loads(out))
    approved = answers["APPROVED"]
    assert approved.payment.amount.value == Decimal(results["APPROVED"]["payable_amount"])
    assert answers["DENIED"].payment.amount.value == 0
    denied_reasons = {
        c.code for item in answers["DENIED"].item for a in item.adjudication if a.reason for c in a.reason.coding
    }
    assert {"POLICY_LAPSED", "27"} <= denied_reasons  # ICPA's code and its CARC value

    # A JSON claim has no 835, and an unknown claim has no answer: both say so
    code, _, err = icpa(capsys, data, "status", results["APPROVED"]["claim_id"], "--x12")
    assert code != 0 and "only claims that came as an 837" in err
    code, _, err = icpa(capsys, data, "status", "CLM-NOPE", "--fhir")
    assert code != 0 and "no ClaimResponse" in err


def _pyx12_errors(text: str) -> list[str]:
    import io
    import logging

    import pyx12.params
    import pyx12.x12n_document

    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    report = io.StringIO()
    pyx12.x12n_document.x12n_document(
        param=pyx12.params.params(), src_file=io.StringIO(text), fd_997=io.StringIO(), fd_html=None, fd_json=report
    )
    found: list[str] = []
    stack: list[Any] = [json.loads(report.getvalue() or "{}")]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            found += [str(e.get("err_str")) for e in node.get("errors", [])]
            stack += [v for v in node.values() if isinstance(v, list | dict)]
        elif isinstance(node, list):
            stack += node
    return found


def test_x12_claims_answer_with_an_835_that_balances_and_validates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    # Given the bundled 837P (approve, deny, review, approve) and 837I interchanges
    files = ("x12-837p-approve-deny-review.837", "x12-837i-approve-institutional.837")
    code, _, _ = icpa(capsys, data, "process", *(str(sample_path(f)) for f in files), "--json")
    code, out, _ = icpa(capsys, data, "status", "--json")
    claims = {c["claim_id"]: c for c in map(json.loads, out.splitlines()) if c["claim_id"].startswith("X12-")}
    decided = {cid: c for cid, c in claims.items() if c["outcome"] in ("APPROVED", "DENIED")}
    assert {c["outcome"] for c in decided.values()} == {"APPROVED", "DENIED"} and len(decided) >= 4

    # When each decided claim's 835 is printed -- Then pyx12 finds no error and it balances
    for claim_id, claim in decided.items():
        code, out, _ = icpa(capsys, data, "status", claim_id, "--x12")
        assert code == 0, claim_id
        assert _pyx12_errors(out.replace("\n", "")) == [], claim_id
        segments = [s.split("*") for s in out.replace("\n", "").split("~") if s]
        clp = next(s for s in segments if s[0] == "CLP")
        cas = sum(Decimal(s[i]) for s in segments if s[0] == "CAS" for i in range(3, len(s), 3) if s[i])
        assert Decimal(clp[3]) - cas == Decimal(clp[4]) == Decimal(next(s for s in segments if s[0] == "BPR")[2])
        assert Decimal(clp[4]) == Decimal(claim["payable"]), claim_id
    # A claim still waiting for a reviewer has no answer yet
    waiting = next(cid for cid, c in claims.items() if c["outcome"] == "PENDING_REVIEW")
    code, _, err = icpa(capsys, data, "status", waiting, "--x12")
    assert code != 0 and "not decided" in err


def test_process_with_the_handlers_in_worker_processes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # When a claim is processed with --workers (the --handlers override stays in-process)
    code, results = process_json(capsys, tmp_path / "data", "approve-office-visit.json", options=("--workers", "1"))
    # Then it is decided as without workers
    assert code == 0
    assert [(r["outcome"], r["route"]) for r in results] == [("APPROVED", "AUTO")]


@pytest.mark.parametrize(("flag", "env"), [(("--workers", "-1"), None), ((), "two")])
def test_a_worker_count_that_is_not_a_whole_number_is_a_usage_error(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    flag: tuple[str, ...],
    env: str | None,
) -> None:
    if env is not None:
        monkeypatch.setenv("ICPA_WORKERS", env)
    code, _, err = icpa(capsys, tmp_path / "data", "status", *flag)
    assert code == 2 and "--workers (or $ICPA_WORKERS) must be a whole number" in err
