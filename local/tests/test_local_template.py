"""The local cloud reads the SAM template (orchestration/template.yaml) for its tables and
functions: what it derives is the template's, the packaged copy is the template, and the CLI's
cold start does not parse it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from cfnlint.decode import cfn_yaml

from icpa_local import functions, resources
from icpa_local.functions import FUNCTIONS, LambdaHandlerError, lambda_address, lambda_handlers, load_handler
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


def _repo_handler(code_uri: str) -> str:
    """The handler= of the python_awslambda target in the checkout's BUILD file, read as text
    (not through functions.py): what `./pants package` puts in the zip's shim."""
    directory, _, name = lambda_address(code_uri).partition(":")
    text = Path(directory, "BUILD").read_text(encoding="utf-8")
    for call in re.finditer(r"python_awslambda\((.*?)\n\)", text, re.DOTALL):
        if re.search(rf'name="{re.escape(name)}"', call.group(1)):
            found = re.search(r'handler="([^"]+)"', call.group(1))
            assert found, call.group(0)
            return found.group(1)
    raise AssertionError(f"no python_awslambda(name={name!r}) in {directory}/BUILD")


def test_the_functions_are_the_templates_each_running_its_zips_handler() -> None:
    template_functions = {
        lid: r["Properties"] for lid, r in _template()["Resources"].items() if r["Type"] == "AWS::Serverless::Function"
    }
    assert list(FUNCTIONS) == list(template_functions)
    # What the local cloud runs (from the BUILD files packaged with it) is what the zip runs.
    assert dict(FUNCTIONS) == {lid: _repo_handler(p["CodeUri"]) for lid, p in template_functions.items()}
    assert FUNCTIONS["RecordDecisionFunction"] == "icpa_router.handlers.record:handler"
    for logical_id in FUNCTIONS:
        assert callable(load_handler(logical_id))


def test_the_build_files_read_are_the_checkouts() -> None:
    for code_uri in {
        p["Properties"]["CodeUri"] for p in _template()["Resources"].values() if "CodeUri" in p.get("Properties", {})
    }:
        directory = lambda_address(code_uri).partition(":")[0]
        assert functions.build_file(directory).read_text(encoding="utf-8") == Path(directory, "BUILD").read_text(
            encoding="utf-8"
        )


def test_handlers_are_read_from_the_build_syntax() -> None:
    text = (
        'python_sources(sources=["**/*.py"])\n'
        'python_awslambda(\n    name="a-lambda",\n    runtime="python3.11",\n    handler="pkg.handlers.a:handler",\n)\n'
        'python_awslambda(name="b-lambda", handler="pkg.b:main", runtime="python3.11")\n'
    )
    assert lambda_handlers(text) == {"a-lambda": "pkg.handlers.a:handler", "b-lambda": "pkg.b:main"}


@pytest.mark.parametrize(
    "call",
    [
        'python_awslambda(name="x", runtime="python3.11")',  # no handler
        'python_awslambda(name="x", handler=HANDLER)',  # not a literal
        'python_awslambda(name="x", handler="pkg/handler.py:handler")',  # a file, not a module
    ],
)
def test_a_handler_the_local_cloud_cannot_run_is_a_clear_error(call: str) -> None:
    with pytest.raises(LambdaHandlerError, match="handler='module:function'"):
        lambda_handlers(call)


def test_a_code_uri_without_its_target_names_what_it_looked_for() -> None:
    with pytest.raises(LambdaHandlerError, match=r"no python_awslambda\(name='gone-lambda'\) in services/fraud"):
        functions.handler_of("services/fraud/src/icpa_fraud:gone-lambda")


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


def test_review_deadline_setting_is_scaled_like_the_wait_it_mirrors() -> None:
    from icpa_local.resources import scaled_deadlines

    assert scaled_deadlines(1.0) == {"ICPA_REVIEW_TIMEOUT_SECONDS": "259200"}  # the template's own
    assert scaled_deadlines(0.01) == {"ICPA_REVIEW_TIMEOUT_SECONDS": "2592"}
    assert scaled_deadlines(0.0001) == {"ICPA_REVIEW_TIMEOUT_SECONDS": "60"}  # the service's floor
