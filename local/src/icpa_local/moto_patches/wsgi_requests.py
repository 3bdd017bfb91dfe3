"""Requests built without werkzeug's test client (section 21 of icpa_local.moto_patches).

moto turns every in-process request (botocore's `AWSPreparedRequest`) into its werkzeug
`Request` with `Request.from_values`, werkzeug's test-client `EnvironBuilder`: a `Headers`
object built, copied and filtered, the URL and path put through `iri_to_uri` twice, a builder
per request closed again. That is ~6% of the local cloud's state process (py-spy, 2 handler
workers, 400 claims, 2026-12-01), spent on requests that are plain: an ASCII lower-case host, a
path that is already percent-encoded (botocore quotes every key and path segment), a body of
bytes.

21. For such a request, the WSGI environ is written directly: the same keys, values and order
    as `EnvironBuilder(...).get_environ()` of werkzeug 3.1.9 for the arguments moto passes
    (`base_url`, `path`, `query_string`, `data`, `headers`), then moto's own steps after it
    (the preserved header names, the default Content-Length). Anything else takes moto's path
    unchanged: a host or path that `iri_to_uri` would rewrite (upper case, non-ASCII,
    characters it quotes, a path starting `//`), a header value werkzeug refuses (a newline), a
    body that is not bytes, str or a file, an empty multipart body (the builder invents a boundary).
    Tested against the builder on every request a claim's run makes and on generated ones
    (local/tests/test_local_moto_requests.py). Pinned to werkzeug 3.1.9: with another release
    the patch is not applied and moto builds every request as before.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from io import BytesIO
from typing import Any, Final
from urllib.parse import unquote, urlparse

from icpa_local.moto_patches.registry import Patch, moto_module

WERKZEUG_VERSION: Final = "3.1.9"

# What `iri_to_uri` leaves as it is: a host of lower-case ASCII labels (1-63 characters: the
# idna codec's limits) with an optional port it would print the same, and a path of the
# characters it never quotes (its `safe` set, letters, digits and `-._~`).
_PLAIN_HOST: Final = re.compile(r"[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})*\.?(?::[1-9][0-9]{0,4})?")
_PLAIN_PATH: Final = re.compile(r"(?:/(?!/)[A-Za-z0-9\-._~%!$&'()*+,/:;=@]*)?")
_NEWLINE: Final = re.compile(r"[\r\n]")
_SCHEMES: Final = frozenset({"http", "https"})


def werkzeug_version() -> str:
    from importlib.metadata import version

    return version("werkzeug")


def _dance(text: str) -> str:
    """werkzeug's `_wsgi_encoding_dance`: a WSGI environ holds UTF-8 bytes as latin-1 text."""
    return text.encode().decode("latin1")


def plain_environ(method: str, url: str, header_items: Iterable[tuple[str, Any]], body: Any) -> dict[str, Any] | None:
    """`EnvironBuilder(method=, base_url=, path=, query_string=, data=, headers=).get_environ()`
    as moto calls it for `url`, or None where this does not copy it exactly (moto's path then)."""
    parsed = urlparse(url)
    scheme, host, path = parsed.scheme, parsed.netloc, parsed.path
    if scheme not in _SCHEMES or not _PLAIN_HOST.fullmatch(host) or not _PLAIN_PATH.fullmatch(path):
        return None
    name, _, port = host.partition(":")
    if port and int(port) > 65535:
        return None
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode()
    elif not isinstance(body, bytes):
        return None

    content_type: str | None = None
    http: dict[str, str] = {}
    for key, raw in header_items:
        value = raw if isinstance(raw, str) else str(raw)
        if _NEWLINE.search(value) is not None:
            return None  # werkzeug's Headers refuses it: moto's path raises as before
        lowered = key.lower()
        if lowered == "content-type":
            content_type = value if content_type is None else content_type
        elif lowered != "content-length":
            wsgi_key = f"HTTP_{key.upper().replace('-', '_')}"
            http[wsgi_key] = f"{http[wsgi_key]}, {value}" if wsgi_key in http else value

    content_length: int | None
    if body:
        stream = BytesIO(body)
        content_length = len(body)
    else:
        mimetype = content_type.partition(";")[0].strip() if content_type else None
        if mimetype == "multipart/form-data":
            return None
        stream = BytesIO()
        # The builder drops a Content-Length header (its `content_length=None` argument): an
        # empty body has none, but for the empty form it encodes.
        content_length = 0 if mimetype == "application/x-www-form-urlencoded" else None

    raw_uri = _dance(path)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": _dance(unquote(path)),
        "QUERY_STRING": _dance(parsed.query),
        "REQUEST_URI": raw_uri,
        "RAW_URI": raw_uri,
        "SERVER_NAME": name,
        "SERVER_PORT": port or ("443" if scheme == "https" else "80"),
        "HTTP_HOST": host,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": stream,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    if content_length is not None:
        environ["CONTENT_LENGTH"] = str(content_length)
    environ.update(http)
    return environ


def _direct_from_primitives(original: Callable[..., Any]) -> Any:
    """moto 5.2.5's `Request.from_primitives`, with the environ of a plain request written
    directly; any other request goes to `original` (moto's, through werkzeug's builder)."""
    request_module = moto_module("moto.core.request")
    chunked = request_module.AwsChunkedWrapper
    preserved_key = request_module.PRESERVED_HEADER_NAMES_ENVIRON_KEY
    environ_key_for_header = request_module.environ_key_for_header
    should_preserve = request_module.should_preserve_original_header_name

    def from_primitives(cls: Any, method: str, url: str, headers: Any, body: Any = None) -> Any:
        if isinstance(body, chunked) or hasattr(body, "read"):
            body = body.read()  # what the builder does with a file (moto reads a chunked one first)
        header_items = [
            (key, value.decode("utf-8") if isinstance(value, bytes) else value)
            for key, value in headers.items()
            if key.lower() not in ["transfer-encoding"]
        ]
        environ = plain_environ(method, url, header_items, body)
        if environ is None:
            return original(cls, method, url, headers, body)
        request = cls(environ)
        request.environ[preserved_key] = {
            environ_key_for_header(key): key for key, _ in header_items if should_preserve(key)
        }
        request.environ.setdefault("CONTENT_LENGTH", "0")
        return request

    from_primitives.__wrapped__ = original  # type: ignore[attr-defined]
    return classmethod(from_primitives)


def patched_attributes() -> list[tuple[Any, str]]:
    """What section 21 replaces: (owner, attribute), for `REGISTRY.undone` in tests and benchmarks."""
    return [(moto_module("moto.core.request").Request, "from_primitives")]


def patches() -> list[Patch]:
    if werkzeug_version() != WERKZEUG_VERSION:
        return []  # another builder to copy: moto's own path, unpatched
    request_class = moto_module("moto.core.request").Request
    original = vars(request_class)["from_primitives"].__func__
    return [Patch(request_class, "from_primitives", _direct_from_primitives(original))]
