"""`icpa audit CLAIM_ID [--verify] [--json]`: the timeline, and exit codes that name the broken link."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from icpa_local.cli import main
from icpa_local.cloud import LocalCloud

SAMPLE = str(resources.files("icpa_local").joinpath("samples/approve-office-visit.json"))
CLAIM = "CLM-2026-0001"


def test_audit_timeline_verifies_then_names_a_tampered_event(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "data")
    assert main(["process", "--data-dir", data, "--json", SAMPLE]) == 0
    capsys.readouterr()

    # Given an untouched chain: the timeline, verified
    assert main(["audit", "--data-dir", data, CLAIM, "--verify"]) == 0
    out = capsys.readouterr().out
    for step in ("intake", "fraud", "adjudication", "router", "decision"):
        assert f" {step} " in out
    assert "Verification: OK" in out

    assert main(["audit", "--data-dir", data, CLAIM, "--verify", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["claim_id"] == CLAIM and len(document["events"]) >= 5

    # When an event is altered in the audit table (the data dir keeps it across runs)
    with LocalCloud(data_dir=Path(data)) as cloud:
        ddb = cloud.client("dynamodb")
        key = {"claim_id": {"S": CLAIM}, "sequence": {"N": "3"}}
        item = ddb.get_item(TableName=cloud.names.audit_table, Key=key)["Item"]
        event = json.loads(item["event"]["S"])
        event["decision"] = "DENIED"
        ddb.put_item(TableName=cloud.names.audit_table, Item={**item, "event": {"S": json.dumps(event)}})

    # Then verification fails and names the event
    assert main(["audit", "--data-dir", data, CLAIM, "--verify"]) == 1
    captured = capsys.readouterr()
    assert "verification failed at sequence 3" in captured.err
    # without --verify the timeline still prints, and the exit is 0
    assert main(["audit", "--data-dir", data, CLAIM]) == 0


def test_audit_of_an_unknown_claim_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--data-dir", str(tmp_path), "CLM-UNKNOWN-1"]) == 1
    assert "no audit trail" in capsys.readouterr().err
    assert main(["audit", "--data-dir", str(tmp_path), "bad id!"]) == 2
