"""Contract validation: good and bad values for money, codes, dates and ids."""

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from icpa_shared.contracts import (
    Adjudication,
    Claim,
    ClaimDocument,
    ClaimLine,
    ClaimSource,
    LineAdjudication,
    Money,
    PolicySnapshot,
    ReviewDecision,
    StepInput,
    WorkflowState,
)
from icpa_shared.digest import sha256_hex
from icpa_shared.testing.builders import FIXED_NOW, a_claim, a_line, a_policy, a_step, an_intake_result, usd


class TestMoney:
    def test_rounds_half_up_to_cents(self) -> None:
        assert Money.of("10.005").amount == Decimal("10.01")
        assert Money.of("10.004").amount == Decimal("10.00")
        assert Money.of("2.675").amount == Decimal("2.68")  # a float would give 2.67

    def test_serializes_as_string(self) -> None:
        assert Money.of("7").model_dump(mode="json") == {"amount": "7.00", "currency": "USD"}

    @pytest.mark.parametrize("bad", [0.1, True, "abc", "-1.00", "10000000.01", "NaN", "Infinity"])
    def test_rejects_floats_negatives_absurd_and_non_numbers(self, bad: object) -> None:
        with pytest.raises(ValidationError):
            Money(amount=bad)

    @pytest.mark.parametrize("bad", ["usd", "US", "USDX", ""])
    def test_currency_is_iso_4217_shaped(self, bad: str) -> None:
        with pytest.raises(ValidationError):
            Money(amount=Decimal("1"), currency=bad)

    def test_arithmetic_refuses_mixed_currency_and_negative_results(self) -> None:
        with pytest.raises(ValueError, match="currency"):
            _ = usd("1") + Money(amount=Decimal("1"), currency="EUR")
        with pytest.raises(ValidationError):
            _ = usd("1") - usd("2")
        assert usd("1.10") + usd("2.20") == usd("3.30")

    def test_is_frozen(self) -> None:
        m = usd("1")
        with pytest.raises(ValidationError):
            m.amount = Decimal("2")  # type: ignore[misc]


class TestCodesAndIds:
    @pytest.mark.parametrize("code", ["J06.9", "E11.9", "S52.501A", "Z00.00", "A00"])
    def test_good_icd10(self, code: str) -> None:
        assert a_claim(diagnosis_codes=[code]).diagnosis_codes == [code]

    @pytest.mark.parametrize("code", ["j06.9", "U07", "123", "J06.", "J06.12345", "J069 ", ""])
    def test_bad_icd10(self, code: str) -> None:
        with pytest.raises(ValidationError):
            a_claim(diagnosis_codes=[code])

    @pytest.mark.parametrize("code", ["99213", "0001U", "1234F", "0042T", "J3490", "E0114"])
    def test_good_procedure_codes(self, code: str) -> None:
        assert a_line(procedure_code=code).procedure_code == code

    @pytest.mark.parametrize("code", ["9921", "992133", "D1234", "I1234", "ABCDE", "99213 "])
    def test_bad_procedure_codes(self, code: str) -> None:
        with pytest.raises(ValidationError):
            a_line(procedure_code=code)

    @pytest.mark.parametrize("npi", ["1234567893", "1245319599"])
    def test_good_npi(self, npi: str) -> None:
        assert a_claim(provider_npi=npi).provider_npi == npi

    @pytest.mark.parametrize("npi", ["1234567890", "3234567893", "123456789", "12345678930", 1234567893])
    def test_bad_npi(self, npi: object) -> None:
        with pytest.raises(ValidationError):
            a_claim(provider_npi=npi)

    @pytest.mark.parametrize(
        "field,value",
        [
            ("member_id", "MBR12"),
            ("member_id", "mbr000001"),
            ("subscriber_id", "MBR000001"),
            ("policy_id", "POL-x"),
            ("claim_id", "a"),
            ("claim_id", "bad id with spaces"),
        ],
    )
    def test_bad_ids(self, field: str, value: str) -> None:
        with pytest.raises(ValidationError):
            a_claim(**{field: value})


class TestClaimConsistency:
    def test_total_must_be_the_sum_of_lines(self) -> None:
        with pytest.raises(ValidationError, match="sum of lines"):
            a_claim(total_charge=usd("999.00"))

    def test_dates_in_order(self) -> None:
        with pytest.raises(ValidationError, match="after service_date_to"):
            a_claim(service_date_from=date(2026, 3, 2), service_date_to=date(2026, 3, 1))
        with pytest.raises(ValidationError, match="received"):
            a_claim(received_date=date(2026, 2, 1))

    def test_line_date_within_claim_dates(self) -> None:
        with pytest.raises(ValidationError, match="outside"):
            a_claim(lines=[a_line(1)], service_date_from=date(2026, 3, 2), service_date_to=date(2026, 3, 3))

    def test_line_charge_positive_and_pointers_exist(self) -> None:
        with pytest.raises(ValidationError, match="positive"):
            a_line(charge=usd("0"))
        with pytest.raises(ValidationError, match="missing diagnosis"):
            a_claim(lines=[a_line(1, diagnosis_pointers=[2])])

    def test_too_many_lines(self) -> None:
        lines = [a_line(i) for i in range(1, 51)]
        assert len(a_claim(lines=lines).lines) == 50
        with pytest.raises(ValidationError):
            ClaimLine(**{**a_line(1).model_dump(), "line_number": 51})

    def test_unknown_fields_are_rejected(self) -> None:
        data = a_claim().model_dump(mode="json")
        data["ssn"] = "123-45-6789"
        with pytest.raises(ValidationError, match="Extra inputs"):
            type(a_claim()).model_validate(data)

    def test_round_trips_through_json(self) -> None:
        claim = a_claim(lines=[a_line(1), a_line(2, charge=usd("20.10"))])
        assert type(claim).model_validate_json(claim.model_dump_json()) == claim


class TestDecisions:
    def _line(self, **overrides: object) -> LineAdjudication:
        fields: dict[str, object] = {
            "line_number": 1,
            "procedure_code": "99213",
            "eligible": True,
            "covered": True,
            "submitted": usd("150"),
            "allowed": usd("100"),
            "deductible": usd("20"),
            "copay": usd("0"),
            "coinsurance": usd("16"),
            "payable": usd("64"),
            "reason_codes": ["COVERED"],
        }
        fields.update(overrides)
        return LineAdjudication(**fields)

    def test_line_amounts_must_add_up(self) -> None:
        assert self._line().payable == usd("64")
        with pytest.raises(ValidationError, match="member share"):
            self._line(payable=usd("65"))
        with pytest.raises(ValidationError, match="allowed exceeds"):
            self._line(allowed=usd("200"), payable=usd("164"))

    def test_uncovered_line_pays_nothing(self) -> None:
        with pytest.raises(ValidationError, match="pays nothing"):
            self._line(covered=False)

    def test_totals_are_sums(self) -> None:
        line = self._line()
        names = ("submitted", "allowed", "deductible", "copay", "coinsurance", "payable")
        totals = {k: getattr(line, k) for k in names}
        adj = Adjudication(
            claim_id="CLM-0001",
            policy_id="POL-GOLD001",
            outcome="APPROVED",
            lines=[line],
            totals=totals,
            service_version="1.0.0",
            adjudicated_at=FIXED_NOW,
        )
        assert adj.totals.payable == usd("64")
        with pytest.raises(ValidationError, match="totals.payable"):
            Adjudication(
                claim_id="CLM-0001",
                policy_id="POL-GOLD001",
                outcome="APPROVED",
                lines=[line],
                totals={**totals, "payable": usd("1")},
                service_version="1.0.0",
                adjudicated_at=FIXED_NOW,
            )

    def test_review_needs_rationale_and_aware_time(self) -> None:
        base = {
            "review_id": "REV-" + "a" * 32,
            "claim_id": "CLM-0001",
            "reviewer_id": "alice",
            "decision": "APPROVE",
            "rationale": "Documentation supports the visit.",
            "decided_at": FIXED_NOW,
        }
        assert ReviewDecision(**base).decision == "APPROVE"
        with pytest.raises(ValidationError):
            ReviewDecision(**{**base, "rationale": "  "})
        with pytest.raises(ValidationError):
            ReviewDecision(**{**base, "decided_at": FIXED_NOW.replace(tzinfo=None)})
        with pytest.raises(ValidationError):
            ReviewDecision(**{**base, "decision": "MAYBE"})

    def test_policy_consistency(self) -> None:
        with pytest.raises(ValidationError):
            a_policy(deductible_met=usd("600"))
        with pytest.raises(ValidationError):
            a_policy(coinsurance_rate=Decimal("1.5"))


class TestWorkflowState:
    def test_step_input_parses_what_the_asl_sends(self) -> None:
        step = a_step()
        raw = step.model_dump(mode="json")
        raw["state"]["error"] = {"Error": "InvalidClaimError", "Cause": "bad [X]"}
        parsed = StepInput.model_validate(raw)
        assert parsed.state.error is not None and parsed.state.error.error == "InvalidClaimError"

    def test_state_refuses_unknown_keys(self) -> None:
        raw = a_step().state.model_dump(mode="json")
        raw["claim_document"] = {"huge": "x"}
        with pytest.raises(ValidationError):
            WorkflowState.model_validate(raw)


class TestClaimSource:
    def test_a_claim_without_a_source_still_validates(self) -> None:
        assert a_claim().source is None

    def test_x12_provenance_round_trips_through_json(self) -> None:
        source = ClaimSource(
            format="x12-837p",
            interchange_control_number="000000001",
            group_control_number="1",
            transaction_set_control_number="0001",
            claim_position=2,
            patient_control_number="26463774",
            sender_id="SUBMITTERID",
            receiver_id="RECEIVERID",
            payer_name="ABC INSURANCE",
            payer_id="12345",
            billing_provider_name="BILLING CLINIC",
            billing_provider_npi="1234567893",
            facility_type_code="11",
            claim_frequency_code="1",
        )
        claim = a_claim().model_copy(update={"source": source})
        assert Claim.model_validate_json(claim.model_dump_json()).source == source

    @pytest.mark.parametrize(
        "bad",
        [
            {"format": "x12-835"},
            {"format": "x12-837p", "claim_position": 0},
            {"format": "x12-837p", "billing_provider_npi": "1234567890"},
            {"format": "x12-837i", "payer_name": ""},
            {"format": "icpa-json", "unknown": "x"},
        ],
    )
    def test_a_malformed_source_is_refused(self, bad: dict[str, object]) -> None:
        with pytest.raises(ValidationError):
            ClaimSource.model_validate(bad)


@pytest.mark.parametrize(
    "garbage",
    [
        {"sequence": 0, "hash": "a" * 64},  # no event has sequence 0
        {"sequence": 3, "hash": "not-a-sha256"},
        {"sequence": "3; DROP", "hash": "a" * 64},
        {"sequence": 3, "hash": "a" * 64, "previous_hash": "b" * 64},  # nothing else rides along
    ],
)
def test_a_garbage_audit_head_in_state_is_refused_by_the_contract(garbage: dict[str, object]) -> None:
    # Given a step's input whose intake result carries a malformed audit head
    step = a_step(intake=an_intake_result()).model_dump(mode="json")
    step["state"]["intake"]["audit_head"] = garbage

    # Then the step input does not parse (the handler raises ContractViolationError): no event
    # is ever built on it
    with pytest.raises(ValidationError, match="audit_head"):
        StepInput.model_validate(step)


def test_a_claim_document_keeps_the_policy_snapshot_and_reads_documents_written_before_it() -> None:
    claim, policy = a_claim(), a_policy()
    document = ClaimDocument.of(claim, PolicySnapshot.of(policy, read_at=FIXED_NOW))

    assert ClaimDocument.model_validate_json(document.model_dump_json()) == document
    assert document.snapshot_policy == policy and document.policy_snapshot is not None
    assert document.policy_snapshot.digest == sha256_hex(policy)  # the policy's version
    older = ClaimDocument.model_validate_json(claim.model_dump_json())  # written before snapshots
    assert older.policy_snapshot is None and older.snapshot_policy is None


def test_an_altered_policy_snapshot_does_not_parse() -> None:
    snapshot = PolicySnapshot.of(a_policy(), read_at=FIXED_NOW).model_dump(mode="json")
    snapshot["policy"]["deductible_met"] = {"amount": "400.00", "currency": "USD"}  # digest kept
    document = {**a_claim().model_dump(mode="json"), "policy_snapshot": snapshot}

    with pytest.raises(ValidationError, match="digest is not the policy's"):
        ClaimDocument.model_validate(document)


def test_a_snapshot_of_another_policy_does_not_parse() -> None:
    other = PolicySnapshot.of(a_policy(policy_id="POL-OTHER01"), read_at=FIXED_NOW)

    with pytest.raises(ValidationError, match="not the claim's policy"):
        ClaimDocument.of(a_claim(), other)


def test_a_submitted_claim_cannot_bring_a_policy_snapshot() -> None:
    # The input contract stays the claim alone: the policy is what Intake reads, never the file's
    snapshot = PolicySnapshot.of(a_policy(), read_at=FIXED_NOW).model_dump(mode="json")
    with pytest.raises(ValidationError, match="policy_snapshot"):
        Claim.model_validate({**a_claim().model_dump(mode="json"), "policy_snapshot": snapshot})
