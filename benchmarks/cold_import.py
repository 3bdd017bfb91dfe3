"""Cold-start import cost: a handler's shared imports against `import boto3` alone.

Each sample is a fresh interpreter (a Lambda cold start imports once per container), timed
inside the child with perf_counter so interpreter start-up is excluded. Both are measured in
the same run, interleaved, and the medians compared.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

PROBES = {
    "boto3": "import boto3",
    "icpa_shared (handler path)": (
        "import icpa_shared.handler, icpa_shared.contracts, icpa_shared.adapters.claims, "
        "icpa_shared.adapters.audit_store, icpa_shared.audit, icpa_shared.settings"
    ),
    "icpa_shared + boto3": (
        "import boto3, icpa_shared.handler, icpa_shared.contracts, icpa_shared.adapters.claims, "
        "icpa_shared.adapters.audit_store, icpa_shared.audit, icpa_shared.settings"
    ),
    "eager powertools tracer (for contrast)": "import boto3, aws_xray_sdk.core, aws_lambda_powertools.tracing",
}


def sample(statement: str) -> float:
    code = f"import time; t=time.perf_counter(); {statement}; print(time.perf_counter()-t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip()) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    samples: dict[str, list[float]] = {name: [] for name in PROBES}
    for _ in range(args.runs):
        for name, statement in PROBES.items():
            samples[name].append(sample(statement))
    base = statistics.median(samples["boto3"])
    print(f"cold import, median of {args.runs} fresh interpreters (Python {sys.version.split()[0]})")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"  {name:40s} {median:7.1f} ms   {median / base:4.2f}x boto3   (min {min(values):.1f})")


if __name__ == "__main__":
    main()
