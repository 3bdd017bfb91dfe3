"""The local cloud reads the SAM template (orchestration/template.yaml) for its tables and
functions: what it derives is the template's, the packaged copy is the template, and the CLI's
cold start does not parse it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cfnlint.decode import cfn_yaml

from icpa_local import resources
from icpa_local.functions import FUNCTIONS, LAMBDA_HANDLERS, lambda_address, load_handler
from icpa_local.resources import Names, table_definitions

TEMPLATE = Path("orchestration/template.yaml")


def _template() -> dict:
    return dict(cfn_yaml.load(str(TEMPLATE)))


def test_the_template_read_at_run_time_is_the_repos() -> None:
    assert resources.template_path().read_text(encoding="utf-8") == TEMPLATE.read_text(encoding="utf-8")


def test_every_table_of_the_template_is_created_with_its_keys_and_indexes_under_its_local_name() -> None:
    tables = {
        lid: r["Properties"] for lid, r in _template()["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"
    }
    names = Names()
    created = {d["TableName"]: d for d in table_definitions(names)}
    assert set(created) == {
        names.claims_table,
        names.policies_table,
        names.idempotency_table,
        names.reviews_table,
        names.audit_table,
    }
    assert len(created) == len(tables)
    by_local = {getattr(names, field): lid for lid, field in resources._TABLES.items()}
    for name, definition in created.items():
        props = tables[by_local[name]]
        assert definition["KeySchema"] == props["KeySchema"]
        assert definition["AttributeDefinitions"] == props["AttributeDefinitions"]
        indexes = props.get("GlobalSecondaryIndexes", [])
        assert [i["IndexName"] for i in definition.get("GlobalSecondaryIndexes", [])] == [
            i["IndexName"] for i in indexes
        ]
        for made, declared in zip(definition.get("GlobalSecondaryIndexes", []), indexes, strict=True):
            assert (made["KeySchema"], made["Projection"]) == (declared["KeySchema"], declared["Projection"])
    # Worked example: the audit table's sort key is a number.
    assert {"AttributeName": "sequence", "AttributeType": "N"} in created[names.audit_table]["AttributeDefinitions"]


def test_the_functions_are_the_templates_each_running_its_zips_handler() -> None:
    functions = {
        lid: r["Properties"] for lid, r in _template()["Resources"].items() if r["Type"] == "AWS::Serverless::Function"
    }
    assert list(FUNCTIONS) == list(functions)
    assert {lambda_address(p["CodeUri"]) for p in functions.values()} == set(LAMBDA_HANDLERS)
    assert FUNCTIONS["RecordDecisionFunction"] == "icpa_router.handlers.record:handler"
    for logical_id in FUNCTIONS:
        assert callable(load_handler(logical_id))


def test_the_lambda_address_is_the_target_that_builds_the_zip() -> None:
    uri = "../dist/services.review-callback.src.icpa_review_callback/review-api-lambda.zip"
    assert lambda_address(uri) == "services/review-callback/src/icpa_review_callback:review-api-lambda"


def test_the_cli_cold_start_does_not_parse_the_template() -> None:
    probe = (
        "import icpa_local.cli, icpa_local.functions, icpa_local.provisioning\n"
        "from icpa_local import resources\n"
        "print(resources.template.cache_info().currsize)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
