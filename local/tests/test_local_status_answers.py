"""`icpa status CLAIM --fhir | --x12`: the payer's answers RecordDecision stored, read back
through the embedded local cloud on the data directory."""

from __future__ import annotations

import json
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import local_fakes
import pytest

from icpa_local.cli import main
from icpa_local.connect import DEFAULT_ENDPOINT
from icpa_local.remote import probe, review_url_for

FAKE_FRAUD = f"{local_fakes.__name__}:fraud_only"


@pytest.fixture(autouse=True)
def _no_server_on_the_default_port() -> None:
    if probe(review_url_for(DEFAULT_ENDPOINT)) is not None:
        pytest.skip("an icpa serve runs on the default port: these tests are about the embedded cloud")


def icpa(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str, str]:
    code = main([*args, "--data-dir", str(data_dir), "--handlers", FAKE_FRAUD])
    out, err = capsys.readouterr()
    return code, out, err


def sample(name: str) -> str:
    return str(resources.files("icpa_local").joinpath(f"samples/{name}"))


def test_decided_claims_answer_with_a_fhir_claim_response(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fhir.resources.R4B.claimresponse import ClaimResponse

    data = tmp_path / "data"
    # Given an approved and a denied claim, both ICPA JSON
    code, out, _ = icpa(
        capsys, data, "process", sample("approve-office-visit.json"), sample("deny-lapsed-policy.json"), "--json"
    )
    results = {r["outcome"]: r for r in map(json.loads, out.splitlines())}
    assert code == 0 and set(results) == {"APPROVED", "DENIED"}

    # When their answers are asked for -- Then each is a valid FHIR R4 ClaimResponse
    answers: dict[str, Any] = {}
    for outcome, result in results.items():
        code, out, _ = icpa(capsys, data, "status", result["claim_id"], "--fhir")
        assert code == 0
        answers[outcome] = ClaimResponse.model_validate(json.loads(out))
    approved = answers["APPROVED"]
    assert approved.payment.amount.value == Decimal(results["APPROVED"]["payable_amount"])
    assert answers["DENIED"].payment.amount.value == 0
    denied_reasons = {
        c.code for item in answers["DENIED"].item for a in item.adjudication if a.reason for c in a.reason.coding
    }
    assert {"POLICY_LAPSED", "27"} <= denied_reasons  # ICPA's code and its CARC value

    # A JSON claim has no 835, and an unknown claim has no answer: both say so
    code, _, err = icpa(capsys, data, "status", results["APPROVED"]["claim_id"], "--x12")
    assert code != 0 and "only claims that came as an 837" in err
    code, _, err = icpa(capsys, data, "status", "CLM-NOPE", "--fhir")
    assert code != 0 and "no ClaimResponse" in err
