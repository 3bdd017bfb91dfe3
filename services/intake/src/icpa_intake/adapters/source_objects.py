"""The inbox object a workflow was started for (S3)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from icpa_intake.domain import reasons as intake_reasons
from icpa_intake.domain.ports import SourceBlob
from icpa_shared.adapters.aws import LazyClient, error_code, raise_typed
from icpa_shared.contracts import SourceObject
from icpa_shared.errors import ClaimNotFoundError

if TYPE_CHECKING:
    from types_boto3_s3.client import S3Client

_MISSING = frozenset({"NoSuchKey", "NoSuchVersion", "NoSuchBucket", "404"})
_CHANGED = frozenset({"PreconditionFailed", "412"})


class S3SourceObjects:
    _s3: LazyClient[S3Client] = LazyClient("s3")

    def __init__(self, s3: S3Client | None = None) -> None:
        self._client = s3

    def read(self, source: SourceObject, *, max_bytes: int) -> SourceBlob:
        """Reads the exact object the event announced: its version when there is one, else the
        object only if its ETag still matches. At most `max_bytes + 1` bytes are read."""
        kwargs: dict[str, Any] = {"Bucket": source.bucket, "Key": source.key}
        if source.version_id:
            kwargs["VersionId"] = source.version_id
        elif source.etag:
            kwargs["IfMatch"] = source.etag
        try:
            response = self._s3.get_object(**kwargs)
            size = int(response.get("ContentLength", 0))
            body = response["Body"]
            try:
                data = body.read(max_bytes + 1)
            finally:
                body.close()
        except Exception as exc:
            code = error_code(exc)
            if code in _MISSING:
                raise ClaimNotFoundError(
                    "the uploaded object is gone", reasons=[intake_reasons.SOURCE_NOT_FOUND]
                ) from exc
            if code in _CHANGED:
                raise ClaimNotFoundError(
                    "the object was replaced after the event", reasons=[intake_reasons.SOURCE_CHANGED]
                ) from exc
            raise_typed(exc, "source.read")
            raise
        return SourceBlob(data=data, size=max(size, len(data)))
