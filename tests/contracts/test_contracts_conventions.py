"""Conventions the build keeps: the code is `ruff format`-ted (ruff.toml). Pants 2.17's ruff
backend only runs `ruff check`, so the formatter is held here; fix with `ruff format .`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_every_python_file_is_ruff_formatted() -> None:
    roots = ("services", "shared", "orchestration", "local", "tests", "benchmarks", "build-support")
    files = sorted(str(p) for root in roots for p in Path(root).rglob("*.py"))
    assert len(files) > 200  # the whole tree reached the sandbox, not a handful of files
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--config", "ruff.toml", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
