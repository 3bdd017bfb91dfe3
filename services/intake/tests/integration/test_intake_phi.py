"""PHI (names, birth dates, addresses, member ids) never reaches a log line or an error message."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from intake_testkit import EXECUTION_ID, FIXTURE_PHI, LAMBDA_CONTEXT, World, fixture_bytes, fixture_json, step_for

from icpa_intake import __version__
from icpa_intake.handlers.intake import handle
from icpa_intake.handlers.intake import handler as intake_handler
from icpa_intake.handlers.quarantine import handler as quarantine_handler
from icpa_shared.errors import InvalidClaimError
from icpa_shared.observability.logging import configure_logging

MEMBER_IDS = ("MBR000001", "MBR000002", "MBR000009", "SUB000001")


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(service="intake", version=__version__, stream=stream)
    yield stream
    configure_logging(service="intake", version=__version__)


def assert_no_phi(text: str) -> None:
    for value in (*FIXTURE_PHI, *MEMBER_IDS):
        assert value not in text


def test_a_rejected_claim_leaves_no_phi_in_logs_or_in_the_error(aws: dict[str, Any], log_lines: io.StringIO) -> None:
    # Given a claim full of PHI, with an unknown member and a bad birth date
    body = fixture_json("icpa_claim.json")
    body["member_id"] = "MBR000009"
    body["patient"]["birth_date"] = "1971-11-33"
    aws["s3"].put_object(Bucket="icpa-inbox", Key="claims/phi.json", Body=json.dumps(body).encode())
    event: dict[str, Any] = {
        "state": {"schema_version": "1.0", "source": {"bucket": "icpa-inbox", "key": "claims/phi.json"}},
        "execution_id": EXECUTION_ID,
    }

    # When Intake rejects it and the quarantine step files it
    with pytest.raises(InvalidClaimError) as caught:
        intake_handler(event, LAMBDA_CONTEXT)
    event["state"]["error"] = {
        "Error": "InvalidClaimError",
        "Cause": json.dumps({"errorMessage": str(caught.value), "errorType": "InvalidClaimError"}),
    }
    quarantine_handler(event, LAMBDA_CONTEXT)

    # Then neither the error nor any log line carries the PHI
    assert set(caught.value.reasons) == {"SCHEMA_VIOLATION", "UNKNOWN_MEMBER"}
    assert_no_phi(str(caught.value))
    logged = log_lines.getvalue()
    assert "step.failed" in logged and "claim.quarantined" in logged
    assert_no_phi(logged)
    assert "1971-11-33" not in logged


def test_an_accepted_claim_logs_ids_and_counts_only(world: World, log_lines: io.StringIO) -> None:
    world.sources.add("claims/a.json", fixture_bytes("icpa_claim.json"))

    handle(step_for("claims/a.json"), world.intake_deps())

    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    accepted = next(line for line in lines if line["event"] == "claim.accepted")
    assert accepted["claim_id"] == "CLM-I0001" and accepted["line_count"] == 2
    assert_no_phi(log_lines.getvalue())
