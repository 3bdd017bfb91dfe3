"""Of two matching claims only the later-received is the duplicate, whichever is scored first.

Claims are ordered by the inbox's arrival time (the S3 event's, which Intake records in the
index entry and the workflow state carries), then received_date, then claim id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fraud_testkit import EXECUTION_ID, fraud_deps, index_of, put_on_file, step_for
from hypothesis import given
from hypothesis import strategies as st

from icpa_fraud.handler import handle, handler
from icpa_shared.contracts import Claim
from icpa_shared.testing.builders import a_claim, a_line, an_intake_result, usd

AUG_20 = date(2026, 8, 20)
T0 = datetime(2026, 8, 22, 9, 0, tzinfo=UTC)
DUPLICATES = ("EXACT_DUPLICATE", "NEAR_DUPLICATE")


def visit(claim_id: str, received: date = date(2026, 8, 22), amount: str = "150.00") -> Claim:
    line = a_line(1, charge=usd(amount), service_date=AUG_20)
    return a_claim(claim_id=claim_id, lines=[line], received_date=received)


ORIGINAL = visit("CLM-2026-0013", date(2026, 8, 22))
RESUBMITTED = visit("CLM-2026-0014", date(2026, 8, 29))


def codes(claim: Claim, arrived: datetime | None, on_file: Sequence[tuple[Claim, datetime | None]]) -> list[str]:
    """The signal codes Fraud gives `claim` (uploaded at `arrived`) with `on_file` indexed."""
    entries = [index_of(other, at) for other, at in on_file]
    return handle(step_for(claim, arrived), fraud_deps(claim, entries)).signal_codes


def test_the_original_scored_after_its_resubmission_was_indexed_is_not_a_duplicate() -> None:
    # Given both uploaded together: the resubmission accepted (indexed) before the original is scored
    both = [(ORIGINAL, T0), (RESUBMITTED, T0 + timedelta(seconds=2))]

    # Then the original has no duplicate signal, and the resubmission is its exact duplicate
    assert codes(ORIGINAL, T0, both) == []
    assert codes(RESUBMITTED, T0 + timedelta(seconds=2), both) == ["EXACT_DUPLICATE"]


def test_the_original_scored_before_its_resubmission_arrived_is_not_a_duplicate() -> None:
    assert codes(ORIGINAL, T0, [(ORIGINAL, T0)]) == []
    assert codes(RESUBMITTED, T0 + timedelta(days=7), [(ORIGINAL, T0)]) == ["EXACT_DUPLICATE"]


def test_a_resubmission_with_a_backdated_received_date_is_still_the_later_one() -> None:
    # The arrival time is the platform's; a claim cannot move itself ahead by its received_date.
    backdated = visit("CLM-2026-0014", date(2026, 8, 20))
    both = [(ORIGINAL, T0), (backdated, T0 + timedelta(hours=1))]

    assert codes(ORIGINAL, T0, both) == []
    assert codes(backdated, T0 + timedelta(hours=1), both) == ["EXACT_DUPLICATE"]


def test_in_the_same_second_the_earlier_received_date_is_the_original() -> None:
    both = [(ORIGINAL, T0), (RESUBMITTED, T0)]

    assert codes(ORIGINAL, T0, both) == []
    assert codes(RESUBMITTED, T0, both) == ["EXACT_DUPLICATE"]


def test_a_near_duplicate_is_flagged_on_the_later_claim_only() -> None:
    first, second = visit("CLM-2026-0020"), visit("CLM-2026-0021", amount="140.00")  # same day, within 10 %
    both = [(first, T0), (second, T0 + timedelta(minutes=5))]

    assert codes(first, T0, both) == []
    assert codes(second, T0 + timedelta(minutes=5), both) == ["NEAR_DUPLICATE"]


arrivals = st.one_of(st.none(), st.sampled_from([T0, T0 + timedelta(seconds=1), T0 + timedelta(days=1)]))
received = st.sampled_from([date(2026, 8, 22), date(2026, 8, 29)])
ids = st.sampled_from(["CLM-2026-0013", "CLM-2026-0014", "CLM-2026-0099"])


@given(a_id=ids, b_id=ids, a_at=arrivals, b_at=arrivals, a_received=received, b_received=received)
def test_of_any_matching_pair_exactly_one_is_the_duplicate(
    a_id: str, b_id: str, a_at: datetime | None, b_at: datetime | None, a_received: date, b_received: date
) -> None:
    if a_id == b_id:
        return
    a, b = visit(a_id, a_received), visit(b_id, b_received)
    both = [(a, a_at), (b, b_at)]

    flagged = [bool(set(codes(c, at, both)) & set(DUPLICATES)) for c, at in both]

    assert flagged.count(True) == 1


# -- on moto: both accepted, in the claims table, before either is scored ------------------------


def accepted(aws: dict[str, Any], claim: Claim, arrived: datetime) -> dict[str, Any]:
    """What Intake leaves for an upload that arrived at `arrived`: document, index entry, state."""
    aws["s3"].put_object(Bucket="icpa-documents", Key=f"claims/{claim.claim_id}.json", Body=claim.model_dump_json())
    put_on_file(aws["dynamodb"], index_of(claim, arrived))
    source = {"bucket": "icpa-inbox", "key": f"claims/{claim.claim_id}.json", "event_time": arrived.isoformat()}
    intake = an_intake_result(claim).model_dump(mode="json")
    return {"state": {"schema_version": "1.0", "source": source, "intake": intake}, "execution_id": EXECUTION_ID}


@pytest.mark.parametrize("original_scored_first", [True, False])
def test_through_the_gsis_only_the_resubmission_is_denied_whatever_runs_first(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, original_scored_first: bool
) -> None:
    monkeypatch.setenv("ICPA_FRAUD_MODEL_PROVIDER", "none")
    events = {
        "original": accepted(aws, ORIGINAL, T0),
        "resubmitted": accepted(aws, RESUBMITTED, T0 + timedelta(seconds=3)),
    }
    order = ["original", "resubmitted"] if original_scored_first else ["resubmitted", "original"]

    results = {name: handler(events[name], None) for name in order}

    assert results["original"]["signals"] == []
    assert [s["code"] for s in results["resubmitted"]["signals"]] == ["EXACT_DUPLICATE"]
    assert results["resubmitted"]["signals"][0]["evidence"]["matched_claim_ids"] == ORIGINAL.claim_id
