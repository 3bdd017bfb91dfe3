"""Any key S3 accepts starts the workflow and is decided under that exact key: spaces, '+', '%',
quotes, backslashes, unicode, names up to S3's 1024 bytes. The EventBridge "Object Created"
event carries the key as stored (unlike S3's own SNS/SQS/Lambda notifications, which
form-encode it: `my+claim.json`), and moto 5.2.5 sends it the same way, so nothing decodes it."""

from __future__ import annotations

import re

import pytest

from icpa_local import moto_patches
from icpa_local.cloud import LocalCloud

from .conftest import sample

ODD_KEYS = {
    "space": "claims/my claim.json",
    "plus": "claims/my+claim.json",
    "percent": "claims/100% sure %20 %zz.json",
    "quote-backslash": 'claims/odd "name" \\ back.json',
    "unicode": "claims/réclamation 请求 🦷.json",
    "long": "claims/" + "ü" * 504 + ".json",  # 7 + 1008 + 5 = 1020 bytes of UTF-8
}
EXECUTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


@pytest.mark.parametrize("key", list(ODD_KEYS.values()), ids=list(ODD_KEYS))
def test_a_valid_claim_under_any_s3_key_is_decided_and_recorded(cloud: LocalCloud, key: str) -> None:
    # Given a valid claim uploaded under an unusual key
    assert len(key.encode()) <= 1024

    # When the rule starts the workflow for it
    arn = cloud.upload(sample("approve-office-visit.json"), key)
    result = cloud.follow(arn, "odd")

    # Then it is decided like any other, and the record names the object exactly
    assert (result.status, result.outcome) == ("SUCCEEDED", "APPROVED"), result.reasons
    record = cloud.claim_record(result.claim_id or "")
    assert record is not None and record["source_uri"] == f"s3://{cloud.names.inbox_bucket}/{key}"
    assert EXECUTION_NAME.match(arn.rsplit(":", 1)[-1])


@pytest.mark.parametrize("key", list(ODD_KEYS.values()), ids=list(ODD_KEYS))
def test_an_invalid_claim_under_any_s3_key_is_quarantined_not_errored(cloud: LocalCloud, key: str) -> None:
    arn = cloud.upload(sample("rejected-invalid-codes.json"), key)
    result = cloud.follow(arn, "odd")

    assert (result.status, result.outcome) == ("SUCCEEDED", "REJECTED"), result.reasons
    original = cloud.client("s3").get_object(Bucket=cloud.names.quarantine_bucket, Key=f"{result.claim_id}/original")
    assert original["Body"].read() == sample("rejected-invalid-codes.json")


@pytest.mark.parametrize("key", [*ODD_KEYS.values(), "claims/.json", "claims/" + "-" * 900 + ".json"])
def test_execution_names_for_odd_keys_are_valid_step_functions_names(key: str) -> None:
    name = moto_patches.execution_name_for({"detail": {"object": {"key": key}}})

    assert EXECUTION_NAME.match(name), name
