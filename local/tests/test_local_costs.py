"""The cost arithmetic (icpa_local.costs), with expectations computed by hand from small tables."""

from __future__ import annotations

import math
from typing import Any

import pytest

from icpa_local.commands.cost import report
from icpa_local.costmeter import history_usage
from icpa_local.costs import (
    COMPONENT_OF_PRICE,
    ROUTES,
    Dominance,
    FunctionSpec,
    ObservedCall,
    Price,
    PriceTable,
    PriceTableError,
    TableSpec,
    Usage,
    claim_cost,
    dominance,
    dynamodb_units,
    item_size,
    load_prices,
    monthly_cost,
    read_units,
    usage_from_calls,
    write_units,
)

ASSUMPTIONS = {
    "model_invocations_per_agent_call": 2,
    "model_input_tokens_per_invocation": 1000,
    "model_output_tokens_per_invocation": 100,
    "kms_requests_per_sns_publish": 1,
    "stepfunctions_log_bytes_per_event": 0,
}


def prices(**overrides: tuple[float, float]) -> PriceTable:
    """Every price zero and free of allowance, except `key=(usd, free_per_month)`."""
    table = {key: Price(0.0, "", "test", "2026-12-01") for key in COMPONENT_OF_PRICE}
    for key, (usd, free) in overrides.items():
        table[key] = Price(usd, "", "test", "2026-12-01", free)
    mix = {"auto_approve": 0.5, "auto_deny": 0.2, "human_review": 0.2, "rejected": 0.1}
    return PriceTable("us-east-1", table, ASSUMPTIONS, mix)


FUNCTIONS = {"Small": FunctionSpec(512, "x86_64"), "Arm": FunctionSpec(2048, "arm64")}


# -- DynamoDB units -------------------------------------------------------------------------------


def test_item_size_counts_attribute_names_and_values() -> None:
    assert item_size({"id": {"S": "abc"}}) == 2 + 3
    assert item_size({"n": {"N": "123"}}) == 1 + 3  # 3 digits: (3 + 1) // 2 + 1 bytes
    assert item_size({"ok": {"BOOL": True}, "z": {"NULL": True}}) == 3 + 2
    assert item_size({"m": {"M": {"k": {"S": "vv"}}}}) == 1 + 3 + (1 + 1 + 2)
    assert item_size({"l": {"L": [{"S": "a"}, {"S": "bb"}]}}) == 1 + 3 + (1 + 1) + (1 + 2)
    assert item_size({"é": {"S": "é"}}) == 2 + 2  # UTF-8 bytes, not characters


@pytest.mark.parametrize(
    ("size", "consistent", "units"),
    [(0, True, 1), (4096, True, 1), (4097, True, 2), (4097, False, 1.0), (1, False, 0.5)],
)
def test_reads_are_4kb_units_halved_when_eventually_consistent(size: int, consistent: bool, units: float) -> None:
    assert read_units(size, consistent=consistent) == units


def test_writes_are_1kb_units_doubled_in_transactions() -> None:
    assert [write_units(s) for s in (0, 1024, 1025, 3000)] == [1, 1, 2, 3]
    assert write_units(1025, transactional=True) == 4


def test_dynamodb_calls_bill_what_they_read_and_write_with_their_indexes() -> None:
    tables = {"claims": TableSpec((("member_id", "service_date"),))}
    big = {"claim_id": {"S": "C1"}, "member_id": {"S": "M"}, "service_date": {"S": "d"}, "blob": {"S": "x" * 1500}}
    put = ObservedCall("F", "dynamodb", "PutItem", {"TableName": "claims", "Item": big})
    put_unindexed = ObservedCall("F", "dynamodb", "PutItem", {"TableName": "claims", "Item": {"claim_id": {"S": "C"}}})
    query = ObservedCall(
        "F",
        "dynamodb",
        "Query",
        {"TableName": "claims", "IndexName": "member-date-index", "ConsistentRead": False},
        {"Items": [{"blob": {"S": "y" * 2996}}] * 3},  # 3 x 3000 bytes = 9000: three 4 KB units, halved
    )
    get = ObservedCall("F", "dynamodb", "GetItem", {"TableName": "claims", "ConsistentRead": True}, {})
    key = {"claim_id": {"S": "C1"}}
    update = ObservedCall("F", "dynamodb", "UpdateItem", {"TableName": "claims", "Key": key})
    final = {("claims", '{"claim_id": {"S": "C1"}}'): big}

    assert dynamodb_units(put, tables, final) == (0.0, 2 * 2)  # 1.5 KB -> 2 WRU, once more for the GSI
    assert dynamodb_units(put_unindexed, tables, final) == (0.0, 1)
    assert dynamodb_units(query, tables, final) == (1.5, 0.0)
    assert dynamodb_units(get, tables, final) == (1.0, 0.0)  # a miss still costs a unit
    assert dynamodb_units(update, tables, final) == (0.0, 4)  # the item as it ended, with its GSI


def test_calls_become_s3_sns_kms_and_model_quantities() -> None:
    calls = [
        ObservedCall("F", "s3", "PutObject", {"Bucket": "b", "Key": "k"}),
        ObservedCall("F", "s3", "CopyObject", {"Bucket": "b", "Key": "c"}),
        ObservedCall("F", "s3", "GetObject", {"Bucket": "b", "Key": "k"}),
        ObservedCall("F", "s3", "HeadObject", {"Bucket": "b", "Key": "k"}),
        ObservedCall("F", "s3", "DeleteObject", {"Bucket": "b", "Key": "k"}),
        ObservedCall("F", "sns", "Publish", {"Message": "m" * 70_000}),  # two 64 KB chunks
        ObservedCall("F", "kms", "Decrypt", {}),
        ObservedCall("F", "bedrock-agent-runtime", "InvokeAgent", {}),
    ]

    usage = usage_from_calls(calls, tables={}, final_items={}, object_sizes={("b", "k"): 700})

    assert (usage.s3_put, usage.s3_get, usage.s3_bytes_stored) == (2, 2, 700)
    assert (usage.sns_publishes, usage.kms_requests, usage.model_calls) == (2, 1, 1)


# -- prices x usage -------------------------------------------------------------------------------


def test_one_claim_at_list_price_by_component() -> None:
    table = prices(
        stepfunctions_transition=(0.000025, 4000),
        lambda_request=(0.0000002, 0),
        lambda_gb_second_x86_64=(0.0000166667, 0),
        lambda_gb_second_arm64=(0.0000133334, 0),
        model_input_1k_tokens=(0.00025, 0),
        model_output_1k_tokens=(0.00125, 0),
        kms_request=(0.000003, 0),
    )
    usage = Usage(
        transitions=8,
        lambda_requests={"Small": 2, "Arm": 1},
        lambda_billed_ms={"Small": 200, "Arm": 50},
        model_calls=1,
        sns_publishes=1,
    )

    cost = claim_cost(usage, FUNCTIONS, table)

    assert cost["Step Functions"] == pytest.approx(8 * 0.000025)  # no allowance per claim
    # 0.2 s x 0.5 GB on x86 + 0.05 s x 2 GB on arm64, plus three requests
    assert cost["Lambda"] == pytest.approx(0.1 * 0.0000166667 + 0.1 * 0.0000133334 + 3 * 0.0000002)
    # one agent call = two model turns of 1,000 tokens in and 100 out
    assert cost["Model (Bedrock)"] == pytest.approx(2 * (1.0 * 0.00025 + 0.1 * 0.00125))
    assert cost["KMS"] == pytest.approx(0.000003)  # the publish's data key
    assert cost["DynamoDB"] == 0.0


def test_a_month_takes_the_free_allowances_off_and_adds_the_fixed_items() -> None:
    table = prices(
        stepfunctions_transition=(0.000025, 4000),
        lambda_gb_second_x86_64=(0.00001, 400_000),
        lambda_gb_second_arm64=(0.00002, 400_000),
        kms_key_month=(1.0, 0),
        cloudwatch_alarm_month=(0.10, 10),
    )
    usage = Usage(transitions=8, lambda_billed_ms={"Small": 1000, "Arm": 1000})  # 0.5 + 2 GB-s a claim

    month = monthly_cost(usage, 100_000, FUNCTIONS, table, {"kms_key_month": 2, "cloudwatch_alarm_month": 7})

    assert month["Step Functions"] == pytest.approx((800_000 - 4000) * 0.000025)
    # One shared allowance: x86's 50,000 GB-s are free, the other 350,000 go to arm64's 200,000.
    assert month["Lambda"] == pytest.approx(0.0)
    assert month["KMS"] == pytest.approx(2.0)
    assert month["CloudWatch"] == 0.0  # 7 alarms, 10 free
    bigger = monthly_cost(usage, 1_000_000, FUNCTIONS, table, {})
    assert bigger["Lambda"] == pytest.approx((500_000 - 400_000) * 0.00001 + 2_000_000 * 0.00002)


def test_the_volume_where_each_component_leads() -> None:
    table = prices(stepfunctions_transition=(0.000025, 4000), kms_key_month=(1.0, 0))
    usage = Usage(transitions=8)

    # Step Functions reaches the key's $1 when (8 N - 4000) x 0.000025 = 1: N = 5,500 (a tie
    # goes to the component listed first).
    assert dominance(usage, FUNCTIONS, table, {"kms_key_month": 1}, high=1_000_000) == [
        Dominance("KMS", 1, 5499),
        Dominance("Step Functions", 5500, None),
    ]


def test_the_report_compares_with_the_design_record() -> None:
    table = load_prices()
    per_route = {route: Usage(transitions=8) for route in ROUTES}

    data = report(per_route, claims_per_month=2_160_000, functions=FUNCTIONS, prices=table, fixed={})

    assert data["design"]["stepfunctions_month_measured_at_design_volume"] == pytest.approx(432.0)
    assert data["monthly"]["Step Functions"] == pytest.approx(432.0 - 4000 * 0.000025)
    assert data["per_claim_all_in"] == pytest.approx(data["monthly_total"] / 2_160_000)
    assert data["per_claim_all_in"] < data["design"]["budget_per_claim"]


def test_usage_means_average_every_quantity() -> None:
    a = Usage(transitions=8, rru=1, lambda_billed_ms={"F": 10})
    b = Usage(transitions=10, rru=2, lambda_billed_ms={"F": 20, "G": 4})

    mean = Usage.mean([a, b])

    assert (mean.transitions, mean.rru, mean.lambda_billed_ms) == (9, 1.5, {"F": 15, "G": 2})


# -- the price table ------------------------------------------------------------------------------


def test_the_packaged_price_table_is_complete_with_sources_and_dates() -> None:
    table = load_prices()

    assert table.region == "us-east-1"
    assert set(table.prices) == set(COMPONENT_OF_PRICE)
    assert all(
        p.source.startswith(("AWS", "Amazon")) and "https://aws.amazon.com/" in p.source for p in table.prices.values()
    )
    assert all(p.as_of for p in table.prices.values())
    assert table.usd("stepfunctions_transition") * 1000 == pytest.approx(0.025)  # the design's $25 per million
    assert math.isclose(sum(table.route_mix.values()), 1.0)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace('as_of = "2026-12-01"', "", 1), "source and as_of"),
        (lambda t: t.replace("rejected = 0.05", "rejected = 0.5"), "summing to 1"),
        (lambda t: t.replace("kms_requests_per_sns_publish = 1", ""), "kms_requests_per_sns_publish"),
    ],
)
def test_an_incomplete_price_table_is_refused(edit: Any, message: str) -> None:
    from importlib import resources

    text = resources.files("icpa_orchestration").joinpath("pricing.toml").read_text()
    with pytest.raises(PriceTableError, match=message):
        load_prices(edit(text))


# -- an execution's history -----------------------------------------------------------------------


def test_transitions_count_states_entered_and_retries_and_model_calls_are_found() -> None:
    def entered(kind: str, name: str) -> dict[str, Any]:
        return {"type": f"{kind}StateEntered", "stateEnteredEventDetails": {"name": name}}

    def exited(name: str, output: str = "{}") -> dict[str, Any]:
        return {"type": "TaskStateExited", "stateExitedEventDetails": {"name": name, "output": output}}

    history = [
        {"type": "ExecutionStarted"},
        entered("Task", "AssessFraud"),
        {"type": "LambdaFunctionScheduled"},
        {"type": "LambdaFunctionFailed"},
        {"type": "LambdaFunctionScheduled"},  # a retry: billed as one more transition
        exited("AssessFraud", '{"fraud": {"model": {"model_id": "m"}}}'),
        entered("Task", "Adjudicate"),
        {"type": "LambdaFunctionScheduled"},
        exited("Adjudicate"),
        entered("Choice", "ChooseRoute"),
        {"type": "ExecutionSucceeded"},
    ]

    assert history_usage(history) == (3 + 1, len(history), 2)
    no_model = [
        e if e.get("type") != "TaskStateExited" else exited(e["stateExitedEventDetails"]["name"]) for e in history
    ]
    assert history_usage(no_model)[2] == 1  # the explainer only


# -- measured in the local cloud ------------------------------------------------------------------


def test_icpa_cost_measures_every_route_in_a_throwaway_cloud(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from icpa_local.cli import main

    code = main(["cost", "--json", "--per-route", "1", "--claims-per-month", "100000", "--data-dir", str(tmp_path)])
    data = json.loads(capsys.readouterr().out)

    assert code == 0 and data["measured"]["claims"] == 4
    usage = data["usage_per_claim"]
    assert set(usage) == set(ROUTES)
    approve, review, rejected = usage["auto_approve"], usage["human_review"], usage["rejected"]
    # The automatic path enters the design's 8 states (plus any routing before Intake); a review
    # adds the wait and the reviewer's choice; a rejected file goes Intake -> quarantine.
    assert approve["transitions"] >= 8 and review["transitions"] == approve["transitions"] + 2
    assert set(approve["lambda_requests"]) == {
        "IntakeFunction",
        "FraudFunction",
        "AdjudicationFunction",
        "RouterFunction",
        "RecordDecisionFunction",
        "ArchiverFunction",
    }
    assert {"ReviewRequestFunction", "ReviewApiFunction"} <= set(review["lambda_requests"])
    assert "FraudFunction" not in rejected["lambda_requests"] and "QuarantineFunction" in rejected["lambda_requests"]
    assert approve["model_calls"] == 2 and rejected["model_calls"] == 0
    assert review["sns_publishes"] == 1 and review["api_requests"] == 1 and approve["sns_publishes"] == 0
    assert approve["wru"] > 0 and approve["rru"] > 0 and approve["s3_put"] >= 2
    # Dollars add up, and the data directory was never touched.
    assert data["monthly_total"] == pytest.approx(sum(data["monthly"].values()))
    assert not any(tmp_path.iterdir())


def test_dollars_read_without_rounding_to_nothing() -> None:
    from icpa_local.commands.cost import _usd

    assert [_usd(v) for v in (0.0, 5e-7, 0.000003, 0.2, 1234.5)] == [
        "0",
        "<$0.000001",
        "$0.000003",
        "$0.200000",
        "$1,234.50",
    ]


@pytest.mark.parametrize("args", [["--claims-per-month", "0"], ["--per-route", "4"]])
def test_icpa_cost_refuses_a_volume_or_sample_count_it_cannot_price(
    args: list[str], tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from icpa_local.cli import EXIT_USAGE, main

    assert main(["cost", *args, "--data-dir", str(tmp_path)]) == EXIT_USAGE
    assert "--claims-per-month must be positive and --per-route 1..3" in capsys.readouterr().err
