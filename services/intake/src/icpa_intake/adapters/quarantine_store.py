"""The quarantine bucket: `<claim_id>/original` (a byte-for-byte copy) and `<claim_id>/reason.json`;
for a rejected X12 interchange also `<claim_id>/ack.999` (the 999 acknowledgement)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from icpa_intake.domain.ports import OriginalCopy
from icpa_shared.adapters.aws import LazyClient, error_code, raise_typed
from icpa_shared.contracts import SourceObject

if TYPE_CHECKING:
    from types_boto3_s3.client import S3Client
    from types_boto3_s3.type_defs import CopySourceTypeDef

_MISSING = frozenset({"NoSuchKey", "NoSuchVersion", "404"})
_REPLACED = frozenset({"PreconditionFailed", "412"})


class S3QuarantineStore:
    _s3: LazyClient[S3Client] = LazyClient("s3")

    def __init__(self, bucket: str, s3: S3Client | None = None) -> None:
        self.bucket = bucket
        self._client = s3

    def prefix_uri(self, claim_id: str) -> str:
        return f"s3://{self.bucket}/{claim_id}/"

    def keep_original(self, source: SourceObject, claim_id: str) -> OriginalCopy:
        copy_source: CopySourceTypeDef = {"Bucket": source.bucket, "Key": source.key}
        extra: dict[str, Any] = {}
        if source.version_id:
            copy_source["VersionId"] = source.version_id
        elif source.etag:
            extra["CopySourceIfMatch"] = source.etag  # the announced bytes, not a newer upload
        key = f"{claim_id}/original"
        try:
            # Server-side copy: any size up to 5 GB, bytes never pass through the function.
            self._s3.copy_object(Bucket=self.bucket, Key=key, CopySource=copy_source, MetadataDirective="COPY", **extra)
        except Exception as exc:
            code = error_code(exc)
            if code in _MISSING:
                return OriginalCopy(status="MISSING")
            if code in _REPLACED:
                return OriginalCopy(status="REPLACED", detail=code)
            raise_typed(exc, "quarantine.keep_original")  # transient: the step is retried
            if not code:
                raise  # not an AWS answer at all (a bug): let the workflow see it
            # S3 said no for good (access, KMS, too large to copy): the original stays in the inbox.
            return OriginalCopy(status="NOT_COPIED", detail=code)
        return OriginalCopy(status="COPIED", uri=f"s3://{self.bucket}/{key}")

    def write_reason(self, claim_id: str, document: dict[str, Any]) -> str:
        key = f"{claim_id}/reason.json"
        try:
            self._s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=json.dumps(document, indent=2, sort_keys=True).encode(),
                ContentType="application/json",
            )
        except Exception as exc:
            raise_typed(exc, "quarantine.write_reason")
            raise
        return f"s3://{self.bucket}/{key}"

    def write_acknowledgement(self, claim_id: str, text: str) -> str:
        key = f"{claim_id}/ack.999"
        try:
            self._s3.put_object(Bucket=self.bucket, Key=key, Body=text.encode(), ContentType="application/edi-x12")
        except Exception as exc:
            raise_typed(exc, "quarantine.write_acknowledgement")
            raise
        return f"s3://{self.bucket}/{key}"
