"""The fraud model throttles 30% of its calls (seeded) over 200 claims: the ASL's backoff retries
them, and every claim ends exactly as it does without faults; nothing lost, nothing ERROR."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from collections import Counter
from typing import Any

from icpa_fraud import __version__ as fraud_version
from icpa_fraud.domain.ports import ModelProvider
from icpa_fraud.domain.summary import ClaimSummary
from icpa_fraud.handler import handle
from icpa_local.cloud import LocalCloud
from icpa_local.load import LoadBatch, LoadReport, load_batch, run_load, seed
from icpa_orchestration import definition_text
from icpa_shared.contracts import FraudAssessment, ModelJudgement, StepInput
from icpa_shared.errors import ModelThrottledError
from icpa_shared.handler import step_handler

SEED = 20261201
THROTTLE_RATE = 0.30
CLAIMS = 200


def throttled(key: str, attempt: int) -> bool:
    """The seeded decision for one call: the same claim and attempt always get the same answer,
    whatever order concurrent executions reach the model in."""
    digest = hashlib.sha256(f"{SEED}:{key}:{attempt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < THROTTLE_RATE


class ThrottlingModel:
    """The model port with throttling in front of the real (deterministic) model."""

    def __init__(self, inner: ModelProvider) -> None:
        self.inner = inner
        self.model_id, self.model_version = inner.model_id, inner.model_version
        self.attempts: Counter[str] = Counter()
        self.throttles = 0
        self._lock = threading.Lock()

    def judge(self, summary: ClaimSummary, *, session_key: str) -> ModelJudgement:
        with self._lock:
            attempt = self.attempts[session_key]
            self.attempts[session_key] += 1
            refuse = throttled(session_key, attempt)
            self.throttles += refuse
        if refuse:
            raise ModelThrottledError("model throttled the call (injected)")
        return self.inner.judge(summary, session_key=session_key)


def fraud_handler_with(model: ThrottlingModel) -> Any:
    """The fraud Lambda with its model port replaced: the service's own injection seam."""
    from icpa_fraud.wiring import default_deps

    @step_handler(service="fraud", version=fraud_version)
    def handler(step: StepInput, context: Any) -> FraudAssessment:
        return handle(step, dataclasses.replace(default_deps(), model=model))

    return handler


def model_throttle_retries() -> int:
    states = json.loads(definition_text())["States"]
    return next(r["MaxAttempts"] for r in states["AssessFraud"]["Retry"] if "ModelThrottledError" in r["ErrorEquals"])


def outcomes(batch: LoadBatch, handler_overrides: dict[str, Any] | None) -> tuple[LoadReport, dict[str, tuple]]:
    # 0.05: a task's 60 s timeout is 3 s, long enough under load; the longest throttle backoff 3 s.
    with LocalCloud(time_scale=0.05, handler_overrides=handler_overrides) as cloud:
        seed(cloud, batch.policies)
        report = run_load(cloud, batch.claims, rate=10.0, timeout=240)
        by_claim = {}
        for status in cloud.claim_statuses():
            by_claim[status.claim_id] = (status.outcome, status.route, tuple(status.reasons), status.payable)
    return report, by_claim


def test_the_seeded_throttling_cannot_exhaust_the_retries() -> None:
    # Given the claim ids of the run, no claim meets more leading throttles than the ASL retries.
    retries = model_throttle_retries()
    keys = [json.loads(c.body)["claim_id"] for c in load_batch(CLAIMS, run=7).claims]
    leading = [next(a for a in range(retries + 2) if not throttled(k, a)) for k in keys]
    assert max(leading) <= retries
    assert sum(1 for n in leading if n >= 2) >= 5  # some claims are throttled again on retry


def test_thirty_percent_model_throttling_changes_no_outcome() -> None:
    from icpa_fraud.domain.deterministic_model import DeterministicModel

    batch = load_batch(CLAIMS, run=7)
    model = ThrottlingModel(DeterministicModel())
    faulty_report, faulty = outcomes(batch, {"FraudFunction": fraud_handler_with(model)})
    clean_report, clean = outcomes(batch, None)

    calls = sum(model.attempts.values())
    assert 0.2 < model.throttles / calls < 0.4, (model.throttles, calls)
    assert len(model.attempts) >= CLAIMS * 0.9  # every claim that passes intake consults the model
    for report in (faulty_report, clean_report):
        assert report.submitted == CLAIMS and not report.lost and not report.errors
        assert "ERROR" not in report.outcomes
    assert len(faulty) == len(clean) == CLAIMS
    assert faulty == clean
