"""What every command shares: exit codes and the session it talks to."""

from __future__ import annotations

import argparse

from icpa_local.connect import open_session
from icpa_local.datadir import DataDir
from icpa_local.session import CloudSession

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_CLAIM_ERROR = 3  # icpa process: every file was followed, and at least one outcome is ERROR


def session(args: argparse.Namespace, *, read_only: bool = False) -> CloudSession:
    """A running icpa serve when there is one, else an embedded cloud on the data directory.
    `read_only` (status, reviews, audit): an embedded cloud only reads the state; it resumes
    nothing and runs no workflow step."""
    from icpa_local.serve import load_overrides

    return open_session(
        DataDir(args.data_dir),
        endpoint=args.endpoint,
        token=args.token,
        time_scale=args.time_scale,
        handler_overrides=load_overrides(args.handlers),
        read_only=read_only,
        workers=args.workers,
    )
