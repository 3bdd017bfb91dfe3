"""Every bundled sample claim reaches the outcome its documentation promises
(local/src/icpa_local/samples/README.md), through the real workflow."""

from __future__ import annotations

from importlib import resources

import pytest

from icpa_local.cloud import LocalCloud

from .conftest import sample

# file -> (outcome, route, a reason that must be among the reasons)
EXPECTED = {
    "approve-office-visit.json": ("APPROVED", "AUTO", "ADJUDICATION_APPROVED"),
    "approve-lab-panel.json": ("APPROVED", "AUTO", "ADJUDICATION_APPROVED"),
    "approve-platinum-imaging.json": ("APPROVED", "AUTO", "ADJUDICATION_APPROVED"),
    "approve-physical-therapy.json": ("APPROVED", "AUTO", "ADJUDICATION_APPROVED"),
    "annual-limit-capped.json": ("APPROVED", "AUTO", "ADJUDICATION_APPROVED"),
    "duplicate-original.json": ("APPROVED", "AUTO", "ADJUDICATION_APPROVED"),
    "duplicate-resubmitted.json": ("DENIED", "AUTO", "EXACT_DUPLICATE"),
    "deny-lapsed-policy.json": ("DENIED", "AUTO", "POLICY_LAPSED"),
    "deny-coverage-ended.json": ("DENIED", "AUTO", "NOT_EFFECTIVE_ON_DATE"),
    "deny-cosmetic-excluded.json": ("DENIED", "AUTO", "EXCLUDED_SERVICE"),
    "deny-not-covered-by-plan.json": ("DENIED", "AUTO", "NOT_COVERED"),
    "review-high-amount-surgery.json": ("APPROVED", "HUMAN", "AMOUNT_ABOVE_THRESHOLD"),
    "review-partial-prior-auth.json": ("APPROVED", "HUMAN", "PRIOR_AUTH_REQUIRED"),
    "review-waiting-period.json": ("APPROVED", "HUMAN", "WAITING_PERIOD"),
    "review-charge-outlier.json": ("APPROVED", "HUMAN", "CHARGE_OUTLIER"),
    "rejected-malformed.json": ("REJECTED", "NONE", "MALFORMED_JSON"),
    "rejected-not-utf8.json": ("REJECTED", "NONE", "NOT_UTF8"),
    "rejected-invalid-codes.json": ("REJECTED", "NONE", "INVALID_PROCEDURE_CODE"),
    "rejected-codes-not-in-icd10cm.json": ("REJECTED", "NONE", "DIAGNOSIS_NOT_BILLABLE"),
    "rejected-total-mismatch.json": ("REJECTED", "NONE", "TOTAL_MISMATCH"),
    "rejected-future-dates.json": ("REJECTED", "NONE", "DATE_IN_FUTURE"),
    "rejected-unknown-member.json": ("REJECTED", "NONE", "UNKNOWN_MEMBER"),
    "fhir-approve-office-visit.json": ("APPROVED", "AUTO", "ADJUDICATION_APPROVED"),
    "fhir-deny-lapsed-policy.json": ("DENIED", "AUTO", "POLICY_LAPSED"),
    "fhir-review-high-amount.json": ("APPROVED", "HUMAN", "AMOUNT_ABOVE_THRESHOLD"),
    "fhir-rejected-invalid-resource.json": ("REJECTED", "NONE", "SCHEMA_VIOLATION"),
}


def test_every_sample_is_documented_and_expected() -> None:
    bundled = {
        p.name
        for p in resources.files("icpa_local").joinpath("samples").iterdir()
        if p.name.endswith(".json") and p.name != "demo.json"
    }
    assert bundled == set(EXPECTED)
    assert len(bundled) >= 20
    assert any(name.startswith("fhir-") for name in bundled)


def test_samples_reach_their_documented_outcomes() -> None:
    mismatches = []
    with LocalCloud(time_scale=0.001) as cloud:
        for name, (outcome, route, reason) in EXPECTED.items():  # duplicate-original runs before its resubmission
            review = "approve" if route == "HUMAN" else None
            result = cloud.process(
                sample(name), name, review=review, reviewer="alice", rationale="Documentation reviewed."
            )
            if (result.outcome, result.route) != (outcome, route) or reason not in result.reasons:
                mismatches.append(f"{name}: {result.outcome}/{result.route} {result.reasons}")
            if route == "AUTO":
                assert result.transitions <= 9, name  # DECISIONS: budgets
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("name", ["approve-office-visit.json", "fhir-approve-office-visit.json"])
def test_both_formats_normalize_to_the_same_contract(name: str) -> None:
    with LocalCloud(time_scale=0.001) as cloud:
        result = cloud.process(sample(name), name)
        from icpa_shared.adapters.claims import S3ClaimDocuments

        claim = S3ClaimDocuments(cloud.names.documents_bucket, s3=cloud.client("s3")).get(
            f"s3://{cloud.names.documents_bucket}/claims/{result.claim_id}.json"
        )
    assert claim.claim_id == result.claim_id and claim.lines and claim.patient is not None
