"""The state process's copy, request-id and endpoint patches (sections 14-16 of
icpa_local.moto_patches) keep moto's semantics: each is compared with moto unpatched (the patch
undone for the comparison), and each is checked to skip the cost it removes."""

from __future__ import annotations

import ast
import contextlib
import copy
import datetime
import enum
import inspect
import json
import os
import re
import sys
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from local_fakes import Call, FakeSteps, spy_on

from icpa_local import moto_patches
from icpa_local.cloud import LocalCloud
from icpa_local.moto_patches import copies
from icpa_shared.errors import ModelThrottledError

Patched = tuple[Any, str]  # a patched attribute: (owner, name)


def unpatched(*attributes: Patched) -> contextlib.AbstractContextManager[None]:
    """moto as released for these attributes, inside the block."""
    return moto_patches.REGISTRY.undone(*attributes)


def _copy_modules() -> list[Patched]:
    return [(moto_patches.moto_module(name), "copy") for name in copies.JSON_COPY_MODULES]


def _json_copy_patch() -> list[Patched]:
    return [*_copy_modules(), (copies, "PLAIN_CLASSES")]


@pytest.fixture(autouse=True)
def installed() -> None:
    moto_patches.install()


# --- 14. JSON copies: the copy itself ----------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=40,
)


def _containers(value: Any) -> list[Any]:
    """Every dict and list in the value (the value included)."""
    found: list[Any] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            found.append(item)
            stack.extend(item)
    return found


@settings(max_examples=200, deadline=None)
@given(JSON)
def test_json_copy_is_deepcopy_and_shares_no_container(value: Any) -> None:
    copied = copies.json_copy(value)
    assert copied == value == copy.deepcopy(value)
    assert json.dumps(copied) == json.dumps(value)  # same order, same types (1 vs 1.0, True vs 1)
    originals = {id(c) for c in _containers(value)}
    assert not originals & {id(c) for c in _containers(copied)}


@settings(max_examples=100, deadline=None)
@given(JSON.filter(lambda v: isinstance(v, dict | list) and v))
def test_mutating_the_copy_leaves_the_original(value: Any) -> None:
    before = copy.deepcopy(value)
    copied = copies.json_copy(value)
    for container in _containers(copied):
        if isinstance(container, dict):
            container["mutated"] = True
        else:
            container.append("mutated")
    assert value == before


def test_immutable_leaves_are_shared_as_deepcopy_shares_them() -> None:
    # Given the history's leaves: a UTC timestamp and an enum member (deepcopy returns a member
    # itself; nothing can change a datetime) -- Then the copy holds them, not copies.
    class Kind(str, enum.Enum):
        ENTERED = "TaskStateEntered"

    stamp = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)
    naive = datetime.datetime(2026, 12, 1)  # a naive one is shared too
    copied = copies.plain_copy([{"timestamp": stamp, "type": Kind.ENTERED, "at": naive}])
    assert copied[0]["timestamp"] is stamp and copied[0]["type"] is Kind.ENTERED and copied[0]["at"] is naive
    assert copy.deepcopy(Kind.ENTERED) is Kind.ENTERED


class _Mutable:
    def __init__(self) -> None:
        self.items = [1]


class _OwnTz(datetime.tzinfo):
    """A tzinfo of someone's own (it may hold state): its datetimes are deepcopy's."""

    def utcoffset(self, dt: datetime.datetime | None) -> datetime.timedelta:
        return datetime.timedelta(0)

    def dst(self, dt: datetime.datetime | None) -> datetime.timedelta:
        return datetime.timedelta(0)

    def tzname(self, dt: datetime.datetime | None) -> str:
        return "own"


def _shared_structure() -> dict[str, Any]:
    inner = {"a": [1, 2]}
    return {"x": inner, "y": inner}


def _cycle() -> list[Any]:
    loop: list[Any] = [1]
    loop.append(loop)
    return loop


def _deep(levels: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(levels):
        value = [value]
    return value


ODD_VALUES = {
    "object": lambda: {"a": _Mutable()},
    "tuple": lambda: {"a": (1, [2])},
    "dict subclass": lambda: [OrderedDict(a=[1])],
    "list subclass": lambda: {"a": type("L", (list,), {})([1])},
    "str subclass key": lambda: {type("S", (str,), {})("k"): 1},
    "int key": lambda: {1: [2]},
    "set": lambda: [{1, 2}],
    "bytes holder": lambda: [bytearray(b"x")],
    "own tzinfo": lambda: [datetime.datetime(2026, 1, 1, tzinfo=_OwnTz())],
    "shared sub-structure": _shared_structure,
    "cycle": _cycle,
    "deeper than MAX_DEPTH": lambda: _deep(copies.MAX_DEPTH + 5),
}


@pytest.fixture
def deepcopies(monkeypatch: pytest.MonkeyPatch) -> list[Call]:
    """Every top-level copy.deepcopy call (deepcopy's own recursion binds the original)."""
    return spy_on(monkeypatch, copy, "deepcopy")


@pytest.mark.parametrize("name", list(ODD_VALUES))
def test_what_is_not_plain_json_is_deepcopys(name: str, deepcopies: list[Call]) -> None:
    value = ODD_VALUES[name]()
    with pytest.raises(copies.NotJson):
        copies.plain_copy(value)
    copied = copies.json_copy(value)
    # the whole value, copied by deepcopy (which keeps sharing and cycles): its copy is the answer
    assert len(deepcopies) == 1 and deepcopies[0].args == (value,) and deepcopies[0].result is copied


def test_deepcopy_keeps_a_shared_sub_structure_shared_and_so_does_json_copy() -> None:
    shared = copies.json_copy(_shared_structure())
    assert shared["x"] is shared["y"]
    loop = copies.json_copy(_cycle())
    assert loop[1] is loop


def test_a_memo_is_deepcopys(deepcopies: list[Call]) -> None:
    memo: dict[int, Any] = {}
    value = {"a": [1]}
    copied = copies.json_copy(value, memo)
    assert [(c.args, c.result) for c in deepcopies] == [((value, memo), copied)] and memo


def _program_states() -> Any:
    return moto_patches.moto_module("moto.stepfunctions.parser.asl.eval.program_state")


def test_program_states_are_copied_as_deepcopy_copies_them(deepcopies: list[Call]) -> None:
    # Environment.program_state() copies one for every state: a new instance, its attributes copied.
    states = _program_states()
    running = states.ProgramRunning()
    running.next_state_name = "Intake"
    stopped = states.ProgramStopped(stop_date=datetime.datetime.now(datetime.UTC), error="E", cause=None)
    failed = states.ProgramError(error={"error": "States.Runtime", "cause": "boom"})
    values = (running, stopped, failed, states.ProgramEnded(), states.ProgramTimedOut())
    released = [copy.deepcopy(value) for value in values]
    deepcopies.clear()
    for value, by_deepcopy in zip(values, released, strict=True):
        copied = copies.json_copy(value)
        assert type(copied) is type(value) and copied is not value
        assert vars(copied) == vars(by_deepcopy) == vars(value)
    assert copies.json_copy(failed).error is not failed.error
    assert deepcopies == []  # none went to deepcopy


def test_only_classes_copied_by_the_default_protocol_are_plain() -> None:
    class OwnDeepcopy:
        def __deepcopy__(self, memo: Any) -> OwnDeepcopy:
            return self

    class OwnState:
        def __getstate__(self) -> dict[str, Any]:
            return {}

    class Slotted:
        __slots__ = ("a",)

    class Plain:
        pass

    assert copies.plain_instances([OwnDeepcopy, OwnState, Slotted, Plain]) == {Plain}
    names = {cls.__name__ for cls in copies.PLAIN_CLASSES}
    assert names == set(copies.PLAIN_CLASS_NAMES)  # every ProgramState class of moto 5.2.5 qualifies


# --- 14. JSON copies: in moto's interpreter ----------------------------------------------------


def _states(value: Any) -> Any:
    states_module = moto_patches.moto_module("moto.stepfunctions.parser.asl.eval.states")
    context = {
        "Execution": {"Id": "arn", "Input": value, "Name": "n", "RoleArn": "r", "StartTime": "t"},
        "StateMachine": {"Id": "sm", "Name": "sm"},
        "State": {"EnteredTime": "t", "Name": "A", "RetryCount": 0},
    }
    return states_module.States(context=context)


def test_states_hands_out_copies_that_do_not_alias_its_own_data() -> None:
    original: dict[str, Any] = {"claim": {"lines": [{"amount": 1}]}, "flags": [True]}
    states = _states(copy.deepcopy(original))
    given_out = states.get_input()
    given_out["claim"]["lines"][0]["amount"] = 99
    given_out["flags"].append(False)
    assert states.get_input() == original
    assert states.get_input("$.claim.lines") == original["claim"]["lines"]
    states.get_input("$.claim")["lines"].clear()
    assert states.get_input() == original

    fresh = {"next": [1, 2]}
    states.reset(fresh)
    fresh["next"].append(3)
    assert states.get_input() == {"next": [1, 2]}
    result = {"out": {"x": 1}}
    states.set_result(result)
    result["out"]["x"] = 2
    assert states.get_result() == {"out": {"x": 1}}
    error = {"Error": "E", "Cause": "c"}
    states.set_error_output(error)
    error["Error"] = "changed"
    assert states.get_error_output() == {"Error": "E", "Cause": "c"}
    context = states.get_context()
    context["State"]["Name"] = "B"
    assert states.get_context("$.State.Name") == "A"


def test_every_copy_in_the_patched_modules_is_a_one_argument_deepcopy() -> None:
    # COPY_MODULE stands in for `copy` only where moto calls nothing but `copy.deepcopy(value)`.
    for name in copies.JSON_COPY_MODULES:
        tree = ast.parse(inspect.getsource(sys.modules[name]))
        uses = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and getattr(n.value, "id", None) == "copy"]
        assert uses, name
        assert {n.attr for n in uses} == {"deepcopy"}, name
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and n.func in uses]
        assert len(calls) == len(uses) and all(len(c.args) == 1 and not c.keywords for c in calls), name


def test_the_patched_modules_copy_with_json_copy() -> None:
    for module, name in _copy_modules():
        assert getattr(module, name) is copies.COPY_MODULE
        assert module.copy.deepcopy is copies.json_copy
    with unpatched(*_json_copy_patch()):
        assert all(module.copy is copy for module, _ in _copy_modules())
        assert not copies.PLAIN_CLASSES


def _run(cloud: LocalCloud, steps: FakeSteps, tag: str) -> list[str]:
    """Three executions, normalized: one retrying a typed error, one plain, one caught. Each
    history as JSON without what differs between runs (timestamps, the execution's name, the
    upload's version id and event time)."""
    steps.intake_error = None
    steps.fraud_failures = [ModelThrottledError("slow down")]
    arns = []
    for name in ("retried", "plain", "broken"):  # one at a time: the retry is the first one's
        if name == "broken":
            steps.intake_error = ValueError("not a claim")
        arns.append(cloud.upload(b"{}", f"claims/{tag}-{name}.json"))
        cloud.wait(arns[-1])
    moto_patches.wait_for_async_invocations()
    histories = []
    for arn in arns:
        events = cloud.history(arn)
        started = json.loads(events[0]["executionStartedEventDetails"]["input"])["source"]
        text = json.dumps([{k: v for k, v in e.items() if k != "timestamp"} for e in events], sort_keys=True)
        for volatile, mark in (
            (arn.rsplit(":", 1)[-1], "<name>"),
            (str(started["version_id"]), "<version>"),
            (json.dumps(started["event_time"]), "<time>"),
            (tag, "<tag>"),
        ):
            text = text.replace(volatile, mark)
        histories.append(text)
    return histories


def test_executions_run_as_with_moto_deepcopy(cloud: LocalCloud, steps: FakeSteps) -> None:
    # Given the same executions run with the JSON copies and with moto's deepcopy -- Then every
    # event (type, ids, each state's input and output, each Lambda's input and output) is the same.
    patched = _run(cloud, steps, "patched")
    with unpatched(*_json_copy_patch()):
        released = _run(cloud, steps, "released")
    assert patched == released
    assert all('"TaskStateEntered"' in h for h in patched) and '"LambdaFunctionFailed"' in patched[0]


def test_a_history_read_is_the_same_as_with_deepcopy(cloud: LocalCloud, steps: FakeSteps) -> None:
    arn = cloud.upload(b"{}", "claims/read.json")
    assert cloud.wait(arn) == "SUCCEEDED"
    fast = cloud.history(arn)
    with unpatched(*_json_copy_patch()):
        released = cloud.history(arn)
    assert fast == released and len(fast) > 10


def test_an_execution_makes_no_deepcopy_of_its_data(
    cloud: LocalCloud, steps: FakeSteps, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The patched modules call copy.deepcopy (the real one) only under moto unpatched.
    calls = spy_on(monkeypatch, copy, "deepcopy")

    def direct() -> int:
        return sum(c.caller in copies.JSON_COPY_MODULES for c in calls)

    assert cloud.wait(cloud.upload(b"{}", "claims/fast.json")) == "SUCCEEDED"
    assert direct() == 0
    with unpatched(*_json_copy_patch()):
        assert cloud.wait(cloud.upload(b"{}", "claims/slow.json")) == "SUCCEEDED"
    assert direct() > 20


# --- 15. Request ids ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def unseeded() -> Iterator[None]:
    """The tests below seed moto's random: it is reseeded from the system afterwards."""
    yield
    from moto.moto_api._internal import mock_random

    mock_random.seed()


def _request_id_patch() -> list[Patched]:
    return [
        (moto_patches.moto_module("moto.utilities.aws_headers"), "gen_amzn_requestid_long"),
        (moto_patches.moto_module("moto.core.responses"), "gen_amzn_requestid_long"),
    ]


def _ids(n: int, seed: int) -> list[str]:
    from moto.moto_api._internal import mock_random

    mock_random.seed(seed)
    return [moto_patches.moto_module("moto.core.responses").gen_amzn_requestid_long() for _ in range(n)]


def test_request_ids_have_moto_alphabet_and_length_and_follow_the_seed() -> None:
    patched = _ids(200, seed=7)
    with unpatched(*_request_id_patch()):
        released = _ids(200, seed=7)
    shape = re.compile(r"[A-Za-z0-9]{52}")
    assert all(shape.fullmatch(i) for i in patched + released)
    assert set("".join(patched)) == set("".join(released)) == set(copies._REQUEST_ID_POOL)
    assert _ids(5, seed=7) == patched[:5] and _ids(5, seed=8) != patched[:5]
    assert len(set(patched)) == 200
    headers: dict[str, Any] = {}
    assert copies.gen_amzn_requestid_long(headers) == headers["x-amzn-requestid"]


def test_a_response_carries_the_drawn_request_id() -> None:
    from moto import mock_aws

    with mock_aws():
        answer = boto3.client("dynamodb", region_name="us-east-1").list_tables()
    assert re.fullmatch(r"[A-Za-z0-9]{52}", answer["ResponseMetadata"]["RequestId"])


def test_request_ids_are_drawn_in_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.moto_api._internal import mock_random

    assert moto_patches.moto_module("moto.core.responses").gen_amzn_requestid_long is copies.gen_amzn_requestid_long
    draws = spy_on(monkeypatch, mock_random, "choice")
    _ids(3, seed=1)
    assert draws == []
    with unpatched(*_request_id_patch()):
        _ids(3, seed=1)
    assert len(draws) == 3 * copies.REQUEST_ID_LENGTH


# --- 16. The custom S3 endpoints ------------------------------------------------------------------


def _endpoint_patch() -> Patched:
    return moto_patches.moto_module("moto.core.utils"), "get_s3_custom_endpoints"


URLS = (
    "https://dynamodb.us-east-1.amazonaws.com/",
    "https://s3.local:9000/bucket/key",
    "http://minio.test/bucket",
    "https://other.example/x",
)


def _answers() -> list[Any]:
    utils = moto_patches.moto_module("moto.core.utils")
    return [utils.get_s3_custom_endpoints(), *(utils.get_equivalent_url_in_aws_domain(url) for url in URLS)]


@pytest.mark.parametrize("value", [None, "", "https://s3.local:9000", "http://minio.test,https://s3.local:9000"])
def test_custom_endpoints_are_read_as_moto_reads_them(value: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    if value is None:
        monkeypatch.delenv(copies.S3_ENDPOINTS_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(copies.S3_ENDPOINTS_VARIABLE, value)
    patched = _answers()
    with unpatched(_endpoint_patch()):
        assert _answers() == patched


def test_a_change_of_the_variable_applies_to_the_next_request(monkeypatch: pytest.MonkeyPatch) -> None:
    utils = moto_patches.moto_module("moto.core.utils")
    url = "https://s3.local:9000/bucket/key"
    monkeypatch.delenv(copies.S3_ENDPOINTS_VARIABLE, raising=False)
    assert utils.get_equivalent_url_in_aws_domain(url)[1] is False
    monkeypatch.setenv(copies.S3_ENDPOINTS_VARIABLE, "https://s3.local:9000")
    assert utils.get_equivalent_url_in_aws_domain(url)[0].netloc == "s3.amazonaws.com"
    monkeypatch.setenv(copies.S3_ENDPOINTS_VARIABLE, "https://elsewhere:1")
    assert utils.get_equivalent_url_in_aws_domain(url)[1] is False
    given_out = utils.get_s3_custom_endpoints()
    given_out.append("https://s3.local:9000")  # the caller's own list
    assert utils.get_s3_custom_endpoints() == ["https://elsewhere:1"]
    monkeypatch.delenv(copies.S3_ENDPOINTS_VARIABLE)
    assert utils.get_s3_custom_endpoints() == []


def test_a_replaced_environment_is_asked_as_moto_asks_it(monkeypatch: pytest.MonkeyPatch) -> None:
    utils = moto_patches.moto_module("moto.core.utils")
    monkeypatch.setattr(os, "environ", {copies.S3_ENDPOINTS_VARIABLE: "https://s3.local:9000"})
    assert utils.get_s3_custom_endpoints() == ["https://s3.local:9000"]


def test_a_request_reads_no_environment_through_mapping_get(monkeypatch: pytest.MonkeyPatch) -> None:
    utils = moto_patches.moto_module("moto.core.utils")
    assert (
        utils.get_s3_custom_endpoints.__wrapped__ is moto_patches.moto_module("moto.settings").get_s3_custom_endpoints
    )
    monkeypatch.delenv(copies.S3_ENDPOINTS_VARIABLE, raising=False)
    gets = spy_on(monkeypatch, os._Environ, "get")  # (Mapping.get: a KeyError on every miss)

    def reads() -> list[Any]:
        return [c.args[1] for c in gets]

    utils.get_equivalent_url_in_aws_domain(URLS[0])
    assert copies.S3_ENDPOINTS_VARIABLE not in reads()
    with unpatched(_endpoint_patch()):
        utils.get_equivalent_url_in_aws_domain(URLS[0])
    assert copies.S3_ENDPOINTS_VARIABLE in reads()


# --- 20. The request id in an XML answer ----------------------------------------------------------


def _enrich_patch() -> Patched:
    return moto_patches.moto_module("moto.core.responses").BaseResponse, "_enrich_response"


ENRICH_BODIES: list[Any] = [
    "",
    '{"Items": [{"pk": {"S": "a"}}], "Count": 1}',
    '{"events": [' + ",".join(['{"type": "TaskStateEntered", "id": %d}' % n for n in range(400)]) + "]}",
    "<ErrorResponse><Error><Code>X</Code></Error><RequestId>old-id</RequestId></ErrorResponse>",
    "<A><RequestId>first</RequestId><B/><RequestId>second</RequestId></A>",
    "<A><RequestId>\n</RequestId></A>",  # `.` does not cross the newline: moto leaves it
    "<a><requestid>lower case is another tag</requestid></a>",
    "RequestId without its angle brackets",
    b"<A><RequestId>bytes</RequestId></A>",  # not a str: moto's re.sub refuses it, the body stays
    None,
]


def _enriched(body: Any, seed: int) -> tuple[dict[str, Any], Any]:
    from moto.moto_api._internal import mock_random

    mock_random.seed(seed)
    headers: dict[str, Any] = {"status": 201, "content-type": "application/x-amz-json-1.0"}
    return moto_patches.moto_module("moto.core.responses").BaseResponse._enrich_response(headers, body)  # type: ignore[no-any-return]


@pytest.mark.parametrize("body", ENRICH_BODIES, ids=range(len(ENRICH_BODIES)))
def test_an_answer_is_enriched_as_moto_enriches_it(body: Any) -> None:
    patched = _enriched(body, seed=3)
    with unpatched(_enrich_patch()):
        released = _enriched(body, seed=3)
    assert patched == released
    assert patched[0]["status"] == "201" and re.fullmatch(r"[A-Za-z0-9]{52}", patched[0]["x-amzn-requestid"])


def test_an_xml_answer_gets_its_request_id_through_a_client() -> None:
    from moto import mock_aws

    with mock_aws():
        answer = boto3.client("sqs", region_name="us-east-1").list_queues()  # SQS's query protocol: XML
        sns = boto3.client("sns", region_name="us-east-1")
        topics = sns.list_topics()
    assert re.fullmatch(r"[A-Za-z0-9]{52}", answer["ResponseMetadata"]["RequestId"])
    assert re.fullmatch(r"[A-Za-z0-9]{52}", topics["ResponseMetadata"]["RequestId"])


def test_a_body_without_the_tag_is_not_scanned(monkeypatch: pytest.MonkeyPatch) -> None:
    responses = moto_patches.moto_module("moto.core.responses")
    scans = spy_on(monkeypatch, responses.re, "sub")
    _enriched(ENRICH_BODIES[2], seed=1)
    assert scans == []
    _enriched(ENRICH_BODIES[3], seed=1)
    assert len(scans) == 1  # a body with the tag is still moto's substitution
    with unpatched(_enrich_patch()):
        _enriched(ENRICH_BODIES[2], seed=1)
    assert len(scans) == 2
