"""No PHI (names, birth dates, addresses, member or subscriber ids) in signal evidence, the
model's input or log lines. (Fraud's own error messages name codes and ids only; the Bedrock
adapter's are checked in test_fraud_bedrock.py.)"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date

import pytest
from fraud_testkit import (
    PATIENT_BIRTH_DATE,
    PATIENT_NAME,
    WATCHLISTED_NPI,
    FakePolicies,
    RecordingModel,
    fraud_deps,
    on_file,
    step_for,
)

from icpa_fraud import __version__
from icpa_fraud.domain.summary import prompt
from icpa_fraud.handler import handle
from icpa_shared.contracts import Address, Claim, Patient
from icpa_shared.observability.logging import configure_logging
from icpa_shared.testing.builders import a_claim, a_line, a_policy, usd

PHI = (PATIENT_NAME, PATIENT_BIRTH_DATE, "77 Wisteria Terrace", "Oakhaven", "MBR000001", "SUB000001")


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(service="fraud", version=__version__, stream=stream)
    yield stream
    configure_logging(service="fraud", version=__version__)


def suspicious_claim_with_phi() -> Claim:
    patient = Patient(
        name=PATIENT_NAME,
        birth_date=date.fromisoformat(PATIENT_BIRTH_DATE),
        address=Address(line=["77 Wisteria Terrace"], city="Oakhaven"),
    )
    lines = [a_line(1, procedure_code="99215", charge=usd("2400.00")), a_line(2, procedure_code="99213")]
    return a_claim(patient=patient, provider_npi=WATCHLISTED_NPI, lines=lines)


def test_evidence_model_input_and_logs_carry_no_phi(log_lines: io.StringIO) -> None:
    # Given a claim with PHI that trips every kind of signal
    claim = suspicious_claim_with_phi()
    history = [
        on_file("CLM-0100", npi=WATCHLISTED_NPI, lines=[("99213", "150.00", date(2026, 3, 1))]),
        on_file("CLM-0101", npi=WATCHLISTED_NPI, lines=[("99213", "150.00", date(2026, 3, 3))]),
        *[on_file(f"CLM-02{n}", npi="1555012347", lines=[(f"8100{n}", "20.00", date(2026, 3, 1))]) for n in (1, 2)],
    ]
    model = RecordingModel()
    policies_ended = {"POL-GOLD001": a_policy(effective_to=date(2026, 2, 28))}

    # When it is assessed
    assessment = handle(step_for(claim), fraud_deps(claim, history, model=model, policies=FakePolicies(policies_ended)))

    # Then the signals fired, and none of the PHI is in the evidence, the model's input or the logs
    assert {"CHARGE_OUTLIER", "EXACT_DUPLICATE", "NEAR_DUPLICATE", "MEMBER_DAILY_FREQUENCY", "PROVIDER_WATCHLIST",
            "OUTSIDE_COVERAGE_DATES"} <= set(assessment.signal_codes)  # fmt: skip
    surfaces = {
        "assessment": assessment.model_dump_json(),
        "model input": prompt(model.seen[0]),
        "logs": log_lines.getvalue(),
    }
    assert "claim.fraud_scored" in surfaces["logs"]
    for where, text in surfaces.items():
        assert [value for value in PHI if value in text] == [], where
    # dates of service stay out of what leaves the service too
    assert "2026-03-01" not in surfaces["assessment"] and "2026-03-01" not in surfaces["model input"]
