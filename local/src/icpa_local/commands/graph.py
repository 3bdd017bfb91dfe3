"""`icpa graph [-o FILE] [--claim CLAIM_ID]`: the workflow drawn from its ASL file.

The picture is written to a file (default `workflow.svg`, or `workflow-<CLAIM_ID>.svg` with
--claim), in the format its name ends with: .svg, .png, .pdf (Graphviz), or .dot/.gv (the DOT
text). `-o -` prints the DOT text, for piping into `dot` yourself. The drawing is
`icpa_orchestration.graph` (pure); with --claim, that claim's execution history gives the path.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any, Final

from icpa_local.commands.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, session
from icpa_orchestration import definition_text
from icpa_orchestration.graph import (
    FORMATS,
    ExecutionPath,
    GraphvizMissingError,
    GraphvizRenderError,
    path_from_history,
    render,
    to_dot,
)

DOT_SUFFIXES: Final = (".dot", ".gv")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    graph = sub.add_parser(
        "graph",
        parents=[common],
        help="draw the workflow (every state, transition, retry and catch); with --claim, the path it took",
        description="Draw the state machine from orchestration/'s ASL file (the one the template deploys) "
        "with Graphviz. The format follows the file name: .svg, .png, .pdf, or .dot/.gv for the DOT text.",
    )
    graph.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        default=None,
        help="where to write the picture; '-' prints the DOT text "
        "(default: workflow.svg, or workflow-CLAIM_ID.svg with --claim)",
    )
    graph.add_argument(
        "--claim",
        metavar="CLAIM_ID",
        default=None,
        help="highlight the path this claim's execution took, read from its history (default: none)",
    )
    graph.set_defaults(func=run_graph)


def default_output(claim_id: str | None) -> Path:
    if claim_id is None:
        return Path("workflow.svg")
    return Path(f"workflow-{re.sub(r'[^A-Za-z0-9._-]', '_', claim_id)}.svg")


def output_format(path: Path) -> str | None:
    """'dot' for .dot/.gv, the Graphviz format for .svg/.png/.pdf, None for anything else."""
    suffix = path.suffix.lower()
    if suffix in DOT_SUFFIXES:
        return "dot"
    return suffix[1:] if suffix[1:] in FORMATS else None


def claim_path(args: argparse.Namespace, claim_id: str) -> ExecutionPath | None:
    """The path of the execution that decided `claim_id` (its claims-table record names it)."""
    with session(args, read_only=True) as cloud:
        status = cloud.claim_status(claim_id)
        if status is None or not status.execution_arn:
            return None
        return path_from_history(cloud.history(status.execution_arn))


def run_graph(args: argparse.Namespace) -> int:
    target = args.output
    path = None if target == "-" else Path(target) if target else default_output(args.claim)
    fmt = "dot" if path is None else output_format(path)
    if fmt is None:
        choices = ", ".join([f".{f}" for f in FORMATS] + list(DOT_SUFFIXES))
        sys.stderr.write(f"icpa graph: cannot tell the format of {path}: name it {choices}, or '-' for DOT\n")
        return EXIT_USAGE
    taken = ExecutionPath()
    if args.claim:
        found = claim_path(args, args.claim)
        if found is None:
            sys.stderr.write(f"icpa graph: no claim {args.claim} with an execution in {args.data_dir}\n")
            return EXIT_FAILED
        taken = found
    definition = json.loads(definition_text())
    dot = to_dot(definition, **taken.as_kwargs())
    if path is None:
        sys.stdout.write(dot)
        return EXIT_OK
    try:
        body = dot.encode() if fmt == "dot" else render(dot, fmt)
    except (GraphvizMissingError, GraphvizRenderError) as exc:
        sys.stderr.write(f"icpa graph: {exc}\n(-o FILE.dot or -o - writes the DOT text without Graphviz)\n")
        return EXIT_FAILED
    path.write_bytes(body)
    states = len(definition["States"])
    summary = f"wrote {path} ({fmt}, {states} states)"
    if args.claim:
        summary += f"; {args.claim}: {' -> '.join(taken.taken)}"
        summary += f" (failed in {taken.failed})" if taken.failed else ""
    sys.stdout.write(summary + "\n")
    return EXIT_OK
