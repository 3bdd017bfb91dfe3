"""The template explainer and the PHI-free facts an explainer may see."""

from __future__ import annotations

import json

import pytest
from adjudication_testkit import adjudicated

from icpa_adjudication.domain.adjudicate import with_explanation
from icpa_adjudication.domain.explanation import (
    MAX_EXPLANATION_CHARS,
    REASON_TEXT,
    TemplateExplainer,
    explanation_facts,
    foreign_amounts,
)
from icpa_shared.contracts import reasons as rc
from icpa_shared.testing.builders import a_claim, a_line, a_policy, usd

pytestmark = pytest.mark.unit

MET = {"deductible_met": usd("500.00")}


def test_the_template_explains_outcome_totals_and_each_line() -> None:
    claim = a_claim(lines=[a_line(1), a_line(2, procedure_code="97110", charge=usd("50.00"))])
    result = adjudicated(claim, a_policy(**MET))
    explanation = TemplateExplainer().explain(result)
    assert explanation.model_id is None
    assert explanation.text.splitlines() == [
        "Outcome: PARTIAL. 1 of 2 line(s) covered.",
        "The plan pays 73.60 USD of 200.00 USD submitted. Allowed 92.00 USD; member share 18.40 USD "
        "(deductible 0.00 USD, copay 0.00 USD, coinsurance 18.40 USD).",
        "Line 1 (99213): covered, submitted 150.00 USD, allowed 92.00 USD, coinsurance 18.40 USD, plan pays "
        "73.60 USD: the fee schedule lowered the allowed amount (FEE_SCHEDULE_APPLIED); coinsurance applies "
        "(COINSURANCE_APPLIED).",
        "Line 2 (97110): denied, submitted 50.00 USD, pays 0.00 USD: the procedure is not a covered service "
        "(NOT_COVERED).",
    ]


def test_every_reason_code_adjudication_emits_has_words() -> None:
    emitted = {
        rc.COVERED,
        rc.POLICY_LAPSED,
        rc.NOT_EFFECTIVE_ON_DATE,
        rc.MEMBER_NOT_ON_POLICY,
        rc.NOT_COVERED,
        rc.EXCLUDED_SERVICE,
        rc.WAITING_PERIOD,
        rc.PRIOR_AUTH_REQUIRED,
        rc.ANNUAL_LIMIT_REACHED,
        rc.PER_PROCEDURE_LIMIT,
        rc.FEE_SCHEDULE_APPLIED,
        rc.DEDUCTIBLE_APPLIED,
        rc.COPAY_APPLIED,
        rc.COINSURANCE_APPLIED,
        "NO_FEE_SCHEDULE_RATE",
    }
    assert emitted <= set(REASON_TEXT)


def test_a_long_claim_is_cut_at_whole_lines_within_the_contract_limit() -> None:
    lines = [a_line(n, procedure_code="97110" if n % 2 else "99213") for n in range(1, 51)]
    result = adjudicated(a_claim(lines=lines), a_policy(**MET))
    text = TemplateExplainer().explain(result).text
    assert len(text) <= MAX_EXPLANATION_CHARS
    assert text.rstrip().endswith("more line(s) not shown.)")
    shown = sum(1 for row in text.splitlines() if row.startswith("Line "))
    assert f"({50 - shown} more line(s) not shown.)" in text
    # and the result still validates with it attached
    assert with_explanation(result, text, None).explanation == text


def test_facts_carry_no_identifiers() -> None:
    result = adjudicated(a_claim(claim_id="CLM-SECRET-42"), a_policy())
    dumped = json.dumps(explanation_facts(result))
    for identifier in ("CLM-SECRET-42", "POL-GOLD001", "MBR000001", "SUB000001", "1234567893", "2026-03"):
        assert identifier not in dumped
    facts = explanation_facts(result)
    assert facts["outcome"] == "APPROVED"
    assert facts["lines"][0]["payable"] == str(result.lines[0].payable.amount)


class TestForeignAmounts:
    def test_amounts_from_the_result_pass_in_any_common_spelling(self) -> None:
        result = adjudicated(a_claim(lines=[a_line(1, charge=usd("1500.00"))]), a_policy(**MET))
        # allowed 92.00, coinsurance 18.40, pays 73.60, submitted 1,500.00
        text = "Submitted 1,500.00, allowed $92.00; you owe 18.40 and the plan pays 73.60 USD for 99213."
        assert foreign_amounts(text, result) == []

    def test_an_amount_the_result_does_not_contain_is_reported(self) -> None:
        result = adjudicated(a_claim(), a_policy(**MET))
        assert foreign_amounts("The plan pays 120.00 and you owe 18.40.", result) == ["120.00"]
