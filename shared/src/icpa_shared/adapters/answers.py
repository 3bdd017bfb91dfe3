"""Payer answers in the documents bucket, next to the normalized claim (`claims/<id>.json`):
`answers/<claim_id>/claim-response.json` (FHIR R4) and `answers/<claim_id>/remittance.835`
(X12, for 837 claims). Their own prefix, so RecordDecision's grant writes answers and nothing else."""

from __future__ import annotations

from typing import Any

from icpa_shared.adapters.aws import LazyClient, error_code, raise_typed
from icpa_shared.payer.answers import PayerAnswers

CLAIM_RESPONSE = "claim-response.json"
REMITTANCE = "remittance.835"


def answer_key(claim_id: str, name: str) -> str:
    return f"answers/{claim_id}/{name}"


class S3PayerAnswers:
    _s3 = LazyClient("s3")

    def __init__(self, bucket: str, s3: Any = None) -> None:
        self.bucket = bucket
        self._client = s3

    def put(self, answers: PayerAnswers) -> list[str]:
        """Writes (or, on a retry, rewrites) the answers; their URIs."""
        documents = [(CLAIM_RESPONSE, answers.claim_response_json(), "application/fhir+json")]
        if answers.remittance is not None:
            documents.append((REMITTANCE, answers.remittance.encode("ascii"), "application/edi-x12"))
        uris = []
        for name, body, content_type in documents:
            key = answer_key(answers.claim_id, name)
            try:
                self._s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)
            except Exception as exc:
                raise_typed(exc, "answers.put")
                raise
            uris.append(f"s3://{self.bucket}/{key}")
        return uris

    def get(self, claim_id: str, name: str) -> bytes | None:
        """One answer's bytes, None when the claim has none (not decided, or not X12)."""
        try:
            return bytes(self._s3.get_object(Bucket=self.bucket, Key=answer_key(claim_id, name))["Body"].read())
        except Exception as exc:
            if error_code(exc) in ("NoSuchKey", "404"):
                return None
            raise_typed(exc, "answers.get")
            raise
