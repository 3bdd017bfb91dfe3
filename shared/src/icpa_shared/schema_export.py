"""Export the JSON Schema of every contract into shared/schemas/.

./pants run shared/src/icpa_shared/schema_export.py            # regenerate
./pants run shared/src/icpa_shared/schema_export.py -- --check # exit 1 when stale
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pydantic import BaseModel

from icpa_shared import contracts

EXPORTED: tuple[type[BaseModel], ...] = (
    contracts.Claim,
    contracts.ClaimDocument,
    contracts.Policy,
    contracts.FraudAssessment,
    contracts.Adjudication,
    contracts.RoutingDecision,
    contracts.ReviewDecision,
    contracts.ReviewNotice,
    contracts.AuditEvent,
    contracts.WorkflowState,
    contracts.StepInput,
    contracts.IntakeResult,
    contracts.ClaimRecord,
    contracts.ClaimIndexEntry,
    contracts.QuarantineResult,
)


def render_all() -> dict[str, str]:
    """File name -> file content, for every exported contract."""
    out: dict[str, str] = {}
    for model in EXPORTED:
        schema = model.model_json_schema(mode="validation")
        schema["$id"] = f"https://schemas.icpa.example/{model.__name__}.schema.json"
        out[f"{model.__name__}.schema.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out


def default_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "schemas"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the files are stale")
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args(argv)
    target: Path = args.dir or default_dir()
    stale = []
    for name, content in render_all().items():
        path = target / name
        if args.check:
            if not path.exists() or path.read_text() != content:
                stale.append(name)
        else:
            target.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
    if stale:
        sys.stderr.write(f"stale schemas (regenerate them): {', '.join(stale)}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
