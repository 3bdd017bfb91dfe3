"""The reviewers' API on 127.0.0.1: HTTP in front of the REAL review API handler, shaped the
way API Gateway (REST, proxy integration, Cognito authorizer) calls it.

A request needs `Authorization: Bearer <token>` with a token from the data directory's
reviewers.json: the adapter fills `requestContext.authorizer.claims` from the token's reviewer
(sub, cognito:username, cognito:groups) and calls the handler. No token, a malformed header or
an unknown token is answered 401 by the adapter itself, as API Gateway does: the handler never
runs, so no request reaches a reviewer identity without a valid token.

Routing comes first, as in API Gateway: a method or path the API does not define (HEAD,
OPTIONS, TRACE, `//reviews/x/decision`, ...) is the gateway's 403 "Missing Authentication
Token" (apigateway.match_route), token or not. The path is matched as sent: http.server folds a
leading `//` into `/`, so the request line is read instead. Every answer is JSON, http.server's
own errors (a malformed request line, an unknown method) included.

`GET /_icpa/health` (no token) says the server is up and its version; nothing about the machine
(no data directory, no pid) and no review data.

`GET /console/` (no token: static files, no review data) is the reviewer console (console/),
served on this origin so that its calls to the API need no CORS; the page signs in with a
reviewer's bearer token and calls the routes above like any other client.
`GET /_icpa/reviews/{review_id}/graph.svg` (bearer token) is the console's workflow picture, a
local extension (console/picture.py).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

from icpa_local.apigateway import (
    authorized_event,
    bearer_token,
    match_route,
    missing_authentication_token,
    split_target,
    unauthorized,
)
from icpa_local.console import PREFIX as CONSOLE_PREFIX
from icpa_local.console import Console
from icpa_local.console.picture import is_graph_path, review_id_of
from icpa_orchestration.graph import GraphvizMissingError, GraphvizRenderError

HEALTH_PATH: Final = "/_icpa/health"
MAX_BODY_BYTES: Final = 1024 * 1024  # API Gateway's payload limit is 10 MB; a decision is tiny

Invoke = Callable[[dict[str, Any]], dict[str, Any]]
# review id -> the workflow picture (SVG) with its execution's path, None for no such review.
Pictures = Callable[[str], bytes | None]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        invoke: Invoke,
        reviewer_for: Callable[[str | None], str | None],
        health: Callable[[], dict[str, Any]],
        console: Console | None,
        pictures: Pictures | None,
    ) -> None:
        super().__init__(address, _Handler)
        self.invoke = invoke
        self.reviewer_for = reviewer_for
        self.health = health
        self.console = console
        self.pictures = pictures


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "icpa-review-api"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # the stdlib's name
        return None  # requests are the handler's to log (in the handler log), not the terminal's

    def do_GET(self) -> None:  # http.server's naming
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    # Methods the API defines for no resource: routed like any other, so they get the 403.
    def do_HEAD(self) -> None:
        self._dispatch()

    def do_OPTIONS(self) -> None:
        self._dispatch()

    def do_TRACE(self) -> None:
        self._dispatch()

    def do_CONNECT(self) -> None:
        self._dispatch()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (501 unknown method, 400 bad request line, 414, 431) as JSON,
        not its HTML page."""
        short = self.responses.get(code, ("Error", ""))[0]
        self.close_connection = True
        self._send(code, {"Content-Type": "application/json"}, json.dumps({"message": message or short}).encode())

    def _target(self) -> str:
        """The request target as the client sent it (self.path has a leading `//` folded)."""
        words = self.requestline.split()
        return words[1] if len(words) == 3 else self.path

    def _dispatch(self) -> None:
        length_text = self.headers.get("Content-Length") or "0"
        if not length_text.isdigit():
            self._send_json(400, {"message": "bad Content-Length"})
            return
        length = int(length_text)
        if length > MAX_BODY_BYTES:
            self._drain(length)  # so the client hears the 413 instead of a broken pipe
            self._send_json(413, {"message": "Request Entity Too Large"})
            self.close_connection = True
            return
        raw = self.rfile.read(length) if length else b""
        target = self._target()
        path, _ = split_target(target)
        if self.command == "GET" and path == HEALTH_PATH:
            self._send_json(200, self.server.health())
            return
        if self.command == "GET" and self.server.console is not None and path.startswith(CONSOLE_PREFIX[:-1]):
            self._send_console(self.server.console, path)
            return
        if self.command == "GET" and self.server.pictures is not None and is_graph_path(path):
            self._send_picture(self.server.pictures, path)
            return
        if match_route(self.command, path) is None:
            self._send_proxy(missing_authentication_token())
            return
        try:
            text: str | None = raw.decode("utf-8") if raw else None
        except UnicodeDecodeError:
            self._send_json(400, {"message": "the body is not UTF-8"})
            return
        event = authorized_event(
            self.command,
            target,
            authorization=self.headers.get("Authorization"),
            reviewer_for=self.server.reviewer_for,
            raw_body=text,
            headers={k: v for k, v in self.headers.items()},
        )
        if event is None:
            self._send_proxy(unauthorized())
            return
        try:
            response = self.server.invoke(event)
        except Exception:  # as API Gateway answers a crashed integration
            self._send_json(502, {"message": "Internal server error"})
            return
        self._send_proxy(response)

    def _send_console(self, console: Console, path: str) -> None:
        if path == CONSOLE_PREFIX[:-1]:  # the page's relative links need the trailing slash
            self._send(308, {"Location": CONSOLE_PREFIX}, b"")
            return
        asset = console.asset(path)
        if asset is None:
            self._send_json(404, {"message": "no such console file"})
            return
        self._send(200, {"Content-Type": asset.content_type, **asset.headers}, asset.body)

    def _send_picture(self, pictures: Pictures, path: str) -> None:
        """The console's workflow picture: a reviewer's bearer token, as for the API."""
        if self.server.reviewer_for(bearer_token(self.headers.get("Authorization"))) is None:
            self._send_proxy(unauthorized())
            return
        review_id = review_id_of(path)
        try:
            svg = pictures(review_id) if review_id is not None else None
        except (GraphvizMissingError, GraphvizRenderError):
            self._send_json(503, {"message": "the workflow picture could not be drawn (Graphviz)"})
            return
        except Exception:  # as for the API: a crashed integration
            self._send_json(502, {"message": "Internal server error"})
            return
        if svg is None:
            self._send_json(404, {"message": "no such review"})
            return
        headers = {
            "Content-Type": "image/svg+xml",
            # Shown as an <img>, where SVG runs nothing; opened directly, it may style itself only.
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        }
        self._send(200, headers, svg)

    def _drain(self, length: int, limit: int = 16 * MAX_BODY_BYTES) -> None:
        remaining = min(length, limit)
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 65536))
            if not chunk:
                return
            remaining -= len(chunk)

    def _send_json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, {"Content-Type": "application/json"}, json.dumps(body).encode())

    def _send_proxy(self, response: dict[str, Any]) -> None:
        """A Lambda proxy response on the wire."""
        body = response.get("body") or ""
        data = base64.b64decode(body) if response.get("isBase64Encoded") else str(body).encode()
        headers: dict[str, str] = {str(k): str(v) for k, v in (response.get("headers") or {}).items()}
        for name, values in (response.get("multiValueHeaders") or {}).items():
            if values:
                headers[str(name)] = ", ".join(str(v) for v in values)
        self._send(int(response.get("statusCode", 502)), headers, data)

    def _send(self, status: int, headers: dict[str, str], data: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


class ReviewApiServer:
    """`start()` binds 127.0.0.1:<port> (0 picks a free one) and serves on a thread."""

    def __init__(
        self,
        invoke: Invoke,
        reviewer_for: Callable[[str | None], str | None],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        health: Callable[[], dict[str, Any]] | None = None,
        console: Console | None = None,
        pictures: Pictures | None = None,
    ) -> None:
        self._server = _Server(
            (host, port),
            invoke,
            reviewer_for,
            health or (lambda: {"service": "icpa-review-api", "status": "ok"}),
            console,
            pictures,
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ReviewApiServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="icpa-review-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:  # shutdown() waits for serve_forever: only if it runs
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
