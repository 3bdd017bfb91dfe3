"""`icpa demo` tells its story and cleans up after itself."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from icpa_local.cli import main


def test_the_demo_reaches_every_documented_outcome_and_removes_its_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    code = main(["demo", "--time-scale", "0.001", "--data-dir", str(tmp_path / "unused")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "expected" not in out  # no claim ended other than as demo.json documents
    assert not list(tmp_path.glob("icpa-demo-*"))  # the temporary directory is gone
    assert "removed at the end" in out


def test_the_demo_keeps_its_directory_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    from icpa_local.commands import demo

    monkeypatch.setattr(demo, "_run_demo", lambda args, console, workdir: 0)
    assert main(["demo", "--keep", "--data-dir", str(tmp_path / "unused")]) == 0
    (kept,) = tmp_path.glob("icpa-demo-*")
    assert f"kept {kept}" in capsys.readouterr().out
