"""PHI never leaves encrypted storage: claims carrying known PHI run through every path, and
every captured log line, metric, trace annotation, SNS message, audit record and the workflow
state in the execution history are scanned for it: zero occurrences."""

from __future__ import annotations

import json

from icpa_local import logrouting
from icpa_local.cloud import LocalCloud
from icpa_shared.observability import tracing

from .conftest import Topics, sample_json

PATIENT = {
    "name": "Marisol Quintanilla-Oyelaran",
    "birth_date": "1979-02-28",
    "gender": "female",
    "address": {"line": ["4417 Juniper Hollow Road"], "city": "Wexcombe", "state": "VT", "postal_code": "05091"},
}
PHI_VALUES = [
    "Marisol",
    "Quintanilla-Oyelaran",
    "1979-02-28",
    "4417 Juniper Hollow",
    "Wexcombe",
    "MBR000001",
    "SUB000001",
]


def with_patient(name: str, claim_id: str) -> bytes:
    claim = sample_json(name)
    claim["patient"] = PATIENT
    claim["claim_id"] = claim_id
    return json.dumps(claim).encode()


def test_no_phi_in_logs_metrics_traces_notices_audit_or_state(cloud: LocalCloud, topics: Topics) -> None:
    tracing.recent_annotations.clear()
    logs = logrouting.router()  # pytest swaps sys.stdout between phases: route it again
    results = [
        cloud.process(with_patient("approve-office-visit.json", "PHI-AUTO-1"), "phi-auto.json"),
        cloud.process(
            with_patient("review-partial-prior-auth.json", "PHI-HUMAN-1"),
            "phi-human.json",
            review="approve",
            reviewer="alice",
            rationale="Reviewed the operative note.",
        ),
        cloud.process(with_patient("deny-cosmetic-excluded.json", "PHI-DENY-1"), "phi-deny.json"),
    ]
    bad = sample_json("rejected-total-mismatch.json")
    bad["patient"], bad["claim_id"] = PATIENT, "PHI-REJECT-1"
    results.append(cloud.process(json.dumps(bad).encode(), "phi-reject.json"))
    assert [r.outcome for r in results] == ["APPROVED", "APPROVED", "DENIED", "REJECTED"]

    surfaces: dict[str, str] = {
        "handler logs and EMF metrics": "".join(logs.captured),
        "trace annotations": json.dumps(list(tracing.recent_annotations)),
        "reviewer notices": json.dumps(topics.messages(cloud.names.reviewers_topic)),
        "supervisor notices": json.dumps(topics.messages(cloud.names.supervisors_topic)),
    }
    ddb = cloud.client("dynamodb")
    audit = ddb.scan(TableName=cloud.names.audit_table)["Items"]
    surfaces["audit records"] = json.dumps([i["event"]["S"] for i in audit])
    surfaces["execution history (workflow state)"] = json.dumps(
        [cloud.history(r.execution_arn) for r in results], default=str
    )
    # the scan must have something to scan
    assert '"event": "claim.accepted"' in surfaces["handler logs and EMF metrics"]
    assert '"CloudWatchMetrics"' in surfaces["handler logs and EMF metrics"]
    assert len(audit) >= 10 and tracing.recent_annotations
    found = {where: [v for v in PHI_VALUES if v in text] for where, text in surfaces.items()}
    assert all(not values for values in found.values()), found
