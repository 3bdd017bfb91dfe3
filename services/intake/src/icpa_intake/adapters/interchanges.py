"""The documents bucket's `interchanges/<interchange_id>/`: the accepted original and one part
per claim (domain.x12.parts), and the claims workflow's executions started for them."""

from __future__ import annotations

import json
from typing import Any

from icpa_intake.domain.x12.parts import original_key, part_key
from icpa_shared.adapters.aws import LazyClient, error_code, raise_if_transient
from icpa_shared.contracts import SourceObject


class S3InterchangeStore:
    _s3 = LazyClient("s3")

    def __init__(self, bucket: str, s3: Any = None) -> None:
        self.bucket = bucket
        self._client = s3

    def keep_original(self, source: SourceObject, interchange_id: str) -> str:
        copy_source: dict[str, str] = {"Bucket": source.bucket, "Key": source.key}
        if source.version_id:
            copy_source["VersionId"] = source.version_id
        key = original_key(interchange_id)
        try:
            # Server-side copy: the inbox may expire uploads; the interchange answers (835) need it.
            self._s3.copy_object(Bucket=self.bucket, Key=key, CopySource=copy_source, MetadataDirective="COPY")
        except Exception as exc:
            raise_if_transient(exc, "interchanges.keep_original")
            raise
        return f"s3://{self.bucket}/{key}"

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
