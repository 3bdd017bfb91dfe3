"""Cold-start import cost: a handler's shared imports against `import boto3` alone.

Each sample is a fresh interpreter (a Lambda cold start imports once per container), timed
inside the child with perf_counter so interpreter start-up is excluded. Both are measured in
the same run, interleaved, and the medians compared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile

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


def sample(statement: str, package_dir: str | None = None) -> float:
    code = f"import time; t=time.perf_counter(); {statement}; print(time.perf_counter()-t)"
    if package_dir is None:
        cmd, env = [sys.executable, "-c", code], None
    else:
        # As in Lambda: the unpacked deployment package on the path, no site-packages (-S).
        cmd = [sys.executable, "-S", "-c", code]
        env = {**os.environ, "PYTHONPATH": package_dir}
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    return float(out.stdout.strip()) * 1000


def lambda_probes(zip_paths: list[str], runs: int) -> None:
    """The real artifacts: `import boto3` vs importing the handler module, from the zip only."""
    for zip_path in zip_paths:
        with tempfile.TemporaryDirectory() as package_dir:
            with zipfile.ZipFile(zip_path) as zf:
                zf.extractall(package_dir)
            probes = {
                "boto3": "import boto3",
                "handler module": "import lambda_function",
                "handler module + boto3": "import lambda_function, boto3",
            }
            samples: dict[str, list[float]] = {name: [] for name in probes}
            for _ in range(runs):
                for name, statement in probes.items():
                    samples[name].append(sample(statement, package_dir))
            base = statistics.median(samples["boto3"])
            size = os.path.getsize(zip_path) / 1e6
            print(f"{os.path.basename(zip_path)} ({size:.1f} MB), median of {runs} cold interpreters:")
            for name, values in samples.items():
                median = statistics.median(values)
                print(f"  {name:40s} {median:7.1f} ms   {median / base:4.2f}x boto3")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--lambda-zip",
        action="append",
        default=[],
        help="also measure an unpacked Lambda zip built by `./pants package` (repeatable)",
    )
    args = parser.parse_args()
    if args.lambda_zip:
        lambda_probes(args.lambda_zip, args.runs)
        return
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
