"""The CLI as a newcomer reads it: help on everything, options anywhere, tables that fit 80
columns without cutting an id, folders of claims, JSON lines."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from icpa_local.cli import build_parser, main
from icpa_local.commands.process import claim_paths
from icpa_local.commands.render import message, results_table, table
from icpa_local.commands.reviews import reviews_table
from icpa_local.commands.status import claims_table
from icpa_local.results import ClaimResult
from icpa_local.session import ClaimStatus

REVIEW_ID = "REV-" + "a" * 32
CLAIM_IDS = ["CLM-2026-0001", "Q-08b041760d68619a", "CLM-" + "X" * 60]


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_command_and_argument_has_help() -> None:
    parser = build_parser()
    missing = []
    for name, command in {"icpa": parser, **_subparsers(parser)}.items():
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction) or action.help == argparse.SUPPRESS:
                continue
            if not action.help:
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []


def test_help_shows_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["process", "--help"])
    out = capsys.readouterr().out
    assert "(default: none)" in out  # --review
    assert "(default: 0.01)" in " ".join(out.split())  # --time-scale, a global option


@pytest.mark.parametrize(
    "argv",
    [
        ["--time-scale", "0.5", "--timeout", "7", "status"],
        ["status", "--time-scale", "0.5", "--timeout", "7"],
        ["--data-dir", "/tmp/x", "status", "--time-scale", "0.5", "--timeout", "7"],
    ],
)
def test_global_options_before_or_after_the_command(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert (args.time_scale, args.timeout) == (0.5, 7.0)


def test_a_typo_shows_the_command_usage_and_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["status", "--jsn"])
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert err.startswith("usage: icpa status") and "unrecognized arguments: --jsn" in err
    with pytest.raises(SystemExit):
        main(["statsu"])
    assert "did you mean 'status'?" in capsys.readouterr().err


def _render(renderable: object, width: int) -> str:
    out = Console(width=width, record=True, force_terminal=False, color_system=None)
    with out.capture() as captured:
        out.print(renderable)
    return captured.get()


@pytest.mark.parametrize("width", [80, 60])
def test_tables_never_cut_an_id_at_80_columns_or_less(width: int) -> None:
    reasons = "ADJUDICATION_APPROVED, FRAUD_SCORE_ELEVATED, CHARGE_OUTLIER, PRIOR_AUTH_PARTIAL"
    rows = [
        [REVIEW_ID, claim, "1m", "2d", reasons, "0.6612", "146.40"] for claim in CLAIM_IDS if len(claim) < width - 10
    ]
    columns = [(n, "left") for n in ("review", "claim", "waiting", "due in", "reasons", "fraud", "payable")]
    text = _render(table("Pending reviews", columns, rows, drop=("fraud", "waiting")), width)
    assert all(len(line) <= width for line in text.splitlines())
    for row in rows:
        for value in (row[0], row[1]):
            assert re.search(rf"(^|\s){re.escape(value)}(\s|$)", text, re.MULTILINE), (value, text)
    assert "…" not in text


REASONS = ["ADJUDICATION_APPROVED", "FRAUD_SCORE_ELEVATED", "CHARGE_OUTLIER", "PRIOR_AUTH_PARTIAL"]
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:icpa-claims-workflow:"


def _each_table() -> dict[str, tuple[object, list[str]]]:
    """Every table the CLI prints that carries an id, built as the commands build it, with the
    longest ids they show: claim ids (ICPA and quarantine), review ids, file names."""
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    results = [
        ClaimResult(
            file=f"{name}.json",
            claim_id=claim,
            execution_arn=EXECUTION + name,
            status="SUCCEEDED",
            outcome=outcome,
            route="HUMAN",
            reasons=REASONS,
            payable_amount="12345.67",
            transitions=10,
            duration_ms=12345,
        )
        for name, claim, outcome in (
            ("review-high-amount-surgery", CLAIM_IDS[0], "PENDING_REVIEW"),
            ("rejected-not-utf8", CLAIM_IDS[1], "REJECTED"),
        )
    ]
    statuses = [
        ClaimStatus(
            claim_id=claim,
            outcome="PENDING_REVIEW",
            route="HUMAN",
            reasons=REASONS,
            payable="12345.67",
            received_at=now - timedelta(hours=5),
            updated_at=now - timedelta(minutes=3),
            execution_arn=EXECUTION + "x",
            review_id=REVIEW_ID,
            source_uri=f"s3://icpa-inbox/claims/{claim.lower()}-resubmitted-after-appeal.json",
        )
        for claim in CLAIM_IDS[:2]
    ]
    reviews = [
        {
            "review_id": REVIEW_ID,
            "claim_id": claim,
            "created_at": (now - timedelta(hours=2)).isoformat(),
            "due_by": (now + timedelta(days=2)).isoformat(),
            "reasons": REASONS,
            "fraud_score": 0.6612,
            "payable": {"amount": "12345.67"},
        }
        for claim in CLAIM_IDS[:2]
    ]
    return {
        "process": (results_table(results, "Outcomes"), [*CLAIM_IDS[:2]]),
        "status": (claims_table(statuses, now), [*CLAIM_IDS[:2]]),
        "reviews": (reviews_table(reviews, now), [REVIEW_ID, *CLAIM_IDS[:2]]),
    }


@pytest.mark.parametrize("name", ["process", "status", "reviews"])
@pytest.mark.parametrize("width", [80, 100, 160])
def test_each_cli_table_fits_its_page_and_never_cuts_an_id(name: str, width: int) -> None:
    renderable, ids = _each_table()[name]
    text = _render(renderable, width)
    assert all(len(line) <= width for line in text.splitlines()), text
    for value in ids:
        assert re.search(rf"(^|\s){re.escape(value)}(\s|$)", text, re.MULTILINE), (name, value, text)
    assert "…" not in text, text


def test_a_table_that_fits_stays_a_table_and_drops_its_optional_columns_first() -> None:
    columns = [(n, "left") for n in ("claim", "outcome", "reasons", "updated")]
    rows = [["CLM-2026-0001", "APPROVED", "ADJUDICATION_APPROVED, FRAUD_SCORE_LOW", "3m"]]
    wide = _render(table("Claims", columns, rows, drop=("updated",)), 120)
    assert "updated" in wide and "claim " in wide
    narrow = _render(table("Claims", columns, rows, drop=("updated",)), 50)
    assert "updated" not in narrow and "outcome" in narrow.splitlines()[1]  # still a table, one column less
    assert any(line.startswith("CLM-2026-0001 ") for line in narrow.splitlines())


def test_process_takes_the_claim_files_of_a_folder(tmp_path: Path) -> None:
    for name in ("b.json", "a.837", "notes.pdf", ".hidden.json"):
        (tmp_path / name).write_text("x")
    (tmp_path / "sub").mkdir()
    paths, problem = claim_paths([str(tmp_path)])
    assert problem is None and [p.name for p in paths] == ["a.837", "b.json"]
    (tmp_path / "empty").mkdir()
    paths, problem = claim_paths([str(tmp_path / "empty")])
    assert paths == [] and problem is not None and "no claim files in" in problem and ".json" in problem
    assert "no such file or folder" in str(claim_paths([str(tmp_path / "nope")])[1])


def test_a_refused_decision_says_which_field_and_why() -> None:
    body = {
        "status": 422,
        "error": "INVALID_DECISION",
        "message": "the decision is not valid",
        "details": [{"field": "rationale", "problem": "String should have at least 5 characters"}],
    }
    assert message(body) == "the decision is not valid (rationale: String should have at least 5 characters)"
