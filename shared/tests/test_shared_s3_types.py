"""S3 URIs and source objects accept every key S3 accepts and refuse buckets S3 refuses."""

from __future__ import annotations

import contextlib
import time

import pytest
from pydantic import TypeAdapter, ValidationError

from icpa_shared.contracts import SourceObject
from icpa_shared.contracts.types import S3Uri

URI = TypeAdapter(S3Uri)
KEYS = [
    "claims/my claim.json",
    "claims/my+claim.json",
    "claims/100% %20 %zz.json",
    'claims/"quoted" \\ name.json',
    "claims/réclamation 请求 🦷.json",
    "claims/ tabs\tand\nnewlines ",
    "claims/" + "ü" * 508 + "x",  # 1024 bytes
    "k",
]
BAD_BUCKETS = [
    "ab",
    "a" * 64,
    "Upper-case",
    "-dash-first",
    "dot-last.",
    "two..dots",
    "192.168.5.4",
    "xn--punycode",
    "sthree-bucket",
    "amzn-s3-demo-bucket",
    "my-bucket-s3alias",
    "my-bucket--ol-s3",
    "my.mrap",
    "my-bucket--x-s3",
    "my-bucket--table-s3",
    "under_score",
]


@pytest.mark.parametrize("key", KEYS)
def test_every_key_s3_accepts_is_a_valid_uri_and_source(key: str) -> None:
    assert URI.validate_python(f"s3://icpa-inbox/{key}") == f"s3://icpa-inbox/{key}"
    source = SourceObject(bucket="icpa-inbox", key=key)
    assert source.key == key and source.uri == f"s3://icpa-inbox/{key}"


@pytest.mark.parametrize("key", ["", "x" * 1025, "ü" * 513, "bad \udc80 surrogate"])
def test_keys_s3_refuses_are_refused(key: str) -> None:
    with pytest.raises(ValidationError):
        URI.validate_python(f"s3://icpa-inbox/{key}")
    with pytest.raises(ValidationError):
        SourceObject(bucket="icpa-inbox", key=key)


@pytest.mark.parametrize("bucket", BAD_BUCKETS)
def test_bucket_names_s3_refuses_are_refused(bucket: str) -> None:
    with pytest.raises(ValidationError):
        URI.validate_python(f"s3://{bucket}/claims/a.json")
    with pytest.raises(ValidationError):
        SourceObject(bucket=bucket, key="claims/a.json")


@pytest.mark.parametrize(
    "uri", ["icpa-inbox/claims/a.json", "s3://icpa-inbox", "s3:///claims/a.json", "S3://icpa-inbox/a"]
)
def test_what_is_no_s3_uri_is_refused(uri: str) -> None:
    with pytest.raises(ValidationError):
        URI.validate_python(uri)


def test_validation_stays_linear_on_the_longest_keys() -> None:
    worst = ["s3://icpa-inbox/" + " " * 1024, "s3://" + "a" * 5000 + "/" + "x" * 1024, "s3://a." * 2000]
    started = time.perf_counter()
    for uri in worst * 200:
        with contextlib.suppress(ValidationError):
            URI.validate_python(uri)
    assert time.perf_counter() - started < 1.0
