"""DynamoReviewStore on moto: the item layout, every conditional transition, the status-index
listing (keyed query, oldest first, paged, no token), and AWS errors turned into typed ones."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber
from pydantic import SecretStr
from review_callback_builders import REVIEW_TIMEOUT, REVIEWER_SUB, TASK_TOKEN, a_review_state
from review_callback_cloud import REVIEWS_TABLE

from icpa_review_callback.adapters.reviews_table import DynamoReviewStore, record_from_item
from icpa_review_callback.domain.errors import InvalidCursorError
from icpa_review_callback.domain.ids import review_id_for
from icpa_review_callback.domain.models import ReviewRecord
from icpa_review_callback.domain.snapshot import snapshot_of
from icpa_shared.contracts import ReviewDecision, ReviewStatus
from icpa_shared.errors import TransientDependencyError
from icpa_shared.testing.builders import FIXED_NOW

LATER = FIXED_NOW + timedelta(hours=1)


def a_record(n: int = 0, *, token: str = TASK_TOKEN, minutes: int = 0) -> ReviewRecord:
    created = FIXED_NOW + timedelta(minutes=minutes)
    return ReviewRecord(
        review_id=review_id_for(f"execution-{n}"),
        claim_id="CLM-0001",
        execution_id=f"execution-{n}",
        status=ReviewStatus.PENDING,
        created_at=created,
        updated_at=created,
        due_by=created + REVIEW_TIMEOUT,
        task_token=SecretStr(token),
        snapshot=snapshot_of(a_review_state()),
    )


def a_decision(record: ReviewRecord, at: Any = LATER) -> ReviewDecision:
    return ReviewDecision(
        review_id=record.review_id,
        claim_id=record.claim_id,
        reviewer_id=REVIEWER_SUB,
        decision="APPROVE",
        rationale="Documented follow-up visit.",
        decided_at=at,
    )


@pytest.fixture
def store(reviews_ddb: Any) -> DynamoReviewStore:
    return DynamoReviewStore(REVIEWS_TABLE, reviews_ddb)


def item_of(ddb: Any, review_id: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = ddb.get_item(TableName=REVIEWS_TABLE, Key={"review_id": {"S": review_id}}).get("Item")
    return item


def test_a_created_review_reads_back_equal_with_the_documented_item_layout(
    store: DynamoReviewStore, reviews_ddb: Any
) -> None:
    record = a_record()

    assert store.create(record) is True

    assert store.get(record.review_id) == record
    item = item_of(reviews_ddb, record.review_id)
    assert item is not None
    assert set(item) == {
        "review_id",
        "claim_id",
        "status",
        "created_at",
        "updated_at",
        "due_by",
        "execution_id",
        "claim_uri",
        "task_token",
        "snapshot",
    }
    assert item["status"] == {"S": "PENDING"}
    assert item["created_at"] == {"S": "2026-03-10T12:00:00.000+00:00"}
    assert item["claim_uri"] == {"S": "s3://icpa-documents/claims/CLM-0001.json"}
    assert item["task_token"] == {"S": TASK_TOKEN}


def test_a_review_is_created_once(store: DynamoReviewStore) -> None:
    assert store.create(a_record()) is True
    assert store.create(a_record(token="another")) is False
    stored = store.get(a_record().review_id)
    assert stored is not None and stored.task_token == SecretStr(TASK_TOKEN)


def test_an_unknown_review_reads_as_none_and_is_never_created_by_an_update(
    store: DynamoReviewStore, reviews_ddb: Any
) -> None:
    unknown = review_id_for("nowhere")
    assert store.get(unknown) is None
    assert store.mark_timed_out(unknown, now=LATER, from_statuses=(ReviewStatus.PENDING,)) is None
    assert store.mark_escalation_notified(unknown, LATER) is False
    assert item_of(reviews_ddb, unknown) is None


def test_reopen_swaps_the_token_of_a_pending_or_timed_out_review_only(
    store: DynamoReviewStore, reviews_ddb: Any
) -> None:
    record = a_record()
    store.create(record)
    snapshot = record.snapshot

    reopened = store.reopen(record.review_id, task_token=SecretStr("new-1"), snapshot=snapshot, due_by=LATER, now=LATER)
    assert reopened is not None
    assert reopened.task_token == SecretStr("new-1")
    assert reopened.due_by == LATER
    assert reopened.created_at == record.created_at

    store.mark_timed_out(record.review_id, now=LATER, from_statuses=(ReviewStatus.PENDING,))
    store.mark_escalation_notified(record.review_id, LATER)
    again = store.reopen(record.review_id, task_token=SecretStr("new-2"), snapshot=snapshot, due_by=LATER, now=LATER)
    assert again is not None
    assert again.status is ReviewStatus.PENDING
    assert again.timed_out_at is None and again.escalation_notified_at is None

    store.mark_decided(a_decision(record), LATER)
    assert store.reopen(record.review_id, task_token=SecretStr("x"), snapshot=snapshot, due_by=LATER, now=LATER) is None

    # A decision that timed out undelivered does not survive a reopen.
    store.mark_timed_out(record.review_id, now=LATER, from_statuses=(ReviewStatus.DECIDED,))
    fresh = store.reopen(record.review_id, task_token=SecretStr("y"), snapshot=snapshot, due_by=LATER, now=LATER)
    assert fresh is not None and fresh.decision is None
    item = item_of(reviews_ddb, record.review_id)
    assert item is not None and not {"decision", "reviewer_id", "decided_at"} & set(item)


def test_a_decision_is_written_once_and_returned_with_the_token(store: DynamoReviewStore, reviews_ddb: Any) -> None:
    record = a_record()
    store.create(record)
    decision = a_decision(record)

    written = store.mark_decided(decision, LATER)

    assert written is not None
    assert written.status is ReviewStatus.DECIDED
    assert written.decision == decision
    assert written.task_token == SecretStr(TASK_TOKEN)
    item = item_of(reviews_ddb, record.review_id)
    assert item is not None
    assert item["reviewer_id"] == {"S": REVIEWER_SUB}
    assert item["decided_at"] == {"S": "2026-03-10T13:00:00.000+00:00"}
    assert store.mark_decided(a_decision(record, LATER + timedelta(seconds=1)), LATER) is None


def test_only_the_decision_that_was_written_can_be_reverted(store: DynamoReviewStore) -> None:
    record = a_record()
    store.create(record)
    store.mark_decided(a_decision(record), LATER)

    assert store.revert_decision(record.review_id, decided_at=LATER + timedelta(seconds=1), now=LATER) is False
    assert store.revert_decision(record.review_id, decided_at=LATER, now=LATER) is True

    reverted = store.get(record.review_id)
    assert reverted is not None
    assert reverted.status is ReviewStatus.PENDING
    assert reverted.decision is None
    assert store.revert_decision(record.review_id, decided_at=LATER, now=LATER) is False


def test_timing_out_respects_the_allowed_statuses_and_drops_the_token(
    store: DynamoReviewStore, reviews_ddb: Any
) -> None:
    record = a_record()
    store.create(record)
    store.mark_decided(a_decision(record), LATER)

    assert store.mark_timed_out(record.review_id, now=LATER, from_statuses=(ReviewStatus.PENDING,)) is None
    assert (
        store.mark_timed_out(record.review_id, now=LATER, from_statuses=(ReviewStatus.DECIDED,), decided_at=FIXED_NOW)
        is None
    )
    timed_out = store.mark_timed_out(
        record.review_id, now=LATER, from_statuses=(ReviewStatus.DECIDED,), decided_at=LATER
    )

    assert timed_out is not None
    assert timed_out.status is ReviewStatus.TIMED_OUT
    assert timed_out.timed_out_at == LATER
    assert timed_out.task_token is None
    item = item_of(reviews_ddb, record.review_id)
    assert item is not None and "task_token" not in item


def test_the_escalation_marker_is_set_once(store: DynamoReviewStore) -> None:
    record = a_record()
    store.create(record)
    assert store.mark_escalation_notified(record.review_id, LATER) is True
    assert store.mark_escalation_notified(record.review_id, LATER + timedelta(minutes=1)) is False
    stored = store.get(record.review_id)
    assert stored is not None and stored.escalation_notified_at == LATER


def test_pending_reviews_are_listed_oldest_first_in_pages_without_tokens(store: DynamoReviewStore) -> None:
    records = [a_record(n, minutes=10 - n) for n in range(5)]  # created in reverse order
    for record in records:
        store.create(record)
    store.mark_decided(a_decision(records[0]), LATER)  # the newest one is no longer pending

    first, cursor = store.list_pending(limit=3, cursor=None)
    rest, last_cursor = store.list_pending(limit=3, cursor=cursor)

    listed = first + rest
    assert [r.review_id for r in listed] == [records[n].review_id for n in (4, 3, 2, 1)]
    assert all(r.task_token is None for r in listed)
    assert all(r.status is ReviewStatus.PENDING for r in listed)
    assert cursor is not None
    assert TASK_TOKEN not in cursor
    assert last_cursor is None


def test_decided_reviews_are_listed_newest_first_with_their_decisions_and_no_tokens(
    store: DynamoReviewStore,
) -> None:
    records = [a_record(n, minutes=n) for n in range(4)]
    for record in records:
        store.create(record)
    for record in records[1:]:
        store.mark_decided(a_decision(record), LATER)

    first, cursor = store.list_decided(limit=2, cursor=None)
    rest, last_cursor = store.list_decided(limit=2, cursor=cursor)

    listed = first + rest
    assert [r.review_id for r in listed] == [records[n].review_id for n in (3, 2, 1)]
    assert all(r.status is ReviewStatus.DECIDED and r.task_token is None for r in listed)
    assert [r.decision for r in listed] == [a_decision(records[n]) for n in (3, 2, 1)]
    assert cursor is not None and last_cursor is None
    # A page token of one listing does not page the other.
    _, pending_cursor = store.list_pending(limit=1, cursor=None)
    assert pending_cursor is None  # one pending review: no second page
    with pytest.raises(InvalidCursorError):
        store.list_pending(limit=2, cursor=cursor)


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        "bm90IGpzb24",  # "not json"
        "eyJzdGF0dXMiOiAiREVDSURFRCJ9",  # {"status": "DECIDED"}
    ],
)
def test_a_cursor_the_store_did_not_issue_is_refused(store: DynamoReviewStore, cursor: str) -> None:
    with pytest.raises(InvalidCursorError):
        store.list_pending(limit=5, cursor=cursor)


def test_listing_is_a_keyed_query_on_the_status_index(reviews_ddb: Any) -> None:
    store = DynamoReviewStore(REVIEWS_TABLE, reviews_ddb)
    with Stubber(reviews_ddb) as stub:
        stub.add_response(
            "query",
            {"Items": [], "Count": 0, "ScannedCount": 0},
            {
                "TableName": REVIEWS_TABLE,
                "IndexName": "status-index",
                "KeyConditionExpression": "#status = :status",
                "ExpressionAttributeNames": {"#status": "status", "#snapshot": "snapshot"},
                "ExpressionAttributeValues": {":status": {"S": "PENDING"}},
                "ProjectionExpression": (
                    "review_id, claim_id, #status, created_at, updated_at, due_by, execution_id, #snapshot"
                ),
                "ScanIndexForward": True,
                "Limit": 25,
            },
        )
        assert store.list_pending(limit=25, cursor=None) == ([], None)
        stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError"]
)
def test_throttling_and_server_errors_are_transient(reviews_ddb: Any, code: str) -> None:
    store = DynamoReviewStore(REVIEWS_TABLE, reviews_ddb)
    with Stubber(reviews_ddb) as stub:
        stub.add_client_error("get_item", service_error_code=code, http_status_code=500)
        with pytest.raises(TransientDependencyError):
            store.get(review_id_for("x"))


def test_a_permission_error_is_not_disguised_as_transient(reviews_ddb: Any) -> None:
    store = DynamoReviewStore(REVIEWS_TABLE, reviews_ddb)
    with Stubber(reviews_ddb) as stub:
        stub.add_client_error("update_item", service_error_code="AccessDeniedException", http_status_code=400)
        with pytest.raises(ClientError):
            store.mark_escalation_notified(review_id_for("x"), LATER)


def test_a_network_failure_is_transient() -> None:
    class Unreachable:
        def get_item(self, **_: Any) -> Any:
            raise EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")

    with pytest.raises(TransientDependencyError):
        unreachable: Any = Unreachable()  # a stand-in client: only get_item, and it fails
        DynamoReviewStore(REVIEWS_TABLE, unreachable).get(review_id_for("x"))


def test_an_item_without_optional_attributes_reads_as_a_record() -> None:
    record = a_record()
    from icpa_review_callback.adapters.reviews_table import item_from_record

    item = item_from_record(record.model_copy(update={"task_token": None}))
    assert "task_token" not in item
    assert record_from_item(item) == record.model_copy(update={"task_token": None})
