"""The workflow picture: ASL -> DOT (every state and transition, highlighting, escaping),
an execution's path from its history, and rendering with Graphviz."""

from __future__ import annotations

import html
import itertools
import json
import re
from collections import Counter
from typing import Any

import pytest

from icpa_orchestration import definition_text
from icpa_orchestration.graph import (
    ExecutionPath,
    GraphvizMissingError,
    GraphvizRenderError,
    UnsupportedFormatError,
    condition,
    path_from_history,
    render,
    to_dot,
)

TAKEN = "#1565c0"
FAILED = "#c62828"

AUTO_APPROVE_TAIL = (
    "Intake",
    "ChooseDelivery",
    "AssessFraud",
    "Adjudicate",
    "RouteClaim",
    "ChooseRoute",
    "AutoApproved",
    "RecordDecision",
)


def lead_in(asl: dict[str, Any]) -> tuple[str, ...]:
    """The states before Intake a claim file passes (Choices by their Default): none, or a
    routing of upload kinds, whichever the ASL has."""
    path: list[str] = []
    name = asl["StartAt"]
    while name != "Intake":
        path.append(name)
        state = asl["States"][name]
        name = state.get("Default") or state["Next"]
    return tuple(path)


@pytest.fixture(scope="module")
def asl() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(definition_text())
    return loaded


@pytest.fixture(scope="module")
def auto_approve_path(asl: dict[str, Any]) -> tuple[str, ...]:
    return lead_in(asl) + AUTO_APPROVE_TAIL


@pytest.fixture(scope="module")
def human_review_path(auto_approve_path: tuple[str, ...]) -> tuple[str, ...]:
    return (*auto_approve_path[:-2], "AwaitHumanReview", "ChooseReviewDecision", "HumanApproved", "RecordDecision")


class Drawn:
    """A DOT text read back: node id -> state name, and the edges with their attributes."""

    NODE = re.compile(r"^\s*(s\d+) \[label=<<TABLE.*?<B>(.*?)</B>(.*)\];$")
    EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?: \[(.*)\])?;$")

    def __init__(self, dot: str) -> None:
        self.names: dict[str, str] = {"start": "(start)", "end": "(end)"}
        self.node_attrs: dict[str, str] = {}
        self.edges: list[tuple[str, str, str]] = []  # (source name, target name, attrs)
        for line in dot.splitlines():
            if node := self.NODE.match(line):
                name = html.unescape(node.group(2))
                self.names[node.group(1)] = name
                self.node_attrs[name] = node.group(3)
        for line in dot.splitlines():
            if edge := self.EDGE.match(line):
                self.edges.append((self.names[edge.group(1)], self.names[edge.group(2)], edge.group(3) or ""))

    def pairs(self) -> Counter[tuple[str, str]]:
        return Counter((s, t) for s, t, _ in self.edges)

    def highlighted_pairs(self) -> set[tuple[str, str]]:
        return {(s, t) for s, t, attrs in self.edges if TAKEN in attrs}

    def highlighted_states(self) -> set[str]:
        return {name for name, attrs in self.node_attrs.items() if 'fillcolor="#d6e6fa"' in attrs}


def expected_transitions(asl: dict[str, Any]) -> Counter[tuple[str, str]]:
    """Every transition of the ASL, read independently of the code under test."""
    out: Counter[tuple[str, str]] = Counter({("(start)", asl["StartAt"]): 1})
    for name, state in asl["States"].items():
        targets = [state.get("Next"), state.get("Default")]
        targets += [rule["Next"] for rule in state.get("Choices", [])]
        targets += [catcher["Next"] for catcher in state.get("Catch", [])]
        if state.get("End"):
            targets.append("(end)")
        out.update((name, t) for t in targets if t)
    return out


def test_every_state_and_every_transition_of_the_real_workflow_is_drawn(asl: dict[str, Any]) -> None:
    drawn = Drawn(to_dot(asl))

    assert set(drawn.node_attrs) == set(asl["States"])
    assert drawn.pairs() == expected_transitions(asl)
    assert len(drawn.edges) == sum(expected_transitions(asl).values())


def test_choice_rules_catches_and_retries_are_labelled(asl: dict[str, Any]) -> None:
    dot = to_dot(asl)
    drawn = Drawn(dot)
    labels = {(s, t): attrs.replace("<BR/>", " ") for s, t, attrs in drawn.edges}  # wrapped lines joined

    assert "$.routing.route == &quot;AUTO_APPROVE&quot;" in labels[("ChooseRoute", "AutoApproved")]
    assert "default" in labels[("ChooseRoute", "QuarantineUnknownRoute")]
    # An And over one variable names it once.
    assert "$.intake.delivery.role present and == &quot;DUPLICATE&quot;" in labels[("ChooseDelivery", "AlreadyDecided")]
    assert "catch States.Timeout, States.HeartbeatTimeout" in labels[("AwaitHumanReview", "EscalateReview")]
    assert "style=dashed" in labels[("Intake", "QuarantineClaim")]
    # Retry on the state: errors (the Lambda family folded), first interval, backoff, retries, cap.
    fraud = drawn.node_attrs["AssessFraud"]
    assert "retry TransientDependencyError, Lambda.* (5): 1s x2.0, up to 4 times, \u226420s, jitter" in fraud
    assert "retry ModelThrottledError: 2s x2.0, up to 6 times, \u226460s, jitter" in fraud
    assert "retry MalformedModelResponseError: 1s x2.0, once" in fraud
    # ...and every error name in full in the tooltip.
    assert "Lambda.ClientExecutionTimeoutException" in fraud
    assert "lambda:invoke.waitForTaskToken \u2192 ReviewRequestFunction" in drawn.node_attrs["AwaitHumanReview"]


def test_an_auto_approved_execution_is_highlighted_along_its_path_only(
    asl: dict[str, Any], auto_approve_path: tuple[str, ...]
) -> None:
    drawn = Drawn(to_dot(asl, taken=auto_approve_path))

    assert drawn.highlighted_states() == set(auto_approve_path)
    assert drawn.highlighted_pairs() == {
        ("(start)", asl["StartAt"]),
        *itertools.pairwise(auto_approve_path),
        ("RecordDecision", "(end)"),
    }
    # The rule it followed is the highlighted one, not the other routes out of ChooseRoute.
    (edge,) = (attrs for s, t, attrs in drawn.edges if (s, t) == ("ChooseRoute", "AutoApproved"))
    assert "AUTO_APPROVE" in edge and TAKEN in edge


def test_a_human_review_execution_is_highlighted_through_the_review(
    asl: dict[str, Any], human_review_path: tuple[str, ...]
) -> None:
    drawn = Drawn(to_dot(asl, taken=human_review_path))

    assert drawn.highlighted_states() == set(human_review_path)
    highlighted = drawn.highlighted_pairs()
    assert ("ChooseRoute", "AwaitHumanReview") in highlighted
    assert ("AwaitHumanReview", "ChooseReviewDecision") in highlighted
    assert ("ChooseReviewDecision", "HumanApproved") in highlighted
    assert ("ChooseRoute", "AutoApproved") not in highlighted
    assert ("AwaitHumanReview", "EscalateReview") not in highlighted  # the timeout catch was not taken


def test_a_parked_review_highlights_up_to_the_wait_and_not_the_end(
    asl: dict[str, Any], human_review_path: tuple[str, ...]
) -> None:
    drawn = Drawn(to_dot(asl, taken=human_review_path[: human_review_path.index("AwaitHumanReview") + 1]))

    assert ("RouteClaim", "ChooseRoute") in drawn.highlighted_pairs()
    assert not {p for p in drawn.highlighted_pairs() if p[1] == "(end)"}


def test_a_failed_execution_marks_its_state_red_and_follows_the_catch(asl: dict[str, Any]) -> None:
    path = (
        *lead_in(asl),
        "Intake",
        "ChooseDelivery",
        "AssessFraud",
        "QuarantineClaim",
        "ChooseQuarantineOutcome",
        "ClaimErrored",
    )
    drawn = Drawn(to_dot(asl, taken=path, failed="ClaimErrored"))

    assert FAILED in drawn.node_attrs["ClaimErrored"]
    (catch,) = (attrs for s, t, attrs in drawn.edges if (s, t) == ("AssessFraud", "QuarantineClaim"))
    assert TAKEN in catch
    assert not {p for p in drawn.highlighted_pairs() if p[1] == "(end)"}


def test_the_path_is_read_from_an_execution_history() -> None:
    def entered(kind: str, name: str) -> dict[str, Any]:
        return {"type": f"{kind}StateEntered", "stateEnteredEventDetails": {"name": name}}

    def exited(kind: str, name: str) -> dict[str, Any]:
        return {"type": f"{kind}StateExited", "stateExitedEventDetails": {"name": name}}

    history = [
        {"type": "ExecutionStarted"},
        entered("Task", "Intake"),
        {"type": "LambdaFunctionFailed"},
        {"type": "LambdaFunctionSucceeded"},
        exited("Task", "Intake"),
        entered("Choice", "ChooseDelivery"),
        exited("Choice", "ChooseDelivery"),
        entered("Task", "QuarantineClaim"),
        exited("Task", "QuarantineClaim"),
        entered("Fail", "ClaimErrored"),
        {"type": "ExecutionFailed"},
    ]

    assert path_from_history(history) == ExecutionPath(
        ("Intake", "ChooseDelivery", "QuarantineClaim", "ClaimErrored"), "ClaimErrored"
    )
    succeeded = history[:-2] + [entered("Succeed", "ClaimRejected"), {"type": "ExecutionSucceeded"}]
    assert path_from_history(succeeded).failed is None
    assert path_from_history([]) == ExecutionPath()


NASTY = 'Check "A" <b>&amp; C:\\temp\\'


def nasty_machine() -> dict[str, Any]:
    return {
        "StartAt": NASTY,
        "States": {
            NASTY: {
                "Type": "Choice",
                "Choices": [{"Variable": "$.x", "StringEquals": '"</TD>\\N', "Next": "Done"}],
                "Default": "Done",
            },
            "Done": {"Type": "Succeed", "Comment": 'says "done" \\ <here>'},
        },
    }


def test_names_and_conditions_are_escaped() -> None:
    dot = to_dot(nasty_machine(), taken=(NASTY, "Done"))

    assert "<B>Check &quot;A&quot; &lt;b&gt;&amp;amp; C:\\temp\\</B>" in dot
    assert "&quot;\\&quot;&lt;/TD&gt;\\\\N&quot;" in dot  # the value as JSON, then HTML-escaped
    assert 'tooltip="Done\\nsays \\"done\\" \\\\ <here>"' in dot
    assert Drawn(dot).highlighted_pairs() == {("(start)", NASTY), (NASTY, "Done")}


def test_graphviz_draws_the_escaped_names_as_written() -> None:
    svg = render(to_dot(nasty_machine()), "svg").decode()

    assert "Check &quot;A&quot; &lt;b&gt;&amp;amp; C:\\temp\\" in svg
    assert "</svg>" in svg


def test_the_real_workflow_renders_as_svg_and_png(asl: dict[str, Any], human_review_path: tuple[str, ...]) -> None:
    dot = to_dot(asl, taken=human_review_path)

    svg = render(dot, "svg")
    png = render(dot, "png")

    assert svg.lstrip().startswith(b"<?xml") and b"AwaitHumanReview" in svg
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_parallel_and_map_branches_are_clusters_and_highlighted_when_run() -> None:
    machine = {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": True}}},
                    {"StartAt": "Right", "States": {"Right": {"Type": "Pass", "End": True}}},
                ],
                "Next": "Each",
            },
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.lines",
                "ItemProcessor": {
                    "StartAt": "Price",
                    "States": {
                        "Price": {"Type": "Task", "Resource": "${PriceFunctionArn}", "Next": "Check"},
                        "Check": {"Type": "Pass", "End": True},
                    },
                },
                "End": True,
            },
        },
    }
    # Branch states interleave with the machine's in a history; only Left's branch ran here.
    dot = to_dot(machine, taken=("Fan", "Left", "Each", "Price", "Check", "Price", "Check"))
    drawn = Drawn(dot)

    assert dot.count("subgraph cluster_") == 3
    assert "Fan: branch 2" in dot and "Each: each item" in dot
    assert drawn.pairs() == Counter(
        {
            ("(start)", "Fan"): 1,
            ("Fan", "Left"): 1,
            ("Fan", "Right"): 1,
            ("Fan", "Each"): 1,
            ("Each", "Price"): 1,
            ("Price", "Check"): 1,
            ("Each", "(end)"): 1,
        }
    )
    assert drawn.highlighted_pairs() == {
        ("(start)", "Fan"),
        ("Fan", "Left"),
        ("Fan", "Each"),
        ("Each", "Price"),
        ("Price", "Check"),
        ("Each", "(end)"),
    }
    assert "each item of $.lines" in drawn.node_attrs["Each"]


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        ({"Variable": "$.n", "NumericGreaterThanEqualsPath": "$.limit"}, "$.n >= $.limit"),
        ({"Variable": "$.ok", "BooleanEquals": False}, "$.ok == false"),
        ({"Variable": "$.x", "IsNull": True}, "$.x is null"),
        ({"Variable": "$.x", "IsString": False}, "$.x is not string"),
        ({"Variable": "$.k", "StringMatches": "claims/*"}, '$.k matches "claims/*"'),
        ({"Not": {"Variable": "$.x", "IsPresent": True}}, "not ($.x present)"),
        (
            {
                "Or": [
                    {"Variable": "$.a", "NumericLessThan": 1},
                    {"And": [{"Variable": "$.b", "IsPresent": True}, {"Variable": "$.b", "StringEquals": "y"}]},
                ]
            },
            '$.a < 1 or ($.b present and == "y")',
        ),
        ({"Condition": "{% $states.input.n > 3 %}"}, "{% $states.input.n > 3 %}"),
    ],
)
def test_choice_conditions_read_as_one_line(rule: dict[str, Any], text: str) -> None:
    assert condition(rule) == text


def test_rendering_errors_are_typed() -> None:
    with pytest.raises(UnsupportedFormatError, match="svg, png, pdf"):
        render("digraph {}", "jpeg")
    with pytest.raises(GraphvizMissingError, match="install graphviz"):
        render("digraph {}", "svg", executable="icpa-no-such-dot")
    with pytest.raises(GraphvizRenderError, match="syntax error"):
        render("digraph { a -> }", "svg")


def test_the_picture_says_how_to_read_it(asl: dict[str, Any]) -> None:
    plain, highlighted = to_dot(asl), to_dot(asl, taken=("Intake",))

    assert "Catch: the errors named go there (States.ALL: any error)" in plain
    assert "the path this execution took" not in plain
    assert "the path this execution took" in highlighted and "the state it failed in" in highlighted
