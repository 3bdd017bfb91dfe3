"""`icpa`: the local cloud from the command line.

    icpa demo                          the whole story with bundled sample claims (fresh data dir)
    icpa process FILE... [--review approve|deny|none] [--json]
    icpa serve [--port N] [--inbox DIR]  the local cloud as a server that loses nothing
    icpa status [CLAIM_ID] [--json]    claims with outcome, route and age; one claim's steps
    icpa reviews [--json]              pending reviews, through the review API
    icpa review ID approve|deny --rationale TEXT
    icpa audit CLAIM_ID [--verify] [--json]  the decision trail, verified against chain and archive

Every command takes --data-dir DIR (default $ICPA_DATA_DIR, $XDG_DATA_HOME/icpa or
~/.local/share/icpa). process/status/reviews/review talk to a running `icpa serve` when there is
one (--endpoint URL, the data dir's server, or 127.0.0.1:4566), else run an embedded local cloud
on the same data directory for their own duration.

This module is the entry point and the parser; each command lives in icpa_local.commands
(load and redrive in load.py and redrive.py).
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from icpa_local.cloud import DEFAULT_TIME_SCALE
from icpa_local.commands import audit, cost, demo, graph, process, reviews, serve, status
from icpa_local.commands.common import EXIT_CLAIM_ERROR, EXIT_FAILED, EXIT_OK, EXIT_USAGE, session
from icpa_local.commands.render import console
from icpa_local.connect import ServerUnreachable
from icpa_local.datadir import DataDirBusy, default_data_dir

__all__ = ["EXIT_CLAIM_ERROR", "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]


class _DefaultsShown(argparse.ArgumentDefaultsHelpFormatter):
    """Shows a default where there is one to show (not for flags, nor for required options)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False) or action.required:
            return action.help
        return super()._get_help_string(action)


class Parser(argparse.ArgumentParser):
    """Help shows every default; a mistyped command name gets a suggestion."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _DefaultsShown)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> Any:  # type: ignore[override]
        if "invalid choice:" in message:
            typed = message.split("invalid choice: ", 1)[1].split("'")[1]
            choices = [c for a in self._actions if isinstance(a, argparse._SubParsersAction) for c in a.choices]
            close = difflib.get_close_matches(typed, choices, n=1)
            if close:
                message += f"; did you mean '{close[0]}'?"
        super().error(message)


def _common() -> Parser:
    """Options every command takes, before or after the command's name (defaults are applied
    after parsing, so one given before the command is not reset by the command's parser)."""
    common = Parser(add_help=False)
    common.add_argument(
        "--time-scale",
        type=float,
        default=argparse.SUPPRESS,
        help=f"factor applied to retry intervals, waits and review deadlines, in (0, 1] "
        f"(default: {DEFAULT_TIME_SCALE})",
    )
    common.add_argument(
        "--timeout", type=float, default=argparse.SUPPRESS, help="seconds to wait for each claim (default: 120)"
    )
    common.add_argument(
        "--data-dir",
        type=Path,
        default=argparse.SUPPRESS,
        help="where the local cloud keeps its state (default: $ICPA_DATA_DIR, "
        "$XDG_DATA_HOME/icpa or ~/.local/share/icpa)",
    )
    common.add_argument(
        "--endpoint",
        default=argparse.SUPPRESS,
        help="a running icpa serve's endpoint URL (default: the data dir's server, "
        "else http://127.0.0.1:4566 if it answers, else an embedded local cloud)",
    )
    common.add_argument(
        "--token",
        default=argparse.SUPPRESS,
        help="review API bearer token (default: $ICPA_REVIEW_TOKEN, else the cli " "reviewer's from reviewers.json)",
    )
    common.add_argument(
        "--workers",
        type=int,
        default=argparse.SUPPRESS,
        help="run an embedded cloud's handlers in N worker processes, each one Lambda container, "
        "to use more than one core (default: $ICPA_WORKERS, else 0: in the cloud's own process)",
    )
    common.add_argument("--handlers", default=argparse.SUPPRESS, help=argparse.SUPPRESS)  # tests: module:fn
    return common


COMMON_DEFAULTS: dict[str, Callable[[], Any]] = {
    "time_scale": lambda: DEFAULT_TIME_SCALE,
    "timeout": lambda: 120.0,
    "data_dir": default_data_dir,
    "endpoint": lambda: None,
    "token": lambda: None,
    "handlers": lambda: None,
    "workers": lambda: os.environ.get("ICPA_WORKERS") or "0",
}


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = Parser(
        prog="icpa",
        description="ICPA's local cloud: the claims workflow on one laptop.",
        epilog="Options shown here are accepted before or after the command: icpa --data-dir D status "
        "= icpa status --data-dir D. 'icpa COMMAND --help' lists a command's own options.",
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    for command in (demo, process, serve, status, reviews, audit, graph, cost):
        command.register(sub, common)

    from icpa_local import load as load_cmd  # their own modules (load.py, redrive.py)
    from icpa_local import redrive as redrive_cmd

    load = sub.add_parser(
        "load",
        parents=[common],
        help="drive the local cloud at a steady rate; print throughput, "
        "latency percentiles, outcomes and errors (embedded and throwaway unless --endpoint)",
    )
    load.add_argument("--claims", type=int, default=200, help="how many claims (default %(default)s)")
    load.add_argument("--rate", type=float, default=10.0, help="uploads a second (default %(default)s)")
    load.add_argument("--run", type=int, default=1, help="1..999: runs with different numbers share no claim ids")
    load.add_argument("--json", action="store_true", help="the report as one JSON object")
    load.set_defaults(func=lambda a: load_cmd.run_load_command(a, load_cmd.load_session(a), console()))
    redrive = sub.add_parser("redrive", parents=[common], help="process an ERROR claim again from its original")
    redrive.add_argument("claim_id", metavar="CLAIM_ID", help="the ERROR claim to process again")
    redrive.add_argument("--json", action="store_true", help="the outcome as one JSON object")
    redrive.set_defaults(func=lambda a: redrive_cmd.run_redrive_command(a, session(a), console()))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if extras:  # name the command whose usage was missed, not the top level's
        command = _subcommand(parser, args.command)
        (command or parser).error(f"unrecognized arguments: {' '.join(extras)}")
    for name, default in COMMON_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, default())
    if not 0 < args.time_scale <= 1:
        sys.stderr.write("icpa: --time-scale must be in (0, 1]\n")
        return EXIT_USAGE
    try:
        args.workers = int(args.workers)
    except ValueError:
        args.workers = -1
    if args.workers < 0:
        sys.stderr.write("icpa: --workers (or $ICPA_WORKERS) must be a whole number, 0 or more\n")
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except ServerUnreachable as exc:
        sys.stderr.write(f"icpa: {exc}\n")
        return EXIT_USAGE
    except DataDirBusy as exc:
        sys.stderr.write(f"icpa: {exc}\n")
        return EXIT_FAILED


def _subcommand(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found: argparse.ArgumentParser | None = action.choices.get(name)
            return found
    return None


if __name__ == "__main__":
    raise SystemExit(main())
