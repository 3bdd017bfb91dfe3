"""Which local cloud a command talks to: a running `icpa serve` when there is one, else an
embedded local cloud for the command's own duration, on the same data directory.

Order: `--endpoint URL` (it must answer); the server that owns the data directory (its
server.json, while it holds the directory's lock); the default address 127.0.0.1:4566, probed
quickly; else embedded. A server's review API is at its endpoint's port + 1.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from icpa_local.datadir import DataDir, DataDirBusy
from icpa_local.remote import RemoteCloud, probe, review_url_for
from icpa_local.reviewers import ReviewerTokens
from icpa_local.session import CloudSession

DEFAULT_PORT: Final = 4566
DEFAULT_ENDPOINT: Final = f"http://127.0.0.1:{DEFAULT_PORT}"
TOKEN_ENV: Final = "ICPA_REVIEW_TOKEN"
STARTING_GRACE_SECONDS: Final = 120.0


class ServerUnreachable(RuntimeError):
    """--endpoint names a server that does not answer."""


@dataclass(frozen=True)
class ServerAddress:
    endpoint_url: str
    review_url: str
    info: dict[str, Any]


def find_server(data_dir: DataDir, endpoint: str | None, *, probe_timeout: float = 0.3) -> ServerAddress | None:
    if endpoint:
        review = review_url_for(endpoint)
        info = probe(review, timeout=2.0)
        if info is None:
            raise ServerUnreachable(f"no icpa serve answers at {endpoint} (review API {review})")
        return ServerAddress(endpoint.rstrip("/"), review, info)
    owned = _owner_of(data_dir)
    if owned is not None:
        return owned
    info = probe(review_url_for(DEFAULT_ENDPOINT), timeout=probe_timeout)
    if info is not None:
        return ServerAddress(DEFAULT_ENDPOINT, review_url_for(DEFAULT_ENDPOINT), info)
    return None


def _owner_of(data_dir: DataDir) -> ServerAddress | None:
    info = data_dir.server_info()
    if not info or not data_dir.busy():
        return None
    review = str(info.get("review_api", ""))
    live = probe(review, timeout=1.0) if review else None
    if live is None:
        return None
    return ServerAddress(str(info["endpoint"]), review, live)


def remote_session(server: ServerAddress, data_dir: DataDir, token: str | None = None) -> RemoteCloud:
    """Tokens: --token / $ICPA_REVIEW_TOKEN, else the server's data directory's reviewers.json
    (same user, same machine), else this command's data directory's."""
    token = token or os.environ.get(TOKEN_ENV) or None
    tokens = None
    if token is None:
        for candidate in (server.info.get("data_dir"), str(data_dir.root)):
            if candidate and (path := DataDir(Path(candidate)).reviewers).exists():
                try:
                    tokens = ReviewerTokens.load(path)
                except (OSError, ValueError):
                    continue
                break
    return RemoteCloud(server.endpoint_url, server.review_url, tokens=tokens, token=token)


def open_session(
    data_dir: DataDir,
    *,
    endpoint: str | None = None,
    token: str | None = None,
    time_scale: float,
    handler_overrides: Mapping[str, Callable[[dict[str, Any], Any], Any]] | None = None,
    wait_for_owner: float = STARTING_GRACE_SECONDS,
    read_only: bool = False,
    workers: int = 0,
) -> CloudSession:
    """A started session; close it when done (`with open_session(...) as cloud:`).
    `read_only`: an embedded cloud only restores the state to read it (LocalCloud read_only)."""
    from icpa_local.cloud import LocalCloud

    server = find_server(data_dir, endpoint)
    if server is not None:
        return remote_session(server, data_dir, token)
    deadline = time.monotonic() + wait_for_owner
    while True:
        cloud = LocalCloud(
            time_scale=time_scale,
            data_dir=data_dir.root,
            log_path=data_dir.logs / "handlers.jsonl",
            handler_overrides=handler_overrides,
            read_only=read_only,
            workers=workers,
        )
        try:
            cloud.start()
            return cloud
        except DataDirBusy:
            # A server starting up (no server.json yet) or another command's embedded cloud:
            # wait for the server to answer or the other command to finish.
            server = _owner_of(data_dir)
            if server is not None:
                return remote_session(server, data_dir, token)
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)
