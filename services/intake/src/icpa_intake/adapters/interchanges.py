"""The documents bucket's `interchanges/<interchange_id>/`: the accepted original and one part
per claim (domain.x12.parts), and the claims workflow's executions started for them."""

from __future__ import annotations

import json
from typing import Any

from icpa_intake.domain.ports import DuplicateInterchangeError
from icpa_intake.domain.x12.parts import original_key, part_key
from icpa_shared.adapters.aws import LazyClient, error_code, raise_if_transient
from icpa_shared.contracts import SourceObject

# PreconditionFailed: the key exists. ConditionalRequestConflict (409) is a concurrent put of the
# same key: S3 asks to retry, and the retry then sees the key.
_ALREADY_THERE = frozenset({"PreconditionFailed", "412"})


class S3InterchangeStore:
    _s3 = LazyClient("s3")

    def __init__(self, bucket: str, s3: Any = None) -> None:
        self.bucket = bucket
        self._client = s3

    def keep_original(self, interchange_id: str, data: bytes, digest: str) -> str:
        """A conditional put (If-None-Match: *): the first interchange with this id is kept;
        the inbox may expire uploads, the answers to it (835, 999) need it."""
        key = original_key(interchange_id)
        try:
            self._s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                IfNoneMatch="*",
                Metadata={"sha256": digest},
                ContentType="application/edi-x12",
            )
        except Exception as exc:
            if error_code(exc) not in _ALREADY_THERE:
                raise_if_transient(exc, "interchanges.keep_original")
                raise
            kept = self._kept_digest(key)
            if kept != digest:
                raise DuplicateInterchangeError(interchange_id) from None
        return f"s3://{self.bucket}/{key}"

    def _kept_digest(self, key: str) -> str | None:
        try:
            head = self._s3.head_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            raise_if_transient(exc, "interchanges.keep_original")
            raise
        digest = head.get("Metadata", {}).get("sha256")
        return str(digest) if digest is not None else None

    def put_part(self, interchange_id: str, position: int, document: dict[str, Any]) -> SourceObject:
        key = part_key(interchange_id, position)
        try:
            self._s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=json.dumps(document, sort_keys=True).encode(),
                ContentType="application/json",
            )
        except Exception as exc:
            raise_if_transient(exc, "interchanges.put_part")
            raise
        # No ETag or version in the execution's input: a retried split rewrites the same bytes
        # (SSE-KMS ETags are not content hashes), and the execution reads the part as it is.
        return SourceObject(bucket=self.bucket, key=key)


class StepFunctionsExecutions:
    """StartExecution on the claims workflow, named after the claim: Step Functions refuses a
    second execution of a name (ExecutionAlreadyExists, or the same execution back while it
    runs with the same input), which makes the split idempotent per claim."""

    _sfn = LazyClient("stepfunctions")

    def __init__(self, state_machine_arn: str, sfn: Any = None) -> None:
        self.state_machine_arn = state_machine_arn
        self._client = sfn

    def start(self, name: str, state: dict[str, Any]) -> bool:
        try:
            self._sfn.start_execution(stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(state))
        except Exception as exc:
            if error_code(exc) == "ExecutionAlreadyExists":
                return False
            raise_if_transient(exc, "executions.start")
            raise
        return True
