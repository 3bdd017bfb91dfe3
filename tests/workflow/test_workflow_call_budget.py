"""AWS calls the handlers make per auto-approved claim, held to a budget by function, service
and operation.

On AWS every call is latency and money; locally each one costs ~2 ms of moto and botocore. The
real ASL and handlers run claims that need no reviewer with every principal's calls recorded
(icpa_local.callrecorder), and each claim's calls by the template's functions must stay within
BUDGET: a new call, or a second read of something a step already holds, fails here by name.
"""

from __future__ import annotations

from collections import Counter
from typing import Final

from icpa_local.callrecorder import CallRecorder
from icpa_local.cloud import LocalCloud
from icpa_local.functions import FUNCTIONS

from .conftest import sample

Key = tuple[str, str, str]  # (function logical id, botocore service, operation)

BUDGET: Final[dict[Key, int]] = {
    # The claim's registration, conditional (which is what makes Intake idempotent on the
    # object, and names the execution that decides it), + its audit event, put as a new claim's
    # first with no chain read
    ("IntakeFunction", "dynamodb", "PutItem"): 2,
    ("IntakeFunction", "s3", "GetObject"): 1,  # the uploaded file
    ("IntakeFunction", "dynamodb", "GetItem"): 1,  # the member's policy
    ("IntakeFunction", "s3", "PutObject"): 1,  # the normalized claim document
    # Fraud and Adjudication decide on the policy snapshot in the claim document (no GetItem)
    ("FraudFunction", "s3", "GetObject"): 1,  # the claim document
    ("FraudFunction", "dynamodb", "Query"): 2,  # member and provider history (the audit head is in state)
    # Fraud, Adjudication, Router and RecordDecision append on the audit head the step before
    # returned (in state): no chain Query first unless the put is refused (a stale head)
    ("FraudFunction", "dynamodb", "PutItem"): 1,  # the audit event
    ("AdjudicationFunction", "s3", "GetObject"): 1,
    ("AdjudicationFunction", "dynamodb", "PutItem"): 1,
    ("RouterFunction", "dynamodb", "PutItem"): 1,
    ("RecordDecisionFunction", "dynamodb", "UpdateItem"): 1,  # the claim record
    ("RecordDecisionFunction", "dynamodb", "PutItem"): 1,
    ("RecordDecisionFunction", "s3", "GetObject"): 1,  # the claim document the payer's answers are built from
    ("RecordDecisionFunction", "s3", "PutObject"): 1,  # the FHIR ClaimResponse (JSON claim: no 835)
    ("ArchiverFunction", "stepfunctions", "GetExecutionHistory"): 1,
    ("ArchiverFunction", "dynamodb", "Query"): 1,  # the chain it archives with the history
    ("ArchiverFunction", "s3", "PutObject"): 1,
}
PER_CLAIM: Final = sum(BUDGET.values())
PATH: Final = (
    "IntakeFunction",
    "FraudFunction",
    "AdjudicationFunction",
    "RouterFunction",
    "RecordDecisionFunction",
    "ArchiverFunction",
)


def _table(counts: Counter[Key]) -> str:
    rows = [f"{n:3d}  {function} {service}:{operation}" for (function, service, operation), n in sorted(counts.items())]
    return "\n".join([*rows, f"{sum(counts.values()):3d}  total"])


def _calls_per_claim(names: list[str]) -> list[Counter[Key]]:
    out: list[Counter[Key]] = []
    with LocalCloud(time_scale=0.001) as cloud:
        for name in names:
            with CallRecorder() as recorder:
                result = cloud.process(sample(name), name)
                cloud.wait_idle()  # the archiver runs after the execution ends
            assert str(result.outcome) == "APPROVED", (name, result.outcome)
            out.append(
                Counter((c.principal, c.service, c.operation) for c in recorder.calls if c.principal in FUNCTIONS)
            )
    return out


def test_an_auto_approved_claim_stays_within_the_call_budget() -> None:
    # Given two claims that need no reviewer (the second with history already in the tables)
    per_claim = _calls_per_claim(["approve-office-visit.json", "approve-lab-panel.json"])
    for counts in per_claim:
        # Then every function of the path made its calls, none beyond its budget
        assert {function for function, _, _ in counts} == set(PATH), _table(counts)
        over = {key: n for key, n in counts.items() if n > BUDGET.get(key, 0)}
        assert over == {}, f"over budget: {over}\n{_table(counts)}"
        assert sum(counts.values()) <= PER_CLAIM
