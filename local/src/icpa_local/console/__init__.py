"""The reviewer console: static files (static/) that call only the review API.

`icpa serve` serves them at http://127.0.0.1:<review port>/console/, on the same origin as the
review API, so the page needs no CORS. Deployed, the same files go to a static site (S3 behind
CloudFront, with `/reviews*` routed to the API stage: same origin again) with their own
config.json (the README's "Reviewer console" section). Nothing is templated: the files are
served as they are; only config.json is this server's own.

Every file is sent with a Content-Security-Policy that allows scripts and styles from this
origin only and network calls to this origin (plus the sign-in domain in Cognito mode): even
markup that slipped into the page could neither run inline nor send data elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

PREFIX: Final = "/console/"
# The files the console is made of, and how each is sent. Nothing outside this list is served.
CONTENT_TYPES: Final = {
    "index.html": "text/html; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
    "config.json": "application/json",
}
LOCAL_CONFIG: Final[Mapping[str, Any]] = {"apiBase": "", "auth": {"mode": "token"}}


@dataclass(frozen=True)
class Asset:
    content_type: str
    body: bytes
    headers: Mapping[str, str]


def static_file(name: str) -> bytes:
    return resources.files("icpa_local.console").joinpath("static", name).read_bytes()


def content_security_policy(config: Mapping[str, Any]) -> str:
    connect = ["'self'"]
    auth = config.get("auth")
    domain = auth.get("domain") if isinstance(auth, Mapping) else None
    if isinstance(domain, str) and domain:
        connect.append(domain)  # the token endpoint of the hosted UI (Cognito mode)
    api_base = config.get("apiBase")
    if isinstance(api_base, str) and api_base:
        connect.append(api_base)
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' blob:",
            f"connect-src {' '.join(connect)}",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ]
    )


class Console:
    """The console's files as this server sends them; `config` replaces config.json."""

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        self.config = dict(LOCAL_CONFIG if config is None else config)
        self._headers = {
            "Content-Security-Policy": content_security_policy(self.config),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        }

    def asset(self, path: str) -> Asset | None:
        """The file for a request path under /console/ ("/console/" is the page), else None."""
        if not path.startswith(PREFIX):
            return None
        name = path[len(PREFIX) :] or "index.html"
        content_type = CONTENT_TYPES.get(name)
        if content_type is None:
            return None
        body = json.dumps(self.config, indent=2).encode() if name == "config.json" else static_file(name)
        return Asset(content_type, body, self._headers)
