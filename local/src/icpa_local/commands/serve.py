"""`icpa serve`: the local cloud as a server on 127.0.0.1 (the work is in icpa_local.serve)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from icpa_local.datadir import DataDir


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    serve = sub.add_parser(
        "serve", parents=[common], help="run the local cloud as a server on 127.0.0.1 (AWS endpoint, review API, inbox)"
    )
    serve.add_argument(
        "--port",
        type=int,
        default=4566,
        help="the AWS endpoint's port; the review API takes the next one (default %(default)s; " "0 picks a free pair)",
    )
    serve.add_argument(
        "--inbox",
        type=Path,
        default=None,
        help="a folder whose files are uploaded to the inbox (default <data-dir>/inbox)",
    )
    serve.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from icpa_local.serve import run_serve as serve

    return serve(
        DataDir(args.data_dir),
        port=args.port,
        inbox=args.inbox,
        time_scale=args.time_scale,
        handlers=args.handlers,
        workers=args.workers,
    )
