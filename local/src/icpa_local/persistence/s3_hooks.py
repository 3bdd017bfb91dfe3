"""S3 into the journal: every object version after `S3Backend.put_object` (copy and multipart
completion go through it), its metadata after `FakeKey.set_metadata`, the key's versions after
`delete_object` (delete markers included). The object is journaled BEFORE its event
notification is sent, and marked notified after, so an upload whose notification a crash cut
short is notified again at restore instead of being lost."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from icpa_local.moto_patches.registry import Patch, moto_module
from icpa_local.persistence.active import active_journal
from icpa_local.persistence.codec import iso
from icpa_local.persistence.schema import ObjectRow


def object_row(bucket: Any, key: Any, *, notified: bool) -> ObjectRow:
    from moto.s3.models import FakeDeleteMarker

    if isinstance(key, FakeDeleteMarker):
        return ObjectRow(
            bucket.name,
            key.name,
            str(key.version_id),
            "delete_marker",
            None,
            None,
            {},
            iso(key.last_modified) or "",
            bucket.is_versioned,
            True,
        )
    return ObjectRow(
        bucket=bucket.name,
        key=key.name,
        version_id=str(key.version_id),
        kind="object",
        body=key.value,
        etag=key.etag.strip('"'),
        metadata={str(k): str(v) for k, v in dict(key.metadata).items()},
        last_modified=iso(key.last_modified) or "",
        versioned=bool(bucket.is_versioned),
        notified=notified,
    )


def _wrap_put_object(original: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(original)

    def put_object(self: Any, *args: Any, **kwargs: Any) -> Any:
        journal = active_journal()
        if journal is None:
            return original(self, *args, **kwargs)
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        notify = not bound.arguments["disable_notification"]
        bound.arguments["disable_notification"] = True
        # Journal first, notify after: the object is safe before any workflow hears of it.
        with journal.write_lock:
            key = original(*bound.args, **bound.kwargs)
            bucket = self.get_bucket(bound.arguments["bucket_name"])
            journal.put_object(object_row(bucket, key, notified=not notify))
        if notify:
            send_created_event(self, bucket, key, bound.arguments["request_method"])
            journal.mark_notified(bucket.name, key.name, str(key.version_id))
        return key

    return put_object


def send_created_event(backend: Any, bucket: Any, key: Any, request_method: str | None = "PUT") -> None:
    """What moto's put_object sends after storing an object (moto 5.2.5, s3/models.py)."""
    from moto.s3 import notifications

    event = (
        notifications.S3NotificationEvent.OBJECT_CREATED_POST_EVENT
        if request_method == "POST"
        else notifications.S3NotificationEvent.OBJECT_CREATED_PUT_EVENT
    )
    notifications.send_event(backend.account_id, event, bucket, key)


def _wrap_delete_object(original: Callable[..., Any]) -> Callable[..., Any]:
    def delete_object(self: Any, bucket_name: str, key_name: str, *args: Any, **kwargs: Any) -> Any:
        journal = active_journal()
        if journal is None:
            return original(self, bucket_name, key_name, *args, **kwargs)
        with journal.write_lock:
            result = original(self, bucket_name, key_name, *args, **kwargs)
            bucket = self.get_bucket(bucket_name)
            versions = list(bucket.keys.getlist(key_name, []) or [])
            journal.keep_versions(bucket_name, key_name, [str(v.version_id) for v in versions])
            from moto.s3.models import FakeDeleteMarker

            for version in versions:
                if isinstance(version, FakeDeleteMarker):
                    journal.put_object(object_row(bucket, version, notified=True))
        return result

    return delete_object


def _wrap_delete_bucket(original: Callable[..., Any]) -> Callable[..., Any]:
    def delete_bucket(self: Any, bucket_name: str) -> Any:
        result = original(self, bucket_name)
        journal = active_journal()
        if journal is not None and result is not None:
            journal.drop_bucket(bucket_name)
        return result

    return delete_bucket


def _wrap_set_metadata(original: Callable[..., Any]) -> Callable[..., Any]:
    def set_metadata(self: Any, metadata: Any, replace: bool = False) -> None:
        original(self, metadata, replace)
        journal = active_journal()
        if journal is not None and getattr(self, "bucket_name", None):
            meta = {str(k): str(v) for k, v in dict(self.metadata).items()}
            journal.set_object_metadata(self.bucket_name, self.name, str(self.version_id), meta)

    return set_metadata


# DynamoDB ----------------------------------------------------------------------------------------


def patches() -> list[Patch]:
    s3_models = moto_module("moto.s3.models")
    return [
        Patch.around(s3_models.S3Backend, "put_object", _wrap_put_object),
        Patch.around(s3_models.S3Backend, "delete_object", _wrap_delete_object),
        Patch.around(s3_models.S3Backend, "delete_bucket", _wrap_delete_bucket),
        Patch.around(s3_models.FakeKey, "set_metadata", _wrap_set_metadata),
    ]
