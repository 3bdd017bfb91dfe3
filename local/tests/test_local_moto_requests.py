"""Requests built without werkzeug's test client (section 21 of icpa_local.moto_patches): the
environ written for a plain request is werkzeug's builder's, key for key and in order, for
every request a run of real claims makes and for generated ones; anything else is moto's."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icpa_local import moto_patches
from icpa_local.cloud import LocalCloud
from icpa_local.moto_patches import wsgi_requests


@pytest.fixture(autouse=True)
def installed() -> None:
    moto_patches.install()


def _request_class() -> Any:
    return moto_patches.moto_module("moto.core.request").Request


def _builders() -> contextlib.AbstractContextManager[None]:
    """moto's own `from_primitives` (werkzeug's EnvironBuilder) inside the block."""
    return moto_patches.REGISTRY.undone(*wsgi_requests.patched_attributes())


class Pairs:
    """Headers as moto reads them (`.items()`), duplicates and odd values allowed."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        self.pairs = pairs

    def items(self) -> list[tuple[str, Any]]:
        return list(self.pairs)


def _comparable(request: Any) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in request.environ.items():
        if key == "wsgi.input":
            value = ("stream", value.tell(), value.getvalue())
        elif key == "werkzeug.request":
            value = "the request" if value is request else "another request"
        out.append((key, value))
    return out


def _views(request: Any) -> dict[str, Any]:
    """What moto reads of a request, read after the environ was compared (it consumes the body)."""
    return {
        "method": request.method,
        "url": request.url,
        "path": request.path,
        "raw_path": request.raw_path,
        "raw_url": request.raw_url,
        "host": request.host,
        "query": request.query_string,
        "args": list(request.args.items(multi=True)),
        "headers": list(request.headers),
        "data": request.get_data(),
        "form": list(request.form.items(multi=True)),
    }


def _built(method: str, url: str, headers: Any, body: Any) -> tuple[str, Any]:
    if isinstance(body, io.BytesIO):  # a file is read by each build: each gets its own
        body = io.BytesIO(body.getvalue())
    try:
        request = _request_class().from_primitives(method, url, headers, body)
    except Exception as exc:  # the same refusal either way
        return "raised", (type(exc).__name__, str(exc))
    return "built", (_comparable(request), _views(request))


def assert_as_builder(method: str, url: str, headers: Any, body: Any = None) -> None:
    patched = _built(method, url, headers, body)
    with _builders():
        builder = _built(method, url, headers, body)
    assert patched == builder


@contextlib.contextmanager
def counting_builders() -> Iterator[list[str]]:
    """Each EnvironBuilder made, by its base URL."""
    test = pytest.importorskip("werkzeug.test")
    original = test.EnvironBuilder.__init__
    seen: list[str] = []

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        seen.append(str(kwargs.get("base_url")))
        original(self, *args, **kwargs)

    test.EnvironBuilder.__init__ = init
    try:
        yield seen
    finally:
        test.EnvironBuilder.__init__ = original


DYNAMODB = "https://dynamodb.us-east-1.amazonaws.com/"
JSON_HEADERS = [
    ("X-Amz-Target", "DynamoDB_20120810.PutItem"),
    ("Content-Type", "application/x-amz-json-1.0"),
    ("User-Agent", "Boto3/1.40 md/Botocore#1.40 ua/2.1 os/linux"),
    ("amz-sdk-invocation-id", "0b1c"),
    ("amz-sdk-request", "attempt=1"),
    ("Content-Length", "12"),
]

PLAIN: list[tuple[str, str, list[tuple[str, Any]], Any]] = [
    ("POST", DYNAMODB, JSON_HEADERS, b'{"a": "b"}  '),
    ("POST", DYNAMODB, JSON_HEADERS, '{"text": "caf\u00e9"}'),
    ("POST", "https://dynamodb.us-east-1.amazonaws.com", JSON_HEADERS, b"{}"),
    # S3: an encoded key, user metadata with an underscore (moto keeps its spelling), a query
    (
        "PUT",
        "https://icpa-documents.s3.us-east-1.amazonaws.com/claims/CLM%2B1/doc%20x.json",
        [("x-amz-meta-claim_id", "CLM-1"), ("X-Amz-Meta-Kind", "doc"), ("Content-MD5", "abc==")],
        b'{"claim": 1}',
    ),
    ("GET", "https://icpa-inbox.s3.us-east-1.amazonaws.com/claims/a.json?versionId=3&x=%2F", [], None),
    ("GET", "https://s3.us-east-1.amazonaws.com/bucket/key%3Ais~here", [("Range", "bytes=0-9")], b""),
    ("HEAD", "http://localhost:5000/bucket/k", [("Content-Length", "0")], None),
    ("DELETE", "https://bucket.s3.amazonaws.com:8443/k?uploadId=1", [("Content-Length", "not a number")], None),
    ("POST", "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/fn%3Aalias/invocations", [], b"{}"),
    # the query protocol: a form body, then an empty one (the builder's form branch)
    (
        "POST",
        "https://sns.us-east-1.amazonaws.com/",
        [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
        b"Action=Publish&Message=hi%20there&TopicArn=arn%3Aaws",
    ),
    ("POST", "https://sns.us-east-1.amazonaws.com/", [("Content-Type", "application/x-www-form-urlencoded")], b""),
    # duplicate and differently cased headers, a Host header, non-str and bytes values
    (
        "POST",
        "https://states.us-east-1.amazonaws.com/",
        [("x-a", "1"), ("X-A", "2"), ("content-type", "a/b"), ("CONTENT-TYPE", "c/d"), ("Host", "other"), ("X-N", 7)],
        b"{}",
    ),
    (
        "POST",
        "https://states.us-east-1.amazonaws.com/",
        [("X-B", b"bytes value"), ("Transfer-Encoding", "chunked")],
        b"x",
    ),
    ("GET", "https://host./p", [], None),
    # a file body (botocore streams some uploads): read whole, as the builder reads it
    ("PUT", "https://icpa-archive.s3.us-east-1.amazonaws.com/claims/a.json.gz", [], io.BytesIO(b"\x1f\x8b archive")),
]

NOT_PLAIN: list[tuple[str, str, list[tuple[str, Any]], Any]] = [
    ("GET", "https://Bucket.s3.amazonaws.com/k", [], None),  # iri_to_uri lowers the host
    ("GET", "https://b\u00fccket.example.com/k", [], None),  # ... and encodes it to Punycode
    ("GET", "https://bucket.s3.amazonaws.com/a b<c>", [], None),  # ... and quotes the path
    ("GET", "https://bucket.s3.amazonaws.com/caf\u00e9", [], None),
    ("GET", "https://bucket.s3.amazonaws.com//leading-slash-key", [], None),  # the builder's urlsplit
    ("GET", "https://bucket.s3.amazonaws.com:0080/k", [], None),  # the port is rewritten
    ("GET", "https://user@bucket.s3.amazonaws.com/k", [], None),
    ("GET", "https://a..b/k", [], None),  # an empty label: the idna codec refuses it
    ("POST", DYNAMODB, [("X-Bad", "a\r\nInjected: 1")], b"{}"),  # werkzeug refuses the value
    ("POST", DYNAMODB, [("Content-Type", "multipart/form-data")], b""),  # the builder adds a boundary
    ("POST", DYNAMODB, [], bytearray(b"{}")),
]


@pytest.mark.parametrize(("method", "url", "headers", "body"), PLAIN)
def test_a_plain_request_gets_the_builders_environ_without_the_builder(
    method: str, url: str, headers: list[tuple[str, Any]], body: Any
) -> None:
    # Given a request moto would build through werkzeug's EnvironBuilder
    # When it is built with the patch, and again with moto's own from_primitives
    assert_as_builder(method, url, Pairs(headers), body)
    # Then the builder is not run at all for it
    with counting_builders() as seen:
        _request_class().from_primitives(
            method, url, Pairs(headers), io.BytesIO(body.getvalue()) if isinstance(body, io.BytesIO) else body
        )
    assert seen == []


@pytest.mark.parametrize(("method", "url", "headers", "body"), NOT_PLAIN)
def test_anything_else_is_built_by_moto_as_before(
    method: str, url: str, headers: list[tuple[str, Any]], body: Any
) -> None:
    assert wsgi_requests.plain_environ(method, url, headers, body) is None
    # moto's own path: werkzeug's builder builds it (or refuses it, as it did before)
    with counting_builders() as seen, contextlib.suppress(Exception):
        _request_class().from_primitives(method, url, Pairs(headers), body)
    assert seen


def test_an_aws_chunked_body_is_read_as_moto_reads_it() -> None:
    from botocore.awsrequest import AWSPreparedRequest, HeadersDict
    from botocore.httpchecksum import AwsChunkedWrapper

    def request() -> AWSPreparedRequest:
        body: Any = AwsChunkedWrapper(io.BytesIO(b"0123456789"), checksum_cls=None)
        headers: Any = HeadersDict({"Content-Encoding": "aws-chunked", "Transfer-Encoding": "chunked"})
        return AWSPreparedRequest("PUT", "https://b.s3.amazonaws.com/k", headers, body, stream_output=False)

    normalize = moto_patches.moto_module("moto.core.request").normalize_request
    patched = normalize(request())
    with _builders():
        builder = normalize(request())
    assert _comparable(patched) == _comparable(builder)
    assert patched.get_data() == builder.get_data()  # the aws-chunked framing, which moto's S3 decodes
    assert b"0123456789" in patched.get_data()


HOSTS = st.sampled_from(
    [
        "dynamodb.us-east-1.amazonaws.com",
        "b.s3.amazonaws.com",
        "localhost:5000",
        "LocalHost",
        "h\u00e9.x",
        "a..b",
        "x:0",
    ]
)
SAFE_PATH_CHARS = st.sampled_from([*"abcXYZ019-._~%!$&'()*+,/:;=@", "%2F", "%41", "%zz", "%C3%A9"])
PATH_CHARS = SAFE_PATH_CHARS | st.sampled_from(list(' <>"{}|\\^`[]#?\u00e9\u2603'))
PATHS = st.lists(SAFE_PATH_CHARS, max_size=12).map("".join) | st.lists(PATH_CHARS, max_size=12).map("".join)
HEADER_KEYS = st.sampled_from(
    ["Content-Type", "content-length", "X-Amz-Target", "x-amz-meta-my_key", "Host", "X-A", "x-a"]
)
HEADER_VALUES = st.one_of(
    st.sampled_from(["application/json", "multipart/form-data", "application/x-www-form-urlencoded", "12", " 3 ", "x"]),
    st.text(max_size=6),
    st.integers(-5, 5),
    st.binary(max_size=4).filter(lambda b: all(c < 0x80 for c in b)),
)
BODIES = st.one_of(st.none(), st.binary(max_size=12), st.text(max_size=6), st.just(b""))


@settings(max_examples=300, deadline=None)
@given(
    method=st.sampled_from(["GET", "PUT", "POST", "HEAD", "DELETE"]),
    scheme=st.sampled_from(["http", "https", "HTTPS"]),
    host=HOSTS,
    path=PATHS,
    query=st.text(max_size=6),
    headers=st.lists(st.tuples(HEADER_KEYS, HEADER_VALUES), max_size=5),
    body=BODIES,
)
def test_generated_requests_build_as_moto_builds_them(
    method: str, scheme: str, host: str, path: str, query: str, headers: list[tuple[str, Any]], body: Any
) -> None:
    url = f"{scheme}://{host}/{path}" + (f"?{query}" if query else "")
    items = [(k, v.decode() if isinstance(v, bytes) else v) for k, v in headers]
    if wsgi_requests.plain_environ(method, url, items, body) is not None:
        assert_as_builder(method, url, Pairs(headers), body)  # written directly: the builder's environ
    else:  # moto's path (whose multipart boundary is random: no two builds are equal)
        with counting_builders() as seen, contextlib.suppress(Exception):
            _request_class().from_primitives(method, url, Pairs(headers), body)
        assert seen


def test_every_request_of_real_claims_builds_as_moto_builds_it() -> None:
    # Given every request that reaches moto while real claims run (approved, reviewed, rejected)
    request_class = _request_class()
    patched = vars(request_class)["from_primitives"]
    seen: list[tuple[str, str, list[tuple[str, Any]], Any]] = []

    def recording(cls: Any, method: str, url: str, headers: Any, body: Any = None) -> Any:
        if hasattr(body, "read"):  # a file body: kept as bytes to build twice
            body = body.read()
        seen.append((method, url, list(headers.items()), body))
        return patched.__func__(cls, method, url, headers, body)

    samples = resources.files("icpa_local").joinpath("samples")
    request_class.from_primitives = classmethod(recording)
    try:
        with LocalCloud(time_scale=0.001) as cloud:
            for name, review in (
                ("approve-office-visit.json", None),
                ("review-high-amount-surgery.json", "approve"),
                ("rejected-invalid-codes.json", None),
            ):
                cloud.process(samples.joinpath(name).read_bytes(), f"claims/{name}", review=review)
            cloud.wait_idle()
    finally:
        request_class.from_primitives = patched
    # Then each one gets the builder's environ, and nearly all of them without the builder
    assert len(seen) > 50
    plain = [r for r in seen if wsgi_requests.plain_environ(r[0], r[1], r[2], r[3]) is not None]
    assert len(plain) == len(seen), [r[1] for r in seen if r not in plain][:5]
    for method, url, headers, body in seen:
        assert_as_builder(method, url, Pairs(headers), body)


def test_the_patch_copies_the_werkzeug_release_it_was_written_for() -> None:
    # The lock pins werkzeug; another release is left unpatched (moto's builder), never guessed at
    assert wsgi_requests.werkzeug_version() == wsgi_requests.WERKZEUG_VERSION
    assert any(p.obj is _request_class() and p.name == "from_primitives" for p in moto_patches.REGISTRY.patches())


def test_another_werkzeug_release_is_not_patched(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wsgi_requests, "werkzeug_version", lambda: "3.2.0")
    assert wsgi_requests.patches() == []
