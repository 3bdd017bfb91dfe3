"""A duplicate pair processed together, through the real workflow: only the later-received claim
is the duplicate (local/src/icpa_local/samples/README.md), whatever order the workers run in."""

from __future__ import annotations

from icpa_local.cloud import LocalCloud

from .conftest import sample


def test_an_original_and_its_resubmission_uploaded_together_deny_only_the_resubmission(cloud: LocalCloud) -> None:
    # Given the original and its resubmission uploaded back to back (both run at once)
    names = ["duplicate-original.json", "duplicate-resubmitted.json"]
    arns = [cloud.upload(sample(name), name) for name in names]

    # When both executions finish
    original, resubmitted = (cloud.follow(arn, name) for arn, name in zip(arns, names, strict=True))

    # Then the original is approved, and only the resubmission is denied as its exact duplicate
    assert (original.outcome, original.route) == ("APPROVED", "AUTO"), original.reasons
    assert "EXACT_DUPLICATE" not in original.reasons
    assert (resubmitted.outcome, resubmitted.route) == ("DENIED", "AUTO"), resubmitted.reasons
    assert "EXACT_DUPLICATE" in resubmitted.reasons
