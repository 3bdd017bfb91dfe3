"""`icpa graph`: the workflow picture from the ASL file, and a claim's path from its history."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

# The embedded-cloud CLI helpers (and the autouse guard against a server on the default port).
from test_local_cli import _no_server_on_the_default_port, icpa, process_json  # noqa: F401

from icpa_local.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from icpa_orchestration import definition_text


def steps(capsys: pytest.CaptureFixture[str], data: Path, claim_id: str) -> list[str]:
    """The states the claim's execution entered, as `icpa status CLAIM --json` reads them."""
    code, out, _ = icpa(capsys, data, "status", claim_id, "--json")
    assert code == 0
    return [step["state"] for step in json.loads(out)["steps"]]


def highlighted_states(dot: str) -> set[str]:
    return set(re.findall(r"<B>([^<]+)</B>.*fillcolor=\"#d6e6fa\"", dot))


def test_the_default_picture_is_an_svg_of_every_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    code, out, _ = icpa(capsys, tmp_path / "data", "graph")

    svg = (tmp_path / "workflow.svg").read_text()
    states = json.loads(definition_text())["States"]
    assert code == EXIT_OK and out == f"wrote workflow.svg (svg, {len(states)} states)\n"
    assert all(f">{name}</text>" in svg for name in states)
    assert not (tmp_path / "data").exists()  # drawing the ASL starts no local cloud


def test_the_format_follows_the_file_name_and_dash_prints_dot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = icpa(capsys, tmp_path / "data", "graph", "-o", "-")
    assert code == EXIT_OK and out.startswith("digraph workflow {")

    assert icpa(capsys, tmp_path / "data", "graph", "-o", str(tmp_path / "w.png"))[0] == EXIT_OK
    assert (tmp_path / "w.png").read_bytes().startswith(b"\x89PNG")
    assert icpa(capsys, tmp_path / "data", "graph", "-o", str(tmp_path / "w.gv"))[0] == EXIT_OK
    assert (tmp_path / "w.gv").read_text() == out

    code, _, err = icpa(capsys, tmp_path / "data", "graph", "-o", str(tmp_path / "w.jpeg"))
    assert code == EXIT_USAGE and "cannot tell the format" in err and ".svg" in err
    assert not (tmp_path / "w.jpeg").exists()


def test_a_claims_path_is_highlighted_from_its_execution_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    # Given an auto-approved claim and a claim a reviewer approved
    code, processed = process_json(
        capsys, data, "approve-office-visit.json", "review-high-amount-surgery.json", options=("--review", "approve")
    )
    outcomes = {r["claim_id"]: (r["outcome"], r["route"]) for r in processed}
    assert code == 0 and outcomes == {"CLM-2026-0001": ("APPROVED", "AUTO"), "CLM-2026-0009": ("APPROVED", "HUMAN")}

    # When each is drawn -- Then the states its execution entered are the highlighted ones
    auto_dot = tmp_path / "auto.dot"
    code, out, _ = icpa(capsys, data, "graph", "--claim", "CLM-2026-0001", "-o", str(auto_dot))
    assert code == EXIT_OK
    entered = steps(capsys, data, "CLM-2026-0001")
    assert f"CLM-2026-0001: {' -> '.join(entered)}\n" in out
    assert highlighted_states(auto_dot.read_text()) == set(entered)
    assert {"AssessFraud", "ChooseRoute", "AutoApproved", "RecordDecision"} <= set(entered)
    review_dot = tmp_path / "review.dot"
    assert icpa(capsys, data, "graph", "--claim", "CLM-2026-0009", "-o", str(review_dot))[0] == EXIT_OK
    highlighted = highlighted_states(review_dot.read_text())
    assert highlighted == set(steps(capsys, data, "CLM-2026-0009"))
    assert {"AwaitHumanReview", "ChooseReviewDecision", "HumanApproved", "RecordDecision"} <= highlighted
    assert "AutoApproved" not in highlighted

    # And a claim the data directory does not hold is a clear failure, no file written
    code, _, err = icpa(capsys, data, "graph", "--claim", "CLM-NOPE", "-o", str(tmp_path / "nope.svg"))
    assert code == EXIT_FAILED and "no claim CLM-NOPE" in err
    assert not (tmp_path / "nope.svg").exists()
