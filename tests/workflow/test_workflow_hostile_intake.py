"""Hostile input through the whole workflow: each file ends REJECTED (never ERROR) with its
reason, the original kept in quarantine and the claim recorded; a hostile file does not hold
up the good claim uploaded behind it."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from icpa_local.cloud import LocalCloud

from .conftest import sample, sample_json

REJECTED_PATH = ["ChooseSourceKind", "Intake", "QuarantineClaim", "ChooseQuarantineOutcome", "ClaimRejected"]


def office_visit_text() -> str:
    return json.dumps(sample_json("approve-office-visit.json"))


def with_total(literal: str) -> bytes:
    return (
        office_visit_text()
        .replace('"total_charge": {"amount": "150.00"', f'"total_charge": {{"amount": {literal}', 1)
        .encode()
    )


def huge_claim_id() -> bytes:
    body = sample_json("approve-office-visit.json")
    body["claim_id"] = "a" * 200_000
    return json.dumps(body).encode()


def huge_unknown_keys() -> bytes:
    body: dict[str, Any] = sample_json("approve-office-visit.json")
    for n in range(25):
        body[f"k{n:02d}" + "x" * 20_000] = 1
    return json.dumps(body).encode()


def year_one() -> bytes:
    body = sample_json("approve-office-visit.json")
    body["service_date_from"] = "0001-01-01"
    body["lines"][0]["service_date"] = "0001-01-01"
    return json.dumps(body).encode()


def fhir_identifier_5() -> bytes:
    body = sample_json("fhir-approve-office-visit.json")
    body["identifier"] = 5
    return json.dumps(body).encode()


CASES = {
    "amount-1e308": (with_total("1e308"), "AMBIGUOUS_AMOUNT"),
    "amount-string-1e30": (with_total('"1e30"'), "AMBIGUOUS_AMOUNT"),
    "duplicate-key": (
        (office_visit_text()[:-1] + ', "total_charge": {"amount": "9999.00", "currency": "USD"}}').encode(),
        "DUPLICATE_JSON_KEY",
    ),
    "deep-nesting": (b"[" * 100_000, "NESTING_TOO_DEEP"),
    "year-one": (year_one(), "DATE_OUT_OF_RANGE"),
    "fhir-identifier-5": (fhir_identifier_5(), "SCHEMA_VIOLATION"),
    "huge-unknown-keys": (huge_unknown_keys(), "SCHEMA_VIOLATION"),
}


def quarantined_originals(cloud: LocalCloud) -> list[bytes]:
    s3 = cloud.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=cloud.names.quarantine_bucket).get("Contents", [])]
    bucket = cloud.names.quarantine_bucket
    return [s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys if k.endswith("/original")]


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_input_ends_rejected_with_its_reason_and_the_original_kept(cloud: LocalCloud, case: str) -> None:
    body, reason = CASES[case]
    result = cloud.process(body, f"claims/{case}.json")
    assert (result.status, result.outcome) == ("SUCCEEDED", "REJECTED"), result
    assert result.states == REJECTED_PATH
    assert reason in result.reasons
    assert quarantined_originals(cloud) == [body]
    record = cloud.claim_record(result.claim_id or "")
    assert record is not None and record["outcome"] == "REJECTED"


def test_a_huge_claim_id_does_not_hold_up_the_good_claim_behind_it(cloud: LocalCloud) -> None:
    # Given a file with a 200 KB claim id (it once took minutes per log line), then a good claim
    start = time.perf_counter()
    hostile = cloud.upload(huge_claim_id(), "claims/huge-id.json")
    good = cloud.upload(sample("approve-office-visit.json"), "claims/approve-office-visit.json")
    # Then the hostile one is rejected, the good one approved, both promptly
    hostile_result, good_result = cloud.follow(hostile, timeout=30), cloud.follow(good, timeout=30)
    assert (hostile_result.outcome, good_result.outcome) == ("REJECTED", "APPROVED")
    assert "STATES_TIMEOUT" not in hostile_result.reasons + good_result.reasons
    assert time.perf_counter() - start < 30
