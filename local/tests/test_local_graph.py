"""`icpa graph`: the workflow picture from the ASL file, and a claim's path from its history."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import local_fakes
import pytest

from icpa_local.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main
from icpa_local.connect import DEFAULT_ENDPOINT
from icpa_local.remote import probe, review_url_for
from icpa_orchestration import definition_text

FAKE_FRAUD = f"{local_fakes.__name__}:fraud_only"
TAKEN = "#1565c0"


def sample(name: str) -> str:
    return str(resources.files("icpa_local").joinpath(f"samples/{name}"))


@pytest.fixture(autouse=True)
def _no_server_on_the_default_port() -> None:
    if probe(review_url_for(DEFAULT_ENDPOINT)) is not None:
        pytest.skip("an icpa serve runs on the default port: these tests are about the embedded cloud")


def icpa(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str, str]:
    code = main([*args, "--data-dir", str(data_dir), "--handlers", FAKE_FRAUD])
    out, err = capsys.readouterr()
    return code, out, err


def lead_in() -> set[str]:
    """States before Intake for a claim file (the ASL may route upload kinds first)."""
    asl = json.loads(definition_text())
    out, name = set(), asl["StartAt"]
    while name != "Intake":
        out.add(name)
        name = asl["States"][name].get("Default") or asl["States"][name]["Next"]
    return out


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
    code, out, _ = icpa(
        capsys,
        data,
        "process",
        sample("approve-office-visit.json"),
        sample("review-high-amount-surgery.json"),
        "--review",
        "approve",
        "--json",
    )
    outcomes = {r["claim_id"]: (r["outcome"], r["route"]) for r in map(json.loads, out.splitlines())}
    assert code == 0 and outcomes == {"CLM-2026-0001": ("APPROVED", "AUTO"), "CLM-2026-0009": ("APPROVED", "HUMAN")}

    # When each is drawn -- Then the states its execution entered are the highlighted ones
    auto_dot = tmp_path / "auto.dot"
    code, out, _ = icpa(capsys, data, "graph", "--claim", "CLM-2026-0001", "-o", str(auto_dot))
    assert code == EXIT_OK
    assert re.search(r"CLM-2026-0001: (\w+ -> )*Intake -> ChooseDelivery -> AssessFraud", out)
    assert highlighted_states(auto_dot.read_text()) - lead_in() == {
        "Intake",
        "ChooseDelivery",
        "AssessFraud",
        "Adjudicate",
        "RouteClaim",
        "ChooseRoute",
        "AutoApproved",
        "RecordDecision",
    }
    review_dot = tmp_path / "review.dot"
    assert icpa(capsys, data, "graph", "--claim", "CLM-2026-0009", "-o", str(review_dot))[0] == EXIT_OK
    highlighted = highlighted_states(review_dot.read_text())
    assert {"AwaitHumanReview", "ChooseReviewDecision", "HumanApproved", "RecordDecision"} <= highlighted
    assert "AutoApproved" not in highlighted

    # And a claim the data directory does not hold is a clear failure, no file written
    code, _, err = icpa(capsys, data, "graph", "--claim", "CLM-NOPE", "-o", str(tmp_path / "nope.svg"))
    assert code == EXIT_FAILED and "no claim CLM-NOPE" in err
    assert not (tmp_path / "nope.svg").exists()
