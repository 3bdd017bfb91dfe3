"""Cold start of an intake container with and without the code sets: importing the Intake
handler, its wiring (boto3 clients, settings) and reading the container's first claim, in a
fresh interpreter each sample (interpreter start-up excluded, as in cold_import.py).

    python benchmarks/codeset_cold_start.py --runs 15 [--baseline-root /tmp/base-src]

`--baseline-root` is a checkout of the repository before the code sets (e.g. `git archive
<commit> | tar -x -C /tmp/base-src`): its sources are measured the same way, interleaved, and
the medians compared. Without it, "no code sets" is this tree with a lookup that checks nothing.
"""

from __future__ import annotations

import argparse
import glob
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
FIXTURE = "services/intake/tests/fixtures/icpa_claim.json"

# The container's first claim: the handler module, then read_claim on a valid claim with the
# code sets the wiring would pass (loading the release in force happens inside this call).
PROBE = """
import time, inspect, datetime
t = time.perf_counter()
import icpa_intake.handlers.intake
import icpa_intake.wiring
from icpa_intake.domain.normalize import read_claim
from icpa_intake.domain.validation import Limits
kwargs = {}
if "codes" in inspect.signature(read_claim).parameters:
    if MODE == "codes":
        from icpa_shared.codesets.files import bundled_code_sets
        kwargs["codes"] = bundled_code_sets()
    else:
        from icpa_shared.codesets import CodeStatus
        class Nothing:
            def status(self, system, code, day): return CodeStatus.NOT_CHECKED
        kwargs["codes"] = Nothing()
draft = read_claim(DATA, max_bytes=1 << 20, today=datetime.date(2026, 3, 10), limits=Limits(), **kwargs)
assert not draft.problems, draft.problems
print((time.perf_counter() - t) * 1000)
"""


# The code sets' own share, measured alone after the handler is imported: opening the manifest
# and the first lookup (which reads the release in force into frozensets).
CODESET_PROBE = """
import datetime, time
import icpa_intake.handlers.intake, icpa_intake.wiring
t = time.perf_counter()
from icpa_shared.codesets import CodeSystem
from icpa_shared.codesets.files import bundled_code_sets
bundled_code_sets().status(CodeSystem.ICD10CM, "J06.9", datetime.date(2026, 3, 1))
print((time.perf_counter() - t) * 1000)
"""


def source_path(root: Path) -> str:
    roots = [*glob.glob(str(root / "services/*/src")), str(root / "shared/src")]
    return os.pathsep.join(roots)


def sample(root: Path, mode: str) -> float:
    data = (HERE / FIXTURE).read_bytes()
    code = CODESET_PROBE if mode == "codeset-only" else f"MODE = {mode!r}; DATA = {data!r}\n{PROBE}"
    env = {**os.environ, "PYTHONPATH": source_path(root), "AWS_DEFAULT_REGION": "us-east-1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--baseline-root", type=Path, default=None)
    args = parser.parse_args()
    probes = {"with code sets (this tree)": (HERE, "codes")}
    if args.baseline_root is not None:
        probes["before code sets (baseline tree)"] = (args.baseline_root, "none")
    else:
        probes["no code-set lookups (this tree)"] = (HERE, "none")
    samples: dict[str, list[float]] = {name: [] for name in probes}
    for _ in range(args.runs):
        for name, (root, mode) in probes.items():
            samples[name].append(sample(root, mode))
    alone = [sample(HERE, "codeset-only") for _ in range(args.runs)]
    medians = {name: statistics.median(values) for name, values in samples.items()}
    base = list(medians.values())[1]
    print(f"intake cold start (handler + wiring imports + first claim), median of {args.runs} fresh interpreters")
    for name, median in medians.items():
        print(f"  {name:36s} {median:7.1f} ms   {median / base:5.3f}x   (min {min(samples[name]):.1f})")
    share = statistics.median(alone)
    print(f"  code sets alone (manifest + first lookup) {share:7.1f} ms   (min {min(alone):.1f})")
    floor = min(list(samples.values())[1])
    print(f"  = {share / base:.1%} of the cold start without them (median), {min(alone) / floor:.1%} (min)")


if __name__ == "__main__":
    main()
