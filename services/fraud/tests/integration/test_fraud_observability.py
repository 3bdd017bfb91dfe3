"""Trace annotations and EMF metrics for an assessment: ids, scores and signal codes only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fraud_testkit import EXECUTION_ID, WATCHLISTED_NPI, fraud_deps, index_of, put_on_file, step_for

from icpa_fraud.adapters.metrics import EmfMetrics, NoMetrics, fraud_metrics
from icpa_fraud.handler import handle, handler
from icpa_shared.observability import tracing
from icpa_shared.testing.builders import a_claim, an_intake_result


def test_an_assessment_is_annotated_with_claim_id_score_and_signal_count() -> None:
    tracing.recent_annotations.clear()
    claim = a_claim(provider_npi=WATCHLISTED_NPI)

    handle(step_for(claim), fraud_deps(claim))

    assert ("fraud", "claim_id", "CLM-0001") in tracing.recent_annotations
    assert ("fraud", "fraud_score", 0.6) in tracing.recent_annotations
    assert ("fraud", "fraud_signals", 1) in tracing.recent_annotations


def test_metrics_are_off_without_a_namespace() -> None:
    assert isinstance(fraud_metrics("fraud", None), NoMetrics)
    assert isinstance(fraud_metrics("fraud", "ICPA"), EmfMetrics)


def test_the_lambda_emits_an_assessment_count_and_one_count_per_signal(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "ICPA")
    claim = a_claim(provider_npi=WATCHLISTED_NPI)
    aws["s3"].put_object(Bucket="icpa-documents", Key="claims/CLM-0001.json", Body=claim.model_dump_json())
    put_on_file(aws["dynamodb"], index_of(claim))
    state = {"schema_version": "1.0", "source": {"bucket": "icpa-inbox", "key": "claims/c.json"}}
    state["intake"] = an_intake_result(claim).model_dump(mode="json")

    handler({"state": state, "execution_id": EXECUTION_ID}, None)

    (emf,) = (json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"'))
    assert (emf["ClaimsAssessed"], emf["Signal_PROVIDER_WATCHLIST"], emf["model"]) == ([1.0], [1.0], "consulted")
    # the dashboard's fraud panel: the score and the model calls
    assert emf["ModelCalls"] == [1.0] and 0 < emf["FraudScore"][0] <= 1


class _ThrottledModel:
    def judge(self, summary: Any, *, session_key: str) -> Any:
        from icpa_shared.errors import ModelThrottledError

        raise ModelThrottledError("Bedrock throttled the agent")


class _CountingMetrics:
    def __init__(self) -> None:
        self.throttles = 0
        self.assessed = 0

    def claim_assessed(self, signal_codes: Any, *, model_consulted: bool, score: float) -> None:
        self.assessed += 1

    def model_throttled(self) -> None:
        self.throttles += 1


def test_a_throttled_model_is_counted_and_the_error_still_reaches_the_workflow() -> None:
    from icpa_shared.errors import ModelThrottledError

    claim = a_claim()
    metrics = _CountingMetrics()
    with pytest.raises(ModelThrottledError):
        handle(step_for(claim), fraud_deps(claim, model=_ThrottledModel(), metrics=metrics))
    assert (metrics.throttles, metrics.assessed) == (1, 0)
