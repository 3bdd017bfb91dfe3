"""The archive bucket (WORM: Object Lock COMPLIANCE, versioned, SSE-KMS by bucket default).

The archiver may only PutObject there: re-archiving an execution writes a new version under
the same key. Object Lock requires an integrity checksum on every put, so one is always sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from icpa_audit.domain.models import ARCHIVE_SUFFIX, ArchiveDocument, claim_prefix, decode_archive, encode_archive
from icpa_audit.domain.ports import UnreadableArchiveError
from icpa_shared.adapters.aws import LazyClient, error_code, raise_if_transient

if TYPE_CHECKING:
    from types_boto3_s3.client import S3Client


class _Bucket:
    _s3: LazyClient[S3Client] = LazyClient("s3")

    def __init__(self, bucket: str, s3: S3Client | None = None, region: str | None = None) -> None:
        self._bucket = bucket
        self._client = s3
        self._region = region

    @property
    def bucket(self) -> str:
        return self._bucket


class S3ArchiveWriter(_Bucket):
    def put(self, key: str, document: ArchiveDocument) -> None:
        try:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=encode_archive(document),
                ContentType="application/json",
                ContentEncoding="gzip",
                ChecksumAlgorithm="SHA256",
            )
        except Exception as exc:
            raise_if_transient(exc, "archive.put")
            raise


class S3ArchiveReader(_Bucket):
    def keys(self, claim_id: str) -> list[str]:
        keys: list[str] = []
        prefix = claim_prefix(claim_id)
        try:
            for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix):
                keys.extend(
                    obj["Key"]
                    for obj in page.get("Contents", [])
                    if obj["Key"].endswith(ARCHIVE_SUFFIX) and "/" not in obj["Key"][len(prefix) :]
                )
        except Exception as exc:
            raise_if_transient(exc, "archive.list")
            raise
        return keys

    def read(self, key: str) -> ArchiveDocument:
        try:
            body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except Exception as exc:
            code = error_code(exc)
            if code == "NoSuchKey":
                raise UnreadableArchiveError(key, "the archived object is gone") from exc
            if code == "InvalidObjectState":
                raise UnreadableArchiveError(key, "in Glacier: restore the object before reading it") from exc
            raise_if_transient(exc, "archive.get")
            raise
        try:
            return decode_archive(body)
        except ValueError as exc:
            raise UnreadableArchiveError(key, f"not a readable archive document ({_short(exc)})") from exc


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
