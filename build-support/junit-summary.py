"""Sum Pants' JUnit reports into CI's closing line: 'N passed, N failed' alone on the last line.

Pants prints one line per test file, never pytest's own closing line, so CI would otherwise see a
run with no recognizable test summary. The line before the last repeats the figures in pytest's
closing-line shape (with the skips and the summed time) for a reader of the log.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET  # noqa: S405 - our own test reports
from pathlib import Path


def main(report_dir: str) -> int:
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    seconds = 0.0
    files = sorted(Path(report_dir).rglob("*.xml"))
    for path in files:
        root = ET.parse(path).getroot()  # noqa: S314 - our own test reports
        suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
        for suite in suites:
            for key in totals:
                totals[key] += int(suite.get(key, 0))
            seconds += float(suite.get("time", 0) or 0)
    failed = totals["failures"] + totals["errors"]
    passed = totals["tests"] - failed - totals["skipped"]
    ran_none = not files or totals["tests"] == 0
    if ran_none:
        # Before the summary: CI's output must end with the summary line.
        print("junit-summary: no test reports found", file=sys.stderr)
    sys.stderr.flush()
    print(f"===== {passed} passed, {failed} failed, {totals['skipped']} skipped in {seconds:.2f}s =====")
    print(f"{passed} passed, {failed} failed", flush=True)
    return 1 if ran_none or failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "dist/test/reports"))
