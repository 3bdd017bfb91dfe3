"""An unexpected handler crash ends the claim ERROR with its original kept in quarantine; once
the fault is fixed, `icpa redrive CLAIM_ID` processes it again to its normal outcome, recorded
once."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from icpa_local import cli
from icpa_local.cloud import LocalCloud
from icpa_local.functions import load_handler
from icpa_local.redrive import RedriveRefused, redrive

SAMPLE = "approve-office-visit.json"
CLAIM_ID = "CLM-2026-0001"


def sample(name: str) -> bytes:
    return resources.files("icpa_local").joinpath(f"samples/{name}").read_bytes()


class FraudWithABug:
    """The fraud Lambda as deployed with a bug: it crashes until the fix is deployed."""

    def __init__(self) -> None:
        self.fixed = False
        self.real = load_handler("FraudFunction")

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        if not self.fixed:
            raise KeyError("fraud_model_weight")  # not an ICPA error: the workflow cannot classify it
        return self.real(event, context)


def decision_events(cloud: LocalCloud, claim_id: str) -> list[dict[str, Any]]:
    items = cloud.client("dynamodb").query(
        TableName=cloud.names.audit_table,
        KeyConditionExpression="claim_id = :c",
        ExpressionAttributeValues={":c": {"S": claim_id}},
        ConsistentRead=True,
    )["Items"]
    events = [json.loads(item["event"]["S"]) for item in items]
    return [e for e in events if e.get("step") == "decision"]


def kept_original(cloud: LocalCloud, claim_id: str) -> bytes:
    s3 = cloud.client("s3")
    body: bytes = s3.get_object(Bucket=cloud.names.quarantine_bucket, Key=f"{claim_id}/original")["Body"].read()
    return body


def test_a_crashed_claim_is_redriven_to_its_normal_outcome_once_fixed() -> None:
    fraud = FraudWithABug()
    with LocalCloud(time_scale=0.001, handler_overrides={"FraudFunction": fraud}) as cloud:
        # Given a claim that ended ERROR on the bug, its original kept
        crashed = cloud.process(sample(SAMPLE), f"claims/{SAMPLE}")
        assert (crashed.outcome, crashed.claim_id) == ("ERROR", CLAIM_ID)
        assert kept_original(cloud, CLAIM_ID) == sample(SAMPLE)
        # When the fix is deployed and the claim redriven
        fraud.fixed = True
        done = redrive(cloud, CLAIM_ID)
        # Then it gets its normal outcome, from a new execution, recorded once
        assert (done.result.outcome, done.result.route, done.result.claim_id) == ("APPROVED", "AUTO", CLAIM_ID)
        assert done.key == f"claims/{SAMPLE}" and done.result.execution_arn != crashed.execution_arn
        record = cloud.claim_record(CLAIM_ID)
        assert record is not None and record["outcome"] == "APPROVED"
        assert record["execution_id"] == done.result.execution_arn
        assert [e["execution_id"] for e in decision_events(cloud, CLAIM_ID)] == [done.result.execution_arn]
        # And a decided claim is not redriven again
        with pytest.raises(RedriveRefused, match="APPROVED"):
            redrive(cloud, CLAIM_ID)


def test_redrive_refuses_what_is_not_error() -> None:
    with LocalCloud(time_scale=0.001) as cloud:
        rejected = cloud.process(sample("rejected-total-mismatch.json"), "claims/rejected-total-mismatch.json")
        approved = cloud.process(sample(SAMPLE), f"claims/{SAMPLE}")
        assert (rejected.outcome, approved.outcome) == ("REJECTED", "APPROVED")
        for claim_id in (rejected.claim_id, approved.claim_id, "CLM-NO-SUCH"):
            assert claim_id is not None
            with pytest.raises(RedriveRefused):
                redrive(cloud, claim_id)


def test_icpa_redrive_on_the_data_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = tmp_path / "data"
    # Given the local cloud ran with the bug and stopped, the claim ERROR
    with LocalCloud(time_scale=0.001, data_dir=data_dir, handler_overrides={"FraudFunction": FraudWithABug()}) as cloud:
        assert cloud.process(sample(SAMPLE), f"claims/{SAMPLE}").outcome == "ERROR"
    # When the fixed services redrive it from the command line
    code = cli.main(["--time-scale", "0.001", "redrive", CLAIM_ID, "--data-dir", str(data_dir), "--json"])
    out = capsys.readouterr().out
    # Then it is APPROVED, and stays so in the claims table
    assert code == 0, out
    assert json.loads(out)["outcome"] == "APPROVED"
    with LocalCloud(time_scale=0.001, data_dir=data_dir) as cloud:
        record = cloud.claim_record(CLAIM_ID)
        assert record is not None and record["outcome"] == "APPROVED"
        assert len(decision_events(cloud, CLAIM_ID)) == 1
