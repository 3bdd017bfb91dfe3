"""The ASL against the template and the shared contracts (icpa_shared.contracts / errors).

Step Functions checks none of this at deploy time: a Retry on a misspelled error name, a Choice
on a field the state never has, or a Pass `Result` that no service can parse all deploy fine
and fail on the first claim that takes that path.
"""

from __future__ import annotations

import types
import typing
from collections import deque
from enum import Enum
from typing import Any

import pytest
from pydantic import BaseModel

from icpa_orchestration import substitution_names
from icpa_shared.contracts import DeliveryRole, FinalDecision, Outcome, ReviewVerdict, Route, WorkflowState
from icpa_shared.errors import PERMANENT_ERROR_NAMES, RETRYABLE_ERROR_NAMES

QUARANTINE = "QuarantineClaim"
ERROR_HANDLERS = {QUARANTINE, "EscalateReview"}
# ResultPaths that only a terminal step writes: nothing downstream reads them, and they are
# deliberately not part of WorkflowState (RecordDecision's ClaimRecord ends the execution; a
# failed quarantine goes straight to a Fail state).
TERMINAL_RESULT_PATHS = {"$.record", "$.quarantine_error"}
# Every Choice on these must handle each enum member explicitly (Default is for garbage only).
EXHAUSTIVE_CHOICES = {"ChooseRoute": Route, "ChooseReviewDecision": ReviewVerdict}
# The automatic path's budget from the cost model in docs/DECISIONS.md (9 transitions a claim:
# the 8 of the claim itself and ChooseSourceKind, which sends X12 interchanges to the splitter).
MAX_AUTO_PATH_STATES = 9


def comparisons(choice: dict[str, Any]) -> list[dict[str, Any]]:
    """A Choice rule's comparisons, with `And`/`Or` flattened and its IsPresent guards left out."""
    rules = choice.get("And") or choice.get("Or") or [choice]
    return [r for r in rules if "IsPresent" not in r]


def states(asl: dict[str, Any], kind: str | None = None) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = asl["States"]
    return {n: s for n, s in found.items() if kind is None or s["Type"] == kind}


def successors(state: dict[str, Any]) -> list[str]:
    nexts = [state[k] for k in ("Next", "Default") if k in state]
    nexts += [c["Next"] for c in state.get("Choices", [])]
    nexts += [c["Next"] for c in state.get("Catch", [])]
    return nexts


def unwrap_model(annotation: Any) -> Any:
    """`X | None` -> X (the one non-None member), anything else unchanged."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation


def field_type(path: str) -> Any:
    """The type WorkflowState gives to a JSONPath like `$.routing.route` (KeyError if none)."""
    node: Any = WorkflowState
    for part in path.removeprefix("$.").split("."):
        if not (isinstance(node, type) and issubclass(node, BaseModel)) or part not in node.model_fields:
            raise KeyError(f"{path}: no field {part!r} in {getattr(node, '__name__', node)}")
        node = unwrap_model(node.model_fields[part].annotation)
    return node


# -- substitutions ---------------------------------------------------------------------------


def test_asl_substitutions_are_exactly_the_template_definition_substitutions(
    resources: dict[str, dict[str, Any]],
) -> None:
    substitutions = resources["ClaimsStateMachine"]["Properties"]["DefinitionSubstitutions"]

    assert set(substitutions) == substitution_names()
    assert len(substitutions) == 9


def test_each_substitution_is_the_arn_of_the_function_it_names(resources: dict[str, dict[str, Any]]) -> None:
    substitutions = resources["ClaimsStateMachine"]["Properties"]["DefinitionSubstitutions"]
    for name, value in substitutions.items():
        function = name.removesuffix("Arn")
        assert value == {"Fn::GetAtt": [function, "Arn"]}, name
        assert resources[function]["Type"] == "AWS::Serverless::Function", name


# -- error handling ----------------------------------------------------------------------------


def test_every_task_retries_and_catches(asl: dict[str, Any]) -> None:
    for name, state in states(asl, "Task").items():
        assert state.get("Retry"), f"{name} has no Retry"
        assert state.get("Catch"), f"{name} has no Catch"


def test_every_catch_ends_in_quarantine_escalation_or_a_fail_state(asl: dict[str, Any]) -> None:
    fail_states = set(states(asl, "Fail"))
    for name, state in states(asl, "Task").items():
        for catcher in state["Catch"]:
            if name == QUARANTINE:
                # Quarantine's own failure must not loop back into quarantine: fail loudly.
                assert catcher["Next"] in fail_states, f"{name} catches to {catcher['Next']}"
            else:
                assert catcher["Next"] in ERROR_HANDLERS, f"{name} catches to {catcher['Next']}"
        # The last catcher takes everything: no error leaves a claim without an outcome.
        assert state["Catch"][-1]["ErrorEquals"] == ["States.ALL"], name


def test_only_the_human_review_timeout_escalates(asl: dict[str, Any]) -> None:
    for name, state in states(asl, "Task").items():
        for catcher in state["Catch"]:
            if catcher["Next"] == "EscalateReview":
                assert name == "AwaitHumanReview"
                assert set(catcher["ErrorEquals"]) <= {"States.Timeout", "States.HeartbeatTimeout"}


def test_retried_errors_are_retryable_shared_errors_or_aws_error_names(asl: dict[str, Any]) -> None:
    for name, state in states(asl, "Task").items():
        for retrier in state["Retry"]:
            for error in retrier["ErrorEquals"]:
                assert error not in PERMANENT_ERROR_NAMES, f"{name} retries permanent {error}"
                assert error in RETRYABLE_ERROR_NAMES or error.startswith(
                    ("Lambda.", "States.")
                ), f"{name} retries {error}, which icpa_shared.errors does not define as retryable"


def test_permanent_errors_are_never_retried_by_a_catch_all(asl: dict[str, Any]) -> None:
    # States.ALL / States.TaskFailed in a Retry would retry InvalidClaimError & co. too, and
    # would retry a quarantine bug five times to no avail: every Task lists what is transient.
    for name, state in states(asl, "Task").items():
        for retrier in state["Retry"]:
            assert not {"States.ALL", "States.TaskFailed"} & set(retrier["ErrorEquals"]), name


def test_every_retryable_shared_error_is_retried_where_models_are_called(asl: dict[str, Any]) -> None:
    for name in ("AssessFraud", "Adjudicate"):
        retried = {e for r in states(asl)[name]["Retry"] for e in r["ErrorEquals"]}
        assert set(RETRYABLE_ERROR_NAMES) <= retried, name


# -- graph -----------------------------------------------------------------------------------


def test_every_next_and_default_names_an_existing_state(asl: dict[str, Any]) -> None:
    known = set(states(asl))
    assert asl["StartAt"] in known
    for name, state in states(asl).items():
        for target in successors(state):
            assert target in known, f"{name} -> {target}"


def test_every_state_is_reachable_from_start(asl: dict[str, Any]) -> None:
    seen, queue = {asl["StartAt"]}, deque([asl["StartAt"]])
    while queue:
        for target in successors(states(asl)[queue.popleft()]):
            if target not in seen:
                seen.add(target)
                queue.append(target)

    assert set(states(asl)) - seen == set()


# -- timeouts ----------------------------------------------------------------------------------


def test_the_state_machine_and_every_task_have_timeouts(asl: dict[str, Any]) -> None:
    assert asl["TimeoutSeconds"] > 0
    for name, state in states(asl, "Task").items():
        assert state.get("TimeoutSeconds", 0) > 0, f"{name} has no TimeoutSeconds"


def test_human_review_heartbeat_is_shorter_than_its_timeout(asl: dict[str, Any]) -> None:
    review = states(asl)["AwaitHumanReview"]

    assert review["Resource"].endswith(".waitForTaskToken")
    assert 0 < review["HeartbeatSeconds"] < review["TimeoutSeconds"]


def test_execution_timeout_outlasts_the_longest_path_of_task_timeouts(asl: dict[str, Any]) -> None:
    # Worst case without retries: every task on the human-review path, escalated, then
    # RecordDecision failing into quarantine. The execution must not time out first.
    path = ["Intake", "AssessFraud", "Adjudicate", "RouteClaim", "AwaitHumanReview", "EscalateReview"]
    path += ["RecordDecision", QUARANTINE]
    worst = sum(states(asl)[name]["TimeoutSeconds"] for name in path)

    assert asl["TimeoutSeconds"] > worst


# -- state paths and values against the contracts ------------------------------------------------


def test_choice_variables_are_workflow_state_fields(asl: dict[str, Any]) -> None:
    for name, state in states(asl, "Choice").items():
        for choice in state["Choices"]:
            for rule in comparisons(choice):
                field_type(rule["Variable"])  # raises with the missing part
                assert rule["Variable"].startswith("$."), name


def test_every_result_path_is_a_workflow_state_field_or_a_known_terminal_result(asl: dict[str, Any]) -> None:
    for name, state in states(asl).items():
        paths = [state["ResultPath"]] if "ResultPath" in state else []
        paths += [c["ResultPath"] for c in state.get("Catch", []) if "ResultPath" in c]
        for path in paths:
            if path in TERMINAL_RESULT_PATHS:
                continue
            if path is None:  # the result is discarded: only the splitter, which ends the execution
                assert name == "SplitInterchange" and states(asl)[state["Next"]]["Type"] == "Succeed", name
                continue
            assert path.count(".") == 1, f"{name}: {path} is not a top-level field"
            field_type(path)


def test_terminal_result_paths_really_are_terminal(asl: dict[str, Any]) -> None:
    fail_states = set(states(asl, "Fail"))
    record = states(asl)["RecordDecision"]
    assert record["ResultPath"] == "$.record" and record.get("End") is True
    for catcher in states(asl)[QUARANTINE]["Catch"]:
        if catcher.get("ResultPath") == "$.quarantine_error":
            assert catcher["Next"] in fail_states


def test_choice_values_are_members_of_the_shared_enums(asl: dict[str, Any]) -> None:
    for name, state in states(asl, "Choice").items():
        for rule in (r for choice in state["Choices"] for r in comparisons(choice)):
            if "StringMatches" in rule:  # a key pattern (ChooseSourceKind), not an enum value
                assert field_type(rule["Variable"]) is not None and rule["Variable"] == "$.source.key", name
                continue
            enum = field_type(rule["Variable"])
            assert isinstance(enum, type) and issubclass(enum, Enum), f"{name}: {rule['Variable']}"
            assert rule["StringEquals"] in {m.value for m in enum}, f"{name}: {rule['StringEquals']}"


@pytest.mark.parametrize(("choice_state", "enum"), list(EXHAUSTIVE_CHOICES.items()))
def test_route_and_verdict_choices_handle_every_member(asl: dict[str, Any], choice_state: str, enum: Any) -> None:
    handled = {c["StringEquals"] for c in states(asl)[choice_state]["Choices"]}

    assert handled == {m.value for m in enum}


def test_quarantine_outcome_choice_is_on_the_outcome_enum(asl: dict[str, Any]) -> None:
    duplicate, *outcomes = states(asl)["ChooseQuarantineOutcome"]["Choices"]

    (rule,) = comparisons(duplicate)
    assert (field_type(rule["Variable"]), rule["StringEquals"]) == (DeliveryRole, "DUPLICATE")
    assert all(field_type(c["Variable"]) is Outcome for c in outcomes)
    assert [c["StringEquals"] for c in outcomes] == [Outcome.REJECTED.value]


@pytest.mark.parametrize("choice_state", ["ChooseDelivery", "ChooseQuarantineOutcome"])
def test_a_duplicate_delivery_ends_at_once_without_deciding_again(asl: dict[str, Any], choice_state: str) -> None:
    # EventBridge delivers at least once: the execution that does not own the object's decision
    # goes straight to a Succeed state, past every deciding task.
    (duplicate,) = (
        c for c in states(asl)[choice_state]["Choices"] if comparisons(c)[0]["StringEquals"] == DeliveryRole.DUPLICATE
    )

    assert states(asl)[duplicate["Next"]]["Type"] == "Succeed"
    # guarded: a result without `delivery` (an older Lambda during a deploy) is not a runtime error
    (guard,) = (r for r in duplicate["And"] if "IsPresent" in r)
    assert guard == {"Variable": comparisons(duplicate)[0]["Variable"], "IsPresent": True}


def test_only_the_owner_of_the_decision_goes_on_from_intake(asl: dict[str, Any]) -> None:
    assert states(asl)["Intake"]["Next"] == "ChooseDelivery"
    assert states(asl)["ChooseDelivery"]["Default"] == "AssessFraud"


def test_pass_results_validate_as_the_model_of_their_result_path(asl: dict[str, Any]) -> None:
    for name, state in states(asl, "Pass").items():
        model = field_type(state["ResultPath"])
        assert issubclass(model, BaseModel), name
        model.model_validate(state["Result"])


def test_decision_pass_states_produce_final_decisions(asl: dict[str, Any]) -> None:
    finals = {n: s for n, s in states(asl, "Pass").items() if s["ResultPath"] == "$.final"}

    assert set(finals) == {"AutoApproved", "AutoDenied", "HumanApproved", "HumanDenied", "ReviewPended"}
    for name, state in finals.items():
        FinalDecision.model_validate(state["Result"])
        assert state["Next"] == "RecordDecision", name


def test_review_timeout_never_approves(asl: dict[str, Any]) -> None:
    pended = FinalDecision.model_validate(states(asl)["ReviewPended"]["Result"])

    assert pended.outcome is Outcome.PENDED


# -- the auto-decided path ---------------------------------------------------------------------


def auto_path(asl: dict[str, Any], route: str) -> list[str]:
    """States entered from StartAt to the end when nothing fails and the router says `route`."""
    entered, name = [], asl["StartAt"]
    while True:
        entered.append(name)
        state = states(asl)[name]
        if state["Type"] == "Choice":  # the route's branch, else the default (the delivery's owner)
            name = next((c["Next"] for c in state["Choices"] if c.get("StringEquals") == route), state.get("Default"))
        elif state.get("End") or state["Type"] in ("Succeed", "Fail"):
            return entered
        else:
            name = state["Next"]
        assert len(entered) < len(asl["States"]), f"loop on the {route} path: {entered}"


@pytest.mark.parametrize("route", [Route.AUTO_APPROVE.value, Route.AUTO_DENY.value])
def test_auto_decided_path_enters_at_most_eight_states(asl: dict[str, Any], route: str) -> None:
    path = auto_path(asl, route)

    assert len(path) <= MAX_AUTO_PATH_STATES, path
    assert path[-1] == "RecordDecision"
    assert "AwaitHumanReview" not in path
