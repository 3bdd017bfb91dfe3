"""The X12 adapters for real: pyx12 on the public and edited samples (reasons, the 999), and
the interchange store and executions against moto (conditional put, names started once)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from icpa_intake.adapters.interchanges import S3InterchangeStore, StepFunctionsExecutions
from icpa_intake.adapters.x12_validator import Pyx12Validator
from icpa_intake.domain.ports import DuplicateInterchangeError

DATA = Path(__file__).parents[1] / "data" / "x12"


@pytest.fixture(scope="module")
def validator() -> Pyx12Validator:
    return Pyx12Validator()


@pytest.mark.parametrize(
    "name", ["edited/837p-four-claims.837", "edited/837i-institutional.837i", "linuxforhealth/demo.example1.837"]
)
def test_guide_valid_files_pass_and_get_an_accepting_999(validator: Pyx12Validator, name: str) -> None:
    result = validator.validate((DATA / name).read_text())

    assert result.problems == []
    assert "IK5*A" in result.acknowledgement and "AK9*A" in result.acknowledgement


def test_the_999_echoes_the_errata_version_the_sender_used(validator: Pyx12Validator) -> None:
    ack = validator.validate((DATA / "edited" / "837p-four-claims.837").read_text()).acknowledgement
    assert "AK2*837*0021*005010X222A2" in ack  # checked against the X222A1 map, answered as sent


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("edited/broken-missing-claim-charge.837", {("X12_REQUIRED_ELEMENT_MISSING", "ST0021.36.CLM.CLM02")}),
        (
            "linuxforhealth/institutional-claim.837i",
            {
                ("X12_EXCLUSION_VIOLATED", "ST987654.20.CLM.CLM06"),
                ("X12_INVALID_CODE_VALUE", "ST987654.10.N4.N403"),
                ("X12_INVALID_CODE_VALUE", "ST987654.21.DTP.DTP02"),
            },
        ),
    ],
)
def test_guide_errors_are_reason_codes_at_segment_and_element(
    validator: Pyx12Validator, name: str, expected: set[tuple[str, str]]
) -> None:
    result = validator.validate((DATA / name).read_text())

    assert {(p.code, p.location) for p in result.problems} == expected
    assert "IK5*R" in result.acknowledgement


def test_imsweb_broken_samples_are_named_by_element(validator: Pyx12Validator) -> None:
    problems = validator.validate((DATA / "imsweb" / "x12_missing_elements.txt").read_text()).problems
    assert any(p.code == "X12_REQUIRED_ELEMENT_MISSING" for p in problems)
    assert all(p.location.startswith(("ST987654", "GS", "ISA")) for p in problems)


def test_text_that_is_no_interchange_is_an_envelope_error_not_a_crash(validator: Pyx12Validator) -> None:
    result = validator.validate("hello")
    assert [p.code for p in result.problems] == ["X12_ENVELOPE_ERROR"]


def test_the_original_is_kept_once_and_a_reused_isa13_is_a_duplicate(aws: dict[str, Any]) -> None:
    store = S3InterchangeStore("icpa-documents", aws["s3"])

    uri = store.keep_original("X12-abc", b"ISA*first", "d1")
    assert store.keep_original("X12-abc", b"ISA*first", "d1") == uri  # a retry: fine
    with pytest.raises(DuplicateInterchangeError):
        store.keep_original("X12-abc", b"ISA*other", "d2")
    kept = aws["s3"].get_object(Bucket="icpa-documents", Key="interchanges/X12-abc/original.x12")
    assert kept["Body"].read() == b"ISA*first" and kept["Metadata"] == {"sha256": "d1"}


def test_a_part_is_json_under_the_interchange_and_named_without_etag(aws: dict[str, Any]) -> None:
    store = S3InterchangeStore("icpa-documents", aws["s3"])

    source = store.put_part("X12-abc", 7, {"claim_id": "X12-abc-0007"})

    assert (source.bucket, source.key, source.etag) == ("icpa-documents", "interchanges/X12-abc/0007.json", None)
    body = aws["s3"].get_object(Bucket="icpa-documents", Key=source.key)["Body"].read()
    assert json.loads(body) == {"claim_id": "X12-abc-0007"}


def test_an_execution_name_runs_once(aws: dict[str, Any]) -> None:
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    arn = sfn.create_state_machine(
        name="icpa-claims-workflow-dev",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        roleArn="arn:aws:iam::123456789012:role/states",
    )["stateMachineArn"]
    executions = StepFunctionsExecutions(arn, sfn)

    assert executions.start("X12-abc-0001", {"schema_version": "1.0"}) is True
    # Running with the same input: Step Functions answers with the same execution.
    assert executions.start("X12-abc-0001", {"schema_version": "1.0"}) is True
    sfn.stop_execution(executionArn=f"{arn.replace(':stateMachine:', ':execution:')}:X12-abc-0001")
    # Closed (or another input): Step Functions refuses the name, nothing runs twice.
    assert executions.start("X12-abc-0001", {"schema_version": "1.0"}) is False
    assert executions.start("X12-abc-0001", {"schema_version": "1.0", "other": 1}) is False
    assert [e["name"] for e in sfn.list_executions(stateMachineArn=arn)["executions"]] == ["X12-abc-0001"]
