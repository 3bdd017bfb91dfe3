"""The real Fraud Lambda on moto, wired from settings like in AWS: the claim document from S3,
history from the claims table's GSIs, the policy, the audit table."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from fraud_testkit import EXECUTION_ID, WATCHLISTED_NPI, index_of, on_file, put_on_file

from icpa_fraud.handler import handler
from icpa_shared.adapters.audit_store import DynamoAuditStore
from icpa_shared.audit import verify_chain
from icpa_shared.contracts import Claim, FraudAssessment
from icpa_shared.testing.builders import a_claim, a_line, an_intake_result, usd


def accepted(aws: dict[str, Any], claim: Claim) -> dict[str, Any]:
    """What Intake leaves behind for a claim: its document, its claims-table item, the state."""
    aws["s3"].put_object(Bucket="icpa-documents", Key=f"claims/{claim.claim_id}.json", Body=claim.model_dump_json())
    put_on_file(aws["dynamodb"], index_of(claim))
    intake = an_intake_result(claim)
    source = {"bucket": "icpa-inbox", "key": f"claims/{claim.claim_id}.json"}
    return {
        "state": {"schema_version": "1.0", "source": source, "intake": intake.model_dump(mode="json")},
        "execution_id": EXECUTION_ID,
    }


def test_a_clean_claim_is_scored_low_with_the_default_deterministic_model(aws: dict[str, Any]) -> None:
    # Given an accepted claim with nothing suspicious on file
    event = accepted(aws, a_claim())

    # When the Fraud Lambda runs
    result = handler(event, None)

    # Then the assessment (JSON) is low, with the deterministic model's judgement
    assessment = FraudAssessment.model_validate(result)
    assert (assessment.claim_id, assessment.rules_score, assessment.signals) == ("CLM-0001", 0.0, [])
    assert assessment.model is not None
    assert (assessment.model.model_id, assessment.model.score, assessment.score) == (
        "icpa-deterministic-fraud",
        0.0474,
        0.0142,
    )
    events = DynamoAuditStore("icpa-audit", aws["dynamodb"]).events("CLM-0001")
    assert [(e.step, e.decision, e.model_id, e.model_version) for e in events] == [
        ("fraud", "SCORED", "icpa-deterministic-fraud", "1")
    ]
    assert verify_chain(events).ok


def test_a_resubmitted_duplicate_is_found_through_the_gsis(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the original claim accepted earlier, and rules only
    monkeypatch.setenv("ICPA_FRAUD_MODEL_PROVIDER", "none")
    accepted(aws, a_claim(claim_id="CLM-2026-0013"))
    # and a resubmission under a new id: same member, provider, date, procedure and amount
    event = accepted(aws, a_claim(claim_id="CLM-2026-0014", received_date=date(2026, 3, 9)))

    result = handler(event, None)

    assert result["signals"] == [
        {
            "code": "EXACT_DUPLICATE",
            "weight": 0.9,
            "evidence": {"matched_claim_ids": "CLM-2026-0013", "matched_claims": "1", "procedure_codes": "99213"},
        }
    ]
    assert (result["score"], result["rules_score"], result["model"]) == (0.9, 0.9, None)


def test_frequency_volume_and_charges_are_seen_across_members_and_providers(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a member with three other claims on March 1, and a watchlisted provider with a busy day
    monkeypatch.setenv("ICPA_FRAUD_MODEL_PROVIDER", "none")
    monkeypatch.setenv("ICPA_FRAUD_PROVIDER_DAILY_PROCEDURE_LIMIT", "20")
    ddb = aws["dynamodb"]
    for n in (1, 2, 3):
        put_on_file(ddb, on_file(f"CLM-M{n}", npi="1555012347", lines=[(f"8100{n}", "20.00", date(2026, 3, 1))]))
    put_on_file(
        ddb,
        on_file(
            "CLM-P1",
            member_id="MBR000050",
            npi=WATCHLISTED_NPI,
            lines=[("97110", "900.00", date(2026, 3, 1))],
            units=20,
        ),
    )
    claim = a_claim(provider_npi=WATCHLISTED_NPI, lines=[a_line(1, procedure_code="99215", charge=usd("2400.00"))])

    result = handler(accepted(aws, claim), None)

    # Then: 4 claims that day (> 3), 21 procedures (> 20), an extreme outlier and the watchlist
    codes = {s["code"]: s for s in result["signals"]}
    assert set(codes) == {"CHARGE_OUTLIER", "MEMBER_DAILY_FREQUENCY", "PROVIDER_DAILY_VOLUME", "PROVIDER_WATCHLIST"}
    assert codes["MEMBER_DAILY_FREQUENCY"]["evidence"]["claims_on_busiest_day"] == "4"
    assert codes["PROVIDER_DAILY_VOLUME"]["evidence"]["procedures_on_busiest_day"] == "21"
    # 1 - (1 - 0.6)(1 - 0.3)(1 - 0.25)(1 - 0.6) = 1 - 0.4 * 0.7 * 0.75 * 0.4 = 0.916
    assert result["rules_score"] == 0.916


def test_a_bedrock_provider_without_agent_ids_fails_at_configuration(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ICPA_FRAUD_MODEL_PROVIDER", "bedrock")

    with pytest.raises(ValueError, match="ICPA_BEDROCK_AGENT_ID"):
        handler(accepted(aws, a_claim()), None)


def test_the_stored_state_is_json_the_next_step_can_read(aws: dict[str, Any]) -> None:
    result = handler(accepted(aws, a_claim()), None)

    assert FraudAssessment.model_validate_json(json.dumps(result)).claim_id == "CLM-0001"
