"""Claim documents (S3) and claim records (the claims table), shared by every service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import ValidationError

from icpa_shared.adapters.aws import LazyClient, error_code, raise_typed
from icpa_shared.adapters.items import string_attribute, to_attributes
from icpa_shared.contracts.claim import Claim, ClaimDocument
from icpa_shared.contracts.workflow import ClaimRecord
from icpa_shared.errors import ClaimNotFoundError, ContractViolationError

if TYPE_CHECKING:
    from types_boto3_dynamodb.client import DynamoDBClient
    from types_boto3_s3.client import S3Client


def split_s3_uri(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


class S3ClaimDocuments:
    """Normalized claims as JSON objects in the documents bucket (SSE-KMS on AWS)."""

    _s3: LazyClient[S3Client] = LazyClient("s3")

    def __init__(self, bucket: str, s3: S3Client | None = None) -> None:
        self.bucket = bucket
        self._client = s3

    def uri_for(self, claim_id: str) -> str:
        return f"s3://{self.bucket}/claims/{claim_id}.json"

    def put(self, claim: Claim) -> str:
        uri = self.uri_for(claim.claim_id)
        bucket, key = split_s3_uri(uri)
        try:
            self._s3.put_object(
                Bucket=bucket,
                Key=key,
                Body=claim.model_dump_json().encode(),
                ContentType="application/json",
            )
        except Exception as exc:
            raise_typed(exc, "claims.put")
            raise
        return uri

    def get(self, uri: str) -> ClaimDocument:
        """The document at `uri`: the claim and (written since Intake 1.2.0) its policy snapshot."""
        bucket, key = split_s3_uri(uri)
        try:
            body = self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception as exc:
            if error_code(exc) in ("NoSuchKey", "404"):
                raise ClaimNotFoundError(f"no claim document at {uri}") from exc
            raise_typed(exc, "claims.get")
            raise
        try:
            return ClaimDocument.model_validate_json(body)
        except ValidationError as exc:
            # A document that breaks the contract (an altered policy snapshot, say) is a data
            # bug, not a retryable failure. The count only: the error's text quotes the claim.
            raise ContractViolationError(
                f"the claim document at {uri} violates the ClaimDocument contract: {exc.error_count()} error(s)"
            ) from None


class DynamoClaimRecords:
    """The claims table. pk `claim_id`; the decision projection is stored as `record` (JSON)
    next to top-level attributes for indexes (member/provider by service date) and queries."""

    _ddb: LazyClient[DynamoDBClient] = LazyClient("dynamodb")

    def __init__(self, table: str, dynamodb: DynamoDBClient | None = None) -> None:
        self.table = table
        self._client = dynamodb

    def put_record(self, record: ClaimRecord) -> None:
        try:
            self._ddb.update_item(
                TableName=self.table,
                Key=to_attributes({"claim_id": record.claim_id}),
                UpdateExpression="SET #r = :r, outcome = :o, updated_at = :u",
                ExpressionAttributeNames={"#r": "record"},
                ExpressionAttributeValues=to_attributes(
                    {":r": record.model_dump_json(), ":o": record.outcome.value, ":u": record.updated_at.isoformat()}
                ),
            )
        except Exception as exc:
            raise_typed(exc, "claims.put_record")
            raise

    def get_record(self, claim_id: str) -> ClaimRecord | None:
        try:
            item = self._ddb.get_item(
                TableName=self.table, Key=to_attributes({"claim_id": claim_id}), ConsistentRead=True
            ).get("Item")
        except Exception as exc:
            raise_typed(exc, "claims.get_record")
            raise
        raw = string_attribute(item or {}, "record")
        return None if raw is None else ClaimRecord.model_validate_json(raw)
