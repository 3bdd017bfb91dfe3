"""`icpa audit CLAIM_ID [--verify]`: the decision trail, verified against chain and archive."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from icpa_local.commands.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, session
from icpa_local.commands.render import page_width


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    audit = sub.add_parser("audit", parents=[common], help="a claim's decision trail, verified")
    audit.add_argument("claim_id", metavar="CLAIM_ID", help="the claim whose trail to show")
    audit.add_argument(
        "--verify",
        action="store_true",
        help="check the hash chain and the archived histories; exit 1 naming a broken link",
    )
    audit.add_argument("--json", action="store_true", help="the trail (and verification) as one JSON object")
    audit.set_defaults(func=run_audit)


def run_audit(args: argparse.Namespace) -> int:
    """The claim's decision trail as a timeline, verified (--verify) against its hash chain and
    the archived execution histories; exits 1 naming the broken link when verification fails."""
    from icpa_audit.adapters.archive_bucket import S3ArchiveReader
    from icpa_audit.adapters.audit_chain import AuditChainReader
    from icpa_audit.domain import load_trail, render_timeline, trail_to_json, verify_trail

    with session(args, read_only=True) as cloud:
        try:
            trail = load_trail(
                args.claim_id,
                AuditChainReader(cloud.names.audit_table, dynamodb=cloud.client("dynamodb")),
                S3ArchiveReader(cloud.names.archive_bucket, s3=cloud.client("s3")),
            )
        except ValueError as exc:
            sys.stderr.write(f"icpa audit: {exc}\n")
            return EXIT_USAGE
    if not trail.events and not trail.archives:
        sys.stderr.write(f"icpa audit: no audit trail for {args.claim_id}\n")
        return EXIT_FAILED
    verification = verify_trail(trail) if args.verify else None
    if args.json:
        sys.stdout.write(json.dumps(trail_to_json(trail, verification), default=str) + "\n")
    else:
        sys.stdout.write(render_timeline(trail, verification, width=page_width()).rstrip("\n") + "\n")
    if verification is not None and not verification.ok:
        for broken in verification.broken:
            sys.stderr.write(f"icpa audit: verification failed at {broken.link}: {broken.problem}\n")
        return EXIT_FAILED
    return EXIT_OK
