"""Cold start per Lambda artifact against a bare `import boto3`, both from the built zip's bytecode.

For each zip the template deploys (or each `--zip`), unpacked once as Lambda unpacks it into
/var/task, every sample is a fresh python3.11 with only the package on the path (`-S`, no
site-packages) and no bytecode writing (`PYTHONDONTWRITEBYTECODE=1`: /var/task is read-only, so
what the zip does not ship is compiled again at every cold start). Timed inside the child with
perf_counter (interpreter start-up, the same for both, is excluded):

  artifact  import lambda_function (the handler module: settings and logging set up at import)
            + init (the container's dependencies its first call builds: wiring's *_deps())
            + the first boto3 client (`import boto3` included when the handler had not)
  boto3     import boto3 + the same first client

Samples are interleaved (boto3, artifact, boto3, ...) so machine load hits both alike; medians
and their ratio are printed (`--cpu`: the child's CPU time, steadier when the machine is busy).
The target (issue 12) is artifact <= 1.5x boto3. A zip without
`.pyc` (straight from `./pants package`) gets them here the way CI adds them
(build-support/compile-lambda-zips.py); `--as-is` measures it without (the "before").

    ./pants package ::   # or reuse dist/ as it is
    python3.11 benchmarks/cold_import.py                    # every deployed zip, 11 runs each
    python3.11 benchmarks/cold_import.py --runs 21 --zip dist/services.intake.src.icpa_intake/intake-lambda.zip
    python3.11 benchmarks/cold_import.py --importtime intake-lambda   # where one artifact's time goes
    python3.11 benchmarks/cold_import.py --cpu --floor      # + what pydantic, structlog and the contracts cost
    python3.11 benchmarks/cold_import.py --env PYDANTIC_DISABLE_PLUGINS=__all__   # a template variable, tried

The probes get the template's Globals variables (read from orchestration/template.yaml, so a
variable added there is measured as deployed) and Lambda's own (AWS_REGION, AWS_EXECUTION_ENV,
LAMBDA_TASK_ROOT), on both sides.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

# The repo: the working directory under `./pants run` (the script itself then runs from a PEX),
# else this file's checkout.
ROOT = next(
    (p for p in (Path.cwd(), Path(__file__).resolve().parent.parent) if (p / "orchestration/template.yaml").exists()),
    Path.cwd(),
)
TEMPLATE = ROOT / "orchestration" / "template.yaml"
COMPILER = ROOT / "build-support" / "compile-lambda-zips.py"

# What each handler's first call builds before its first AWS call (wiring's container deps).
INIT = {
    "icpa_intake.handlers.intake": "from icpa_intake.wiring import intake_deps; intake_deps()",
    "icpa_intake.handlers.quarantine": "from icpa_intake.wiring import quarantine_deps; quarantine_deps()",
    "icpa_intake.handlers.split": "from icpa_intake.wiring import split_deps; split_deps()",
    "icpa_fraud.handler": "from icpa_fraud.wiring import default_deps; default_deps()",
    "icpa_adjudication.handler": "from icpa_adjudication.wiring import default_deps; default_deps()",
    "icpa_router.handlers.route": "from icpa_router.wiring import default_deps; default_deps()",
    "icpa_router.handlers.record": "from icpa_router.wiring import default_deps; default_deps()",
    "icpa_review_callback.handlers.request": "from icpa_review_callback.wiring import default_deps; default_deps()",
    "icpa_review_callback.handlers.escalation": "from icpa_review_callback.wiring import default_deps; default_deps()",
    "icpa_review_callback.handlers.api": "from icpa_review_callback.wiring import default_deps; default_deps()",
    "icpa_audit.handler": "from icpa_audit.wiring import default_deps; default_deps()",
}
# Every artifact's first call reaches DynamoDB (claims, audit or reviews table); the same client
# on both sides keeps the comparison about what the handler adds.
FIRST_CLIENT = "import boto3; boto3.client('dynamodb', region_name='us-east-1')"
# `--floor`: what every handler imports before any code of its own (the house rules: pydantic
# contracts, structlog logs), from the same zip, + the same client. artifact - floor is the
# service's own share; floor / boto3 is the ratio no handler can go below without dropping them.
FLOOR_IMPORT = "from pydantic import BaseModel; import structlog; import icpa_shared.contracts"
# The Lambda runtime's own variables, and stand-ins for what the template's Globals give by an
# intrinsic (a `!Ref` has no value outside CloudFormation; a variable without a stand-in is left
# unset, so the setting's default applies). Literal Globals variables are read from the template
# (template_environment), so a variable added there (e.g. a library switch) is measured as deployed.
RUNTIME_ENV = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
    "PYTHONDONTWRITEBYTECODE": "1",
}
# Also LAMBDA_TASK_ROOT, the unpacked package (set per probe): libraries branch on it, e.g. the
# X-Ray SDK, which outside Lambda builds two X-Ray clients for centralized sampling at import.
INTRINSIC_STAND_INS = {
    "ICPA_ENVIRONMENT": "dev",
}
# Per-function variables a probe needs (the splitter's: the template passes it the workflow's ARN).
FUNCTION_ENV = {
    "ICPA_CLAIMS_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:icpa-claims-workflow",
}


def template_environment(template: str) -> dict[str, str]:
    """Globals.Function.Environment.Variables of the template: literal values as they are, an
    intrinsic's (`!Ref X`) from INTRINSIC_STAND_INS or left out."""
    lines = template.splitlines()
    try:
        start = lines.index("Globals:")
    except ValueError:
        return {}
    found: dict[str, str] = {}
    in_variables, indent = False, 0
    for line in lines[start + 1 :]:
        if line and not line[0].isspace():  # the next top-level section
            break
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        depth = len(line) - len(line.lstrip())
        if stripped == "Variables:":
            in_variables, indent = True, depth
            continue
        if in_variables and depth <= indent:
            in_variables = False
        if in_variables and ":" in stripped:
            name, _, value = stripped.partition(":")
            value = value.split(" #")[0].strip().strip("'\"")
            if value.startswith("!"):
                if name in INTRINSIC_STAND_INS:
                    found[name] = INTRINSIC_STAND_INS[name]
            else:
                found[name] = value
    return found


def lambda_env(extra: dict[str, str]) -> dict[str, str]:
    """What every probe's interpreter gets besides this process's environment: Lambda's runtime
    variables, the template's Globals, the function's, then `--env` (a lever being tried)."""
    return {**RUNTIME_ENV, **template_environment(TEMPLATE.read_text()), **FUNCTION_ENV, **extra}


def probe_env(package: Path, env: dict[str, str]) -> dict[str, str]:
    """A probe's whole environment: the package is on the path and is Lambda's task root."""
    return {**os.environ, **env, "PYTHONPATH": str(package), "LAMBDA_TASK_ROOT": str(package)}


CHILD = """
import time, json
clock = time.{clock}
t0 = clock()
{import_}
t1 = clock()
{init}
t2 = clock()
{client}
t3 = clock()
print(json.dumps([t1 - t0, t2 - t1, t3 - t2]))
"""


@dataclass
class Artifact:
    name: str
    zip_path: Path
    handler_module: str
    shipped_pyc: bool


def deployed_zips() -> list[Path]:
    found = re.findall(r"CodeUri:\s*\.\./(dist/\S+\.zip)", TEMPLATE.read_text())
    return [ROOT / p for p in sorted(set(found))]


def unpack(zip_path: Path, into: Path, compile_missing: bool) -> Artifact:
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        entry = zf.read("lambda_function.py").decode()
    match = re.fullmatch(r"from (\S+) import \w+ as handler", entry.strip())
    if match is None:
        raise SystemExit(f"{zip_path}: lambda_function.py is not a Pants handler shim: {entry!r}")
    shipped = any(n.endswith(".cpython-311.pyc") for n in names)
    source = zip_path
    if compile_missing and not shipped:
        source = into.with_suffix(".zip")
        source.write_bytes(zip_path.read_bytes())
        spec = importlib.util.spec_from_file_location("compile_lambda_zips", COMPILER)
        assert spec is not None and spec.loader is not None
        compiler = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(compiler)
        compiler.compile_zip(str(source))
    with zipfile.ZipFile(source) as zf:
        zf.extractall(into)
    return Artifact(zip_path.stem, zip_path, match.group(1), shipped)


def sample(package: Path, import_: str, init: str, client: str, clock: str, env: dict[str, str]) -> list[float]:
    code = CHILD.format(import_=import_, init=init, client=client, clock=clock)
    env = probe_env(package, env)
    out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, env=env, cwd=package)
    if out.returncode != 0:
        raise SystemExit(f"{package.name}: the probe failed:\n{code}\n{out.stderr[-2000:]}")
    return [s * 1000 for s in json.loads(out.stdout)]


def measure(
    artifact: Artifact, package: Path, runs: int, clock: str, env: dict[str, str], floor: bool = False
) -> dict[str, list[list[float]]]:
    init = INIT.get(artifact.handler_module, "pass")
    samples: dict[str, list[list[float]]] = {"boto3": [], "artifact": [], "floor": []}
    for _ in range(runs):
        samples["boto3"].append(sample(package, "pass", "pass", FIRST_CLIENT, clock, env))
        samples["artifact"].append(sample(package, "import lambda_function", init, FIRST_CLIENT, clock, env))
        if floor:
            samples["floor"].append(sample(package, FLOOR_IMPORT, "pass", FIRST_CLIENT, clock, env))
    return samples


def importtime(package: Path, artifact: Artifact, env: dict[str, str], top: int = 25) -> None:
    init = INIT.get(artifact.handler_module, "pass")
    code = f"import lambda_function; {init}; {FIRST_CLIENT}"
    env = probe_env(package, env)
    out = subprocess.run(
        [sys.executable, "-S", "-X", "importtime", "-c", code], capture_output=True, text=True, env=env, cwd=package
    )
    rows = []
    for line in out.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[0].strip().isdigit():
            rows.append((int(parts[0]), int(parts[1]), parts[2].rstrip()))
    print(f"  -X importtime, top {top} by cumulative us (self, cumulative, module):")
    for self_us, cumulative, module in sorted(rows, key=lambda r: -r[1])[:top]:
        print(f"    {self_us:8d} {cumulative:9d} {module}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=11, help="fresh interpreters per probe (median)")
    parser.add_argument("--zip", action="append", type=Path, default=[], help="a zip (repeatable)")
    parser.add_argument("--as-is", action="store_true", help="do not add missing .pyc (measure the zip as built)")
    parser.add_argument("--importtime", metavar="NAME", help="also print -X importtime for this artifact")
    parser.add_argument(
        "--cpu", action="store_true", help="the child's CPU time instead of wall time (steadier on a loaded machine)"
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a variable for both sides over the template's (repeatable): a lever tried before it is deployed",
    )
    parser.add_argument(
        "--floor", action="store_true", help="also time pydantic + structlog + the contracts + the client per artifact"
    )
    args = parser.parse_args()
    extra: dict[str, str] = {}
    for item in args.env:
        name, equals, value = item.partition("=")
        if not name or not equals:
            raise SystemExit(f"--env takes NAME=VALUE, not {item!r}")
        extra[name] = value
    env = lambda_env(extra)
    zips = args.zip or deployed_zips()
    missing = [str(z) for z in zips if not z.exists()]
    if missing:
        raise SystemExit(f"not built: {', '.join(missing)} (run ./pants package ::)")
    print(
        f"cold start per artifact, median of {args.runs} fresh interpreters each, Python "
        f"{platform.python_version()}, {os.cpu_count()} cores, {platform.machine()}"
    )
    print(f"  first client: {FIRST_CLIENT}; clock: {'CPU (process_time)' if args.cpu else 'wall (perf_counter)'}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"  load average at start: {load} (samples interleave, so load hits both sides alike)")
    shown = {k: v for k, v in env.items() if k not in RUNTIME_ENV and k not in FUNCTION_ENV}
    print(
        f"  environment (template Globals{', --env' if extra else ''}): "
        + " ".join(f"{k}={v}" for k, v in shown.items())
    )
    columns = ("import", "init", "client", "total", "boto3", "ratio") + (("floor", "ratio") if args.floor else ())
    print(f"  {'artifact (ms)':26s} {'pyc':8s} " + " ".join(f"{c:>7s}" for c in columns))
    ratios: list[float] = []
    floor_ratios: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for zip_path in zips:
            package = Path(tmp) / zip_path.stem
            artifact = unpack(zip_path, package, compile_missing=not args.as_is)
            clock = "process_time" if args.cpu else "perf_counter"
            samples = measure(artifact, package, args.runs, clock, env, floor=args.floor)
            parts = [statistics.median(s[i] for s in samples["artifact"]) for i in range(3)]
            total = statistics.median(sum(s) for s in samples["artifact"])
            base = statistics.median(sum(s) for s in samples["boto3"])
            ratios.append(total / base)
            pyc = "shipped" if artifact.shipped_pyc else ("none" if args.as_is else "added")
            row = (
                f"  {artifact.name:26s} {pyc:8s} {parts[0]:7.1f} {parts[1]:7.1f} {parts[2]:7.1f} "
                f"{total:7.1f} {base:7.1f} {total / base:6.2f}x"
            )
            if args.floor:
                floor = statistics.median(sum(s) for s in samples["floor"])
                floor_ratios.append(floor / base)
                row += f" {floor:7.1f} {floor / base:6.2f}x"
            print(row)
            if args.importtime == artifact.name:
                importtime(package, artifact, env)
    worst = max(ratios)
    verdict = "met" if worst <= 1.5 else "NOT met"
    print(f"  worst ratio {worst:.2f}x, median {statistics.median(ratios):.2f}x (target <= 1.5x: {verdict})")
    if floor_ratios:
        print(
            f"  floor ({FLOOR_IMPORT} + the client): worst {max(floor_ratios):.2f}x, "
            f"median {statistics.median(floor_ratios):.2f}x of boto3"
        )


if __name__ == "__main__":
    main()
