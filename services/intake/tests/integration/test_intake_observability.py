"""Trace annotations and EMF metrics: ids, formats and outcomes, never PHI."""

from __future__ import annotations

import json
from typing import Any

import pytest
from intake_testkit import EXECUTION_ID, LAMBDA_CONTEXT, World, fixture_bytes, fixture_json, step_for

from icpa_intake.adapters.metrics import EmfMetrics, NoMetrics, intake_metrics
from icpa_intake.handlers.intake import handle
from icpa_intake.handlers.intake import handler as intake_handler
from icpa_intake.handlers.quarantine import handle as quarantine
from icpa_shared.contracts import StepError
from icpa_shared.observability import tracing


@pytest.fixture(autouse=True)
def fresh_annotations() -> None:
    tracing.recent_annotations.clear()


def emf_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith('{"_aws"')]


def test_an_accepted_claim_is_annotated_with_its_id_and_format(world: World) -> None:
    world.sources.add("claims/f.json", fixture_bytes("fhir_claim_contained.json"))

    handle(step_for("claims/f.json"), world.intake_deps())

    assert ("intake", "claim_id", "CLM-F0001") in tracing.recent_annotations
    assert ("intake", "source_format", "fhir") in tracing.recent_annotations


def test_a_quarantined_claim_is_annotated_with_its_outcome(world: World) -> None:
    world.sources.add("claims/a.json", fixture_bytes("icpa_claim.json"))

    quarantine(step_for("claims/a.json", error=StepError(error="States.Timeout")), world.quarantine_deps())

    assert ("intake", "outcome", "ERROR") in tracing.recent_annotations


def test_metrics_are_off_without_a_namespace() -> None:
    assert isinstance(intake_metrics("intake", None), NoMetrics)
    assert isinstance(intake_metrics("intake", "ICPA"), EmfMetrics)


def test_the_lambda_emits_accepted_and_invalid_counts_as_emf(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given metrics on, one valid and one invalid upload
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "ICPA")
    valid = fixture_json("icpa_claim.json")
    invalid = {**valid, "claim_id": "CLM-BAD", "policy_id": "POL-NOPE999"}
    events = []
    for key, body in (("claims/ok.json", valid), ("claims/bad.json", invalid)):
        aws["s3"].put_object(Bucket="icpa-inbox", Key=key, Body=json.dumps(body).encode())
        source = {"bucket": "icpa-inbox", "key": key}
        events.append({"state": {"schema_version": "1.0", "source": source}, "execution_id": EXECUTION_ID})

    # When Intake runs on both
    intake_handler(events[0], LAMBDA_CONTEXT)
    with pytest.raises(Exception, match="UNKNOWN_POLICY"):
        intake_handler(events[1], LAMBDA_CONTEXT)

    # Then one EMF document each: ClaimsAccepted (by format), then ClaimsInvalid
    accepted, rejected = emf_lines(capsys.readouterr().out)
    assert (accepted["ClaimsAccepted"], accepted["source_format"], accepted["service"]) == ([1.0], "icpa", "intake")
    assert rejected["ClaimsInvalid"] == [1.0]
    # every file counts as received, accepted or not (the dashboard's intake volume)
    assert accepted["ClaimsReceived"] == rejected["ClaimsReceived"] == [1.0]
    assert "MBR000001" not in json.dumps([accepted, rejected])
