"""Review ids are derived from the execution: one review per wait, whatever retries happen."""

from __future__ import annotations

import hashlib

from icpa_review_callback.domain.ids import is_review_id, review_id_for

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:icpa-claims:run-1"


def test_the_id_is_rev_and_the_first_32_hex_of_the_executions_sha256() -> None:
    assert review_id_for(EXECUTION) == "REV-" + hashlib.sha256(EXECUTION.encode()).hexdigest()[:32]


def test_the_same_execution_always_maps_to_the_same_review() -> None:
    assert review_id_for(EXECUTION) == review_id_for(EXECUTION)
    assert review_id_for(EXECUTION) != review_id_for(EXECUTION.replace("run-1", "run-2"))


def test_derived_ids_match_the_shared_review_id_pattern() -> None:
    assert is_review_id(review_id_for(EXECUTION))
    assert not is_review_id("REV-XYZ")
    assert not is_review_id("REV-" + "a" * 33)
    assert not is_review_id(None)
