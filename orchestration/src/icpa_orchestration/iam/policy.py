"""A small IAM identity-policy evaluator: does this policy allow this action on this resource?

Why not a library: moto ships `moto.iam.access_control.IAMPolicyStatement`, but it matches
actions case-sensitively (IAM does not), builds its regexes without escaping `.` and other
regex characters in ARNs, and treats a statement whose condition is not met as an explicit
DENY (on AWS the statement simply does not apply). policyuniverse parses and expands policies
but evaluates no request; the PyPI "policy evaluators" need an AWS account (the IAM policy
simulator) or an account's authorization dump. So this is the few rules the check needs:

- explicit Deny wins, then any Allow, else implicit deny;
- Action / NotAction (case-insensitive), Resource / NotResource (case-sensitive), `*` and `?`;
- conditions: String(Not)Equals(IgnoreCase), String(Not)Like, Arn(Not)Equals, Arn(Not)Like,
  Bool, Null, NumericEquals/LessThan/..., the `IfExists` suffix and the `ForAnyValue:` /
  `ForAllValues:` set prefixes; keys are case-insensitive, several values are OR'ed, several
  keys and operators AND'ed. A missing key makes a positive operator false (the statement
  does not apply), as on AWS;
- what it cannot decide (an unknown operator, a policy variable such as `${aws:username}`)
  fails closed: an Allow statement does not apply, a Deny statement does, and the decision
  says why, so a reviewer sees it instead of a silent pass.
Resource-based policies, permission boundaries and SCPs are out of scope: each role's own
policies are what the template controls.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

ConditionValue = str | list[str] | bool | None


@dataclass(frozen=True)
class Request:
    """One authorization AWS performs: `action` on `resource`, with the request's condition
    context (e.g. `s3:prefix`, `kms:ViaService`, `kms:EncryptionContext:aws:s3:arn`)."""

    action: str
    resource: str
    context: Mapping[str, ConditionValue] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    matched: tuple[str, ...] = ()  # Sids (or indexes) of the statements that decided it
    notes: tuple[str, ...] = ()  # undecidable conditions met on the way (failed closed)


@lru_cache(maxsize=4096)
def _glob(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", 0 if case_sensitive else re.IGNORECASE | re.DOTALL)


def glob_match(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    """IAM's wildcard match: `*` any run of characters (also `:` and `/`), `?` one character."""
    return _glob(pattern, case_sensitive).match(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    return pattern == "*" or glob_match(pattern, action, case_sensitive=False)


def _arn_like(pattern: str, value: str) -> bool:
    # ARNs match part by part: a `*` in the service part never eats the region part.
    p_parts, v_parts = pattern.split(":", 5), value.split(":", 5)
    if len(p_parts) != 6 or len(v_parts) != 6:
        return glob_match(pattern, value)
    return all(glob_match(p, v) for p, v in zip(p_parts, v_parts, strict=True))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


class Undecidable(Exception):
    pass


def _number(text: Any) -> float:
    try:
        return float(text)
    except (TypeError, ValueError) as exc:
        raise Undecidable(f"not a number: {text!r}") from exc


_SINGLE: Final[dict[str, Any]] = {
    "StringEquals": lambda p, v: p == v,
    "StringNotEquals": lambda p, v: p != v,
    "StringEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
    "StringNotEqualsIgnoreCase": lambda p, v: p.lower() != v.lower(),
    "StringLike": lambda p, v: glob_match(p, v),
    "StringNotLike": lambda p, v: not glob_match(p, v),
    "ArnEquals": lambda p, v: p == v,
    "ArnNotEquals": lambda p, v: p != v,
    "ArnLike": _arn_like,
    "ArnNotLike": lambda p, v: not _arn_like(p, v),
    "Bool": lambda p, v: str(p).lower() == str(v).lower(),
    "NumericEquals": lambda p, v: _number(v) == _number(p),
    "NumericNotEquals": lambda p, v: _number(v) != _number(p),
    "NumericLessThan": lambda p, v: _number(v) < _number(p),
    "NumericLessThanEquals": lambda p, v: _number(v) <= _number(p),
    "NumericGreaterThan": lambda p, v: _number(v) > _number(p),
    "NumericGreaterThanEquals": lambda p, v: _number(v) >= _number(p),
}
# Negated operators: "no policy value matches" (AWS: NOR of the values), not "some value differs".
_NEGATED: Final = {name for name in _SINGLE if "Not" in name}


def _value_matches(operator: str, policy_values: list[Any], value: Any) -> bool:
    test = _SINGLE[operator]
    if operator in _NEGATED:
        return all(test(str(p), str(value)) for p in policy_values)
    return any(test(str(p), str(value)) for p in policy_values)


def _condition_holds(operator: str, key: str, policy_values: list[Any], context: Mapping[str, Any]) -> bool:
    lowered = {k.lower(): v for k, v in context.items()}
    present = key.lower() in lowered and lowered[key.lower()] is not None
    value = lowered.get(key.lower())
    if any("${" in str(p) for p in policy_values):
        raise Undecidable(f"policy variable in {operator} {key}")
    if operator == "Null":
        wanted = str(policy_values[0]).lower() == "true"
        return (not present) == wanted
    qualifier, _, op = operator.rpartition(":")
    if_exists = op.endswith("IfExists")
    op = op.removesuffix("IfExists")
    if op not in _SINGLE:
        raise Undecidable(f"condition operator {operator} is not modelled")
    if not present:
        if qualifier == "ForAllValues":
            return True  # vacuously true over an empty set, as on AWS
        return if_exists
    values = _as_list(value)
    if qualifier == "ForAnyValue":
        return any(_value_matches(op, policy_values, v) for v in values)
    if qualifier == "ForAllValues":
        return all(_value_matches(op, policy_values, v) for v in values)
    if qualifier:
        raise Undecidable(f"set qualifier {qualifier} is not modelled")
    if len(values) != 1:
        raise Undecidable(f"{key} has several values; {operator} needs ForAnyValue/ForAllValues")
    return _value_matches(op, policy_values, values[0])


def conditions_hold(condition: Mapping[str, Mapping[str, Any]] | None, context: Mapping[str, Any]) -> bool:
    """True when every operator's every key holds (raises Undecidable when it cannot tell)."""
    for operator, keys in (condition or {}).items():
        for key, policy_values in keys.items():
            if not _condition_holds(operator, key, _as_list(policy_values), context):
                return False
    return True


def _statements(policy: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    if isinstance(policy, Mapping):
        return [s for s in _as_list(policy.get("Statement")) if isinstance(s, Mapping)]
    return [s for s in policy if isinstance(s, Mapping)]


def statement_applies_to(statement: Mapping[str, Any], action: str, resource: str) -> bool:
    """Action and resource part of a statement (no conditions)."""
    if "NotAction" in statement:
        action_ok = not any(action_matches(p, action) for p in _as_list(statement["NotAction"]))
    else:
        action_ok = any(action_matches(p, action) for p in _as_list(statement.get("Action")))
    if not action_ok:
        return False
    if "NotResource" in statement:
        return not any(glob_match(p, resource) for p in _as_list(statement["NotResource"]))
    return any(glob_match(p, resource) for p in _as_list(statement.get("Resource")))


def evaluate(policies: Iterable[Mapping[str, Any]] | Mapping[str, Any], request: Request) -> Decision:
    """Evaluate one request against identity policies (a document, or a list of statements)."""
    statements: list[Mapping[str, Any]] = []
    for policy in [policies] if isinstance(policies, Mapping) else list(policies):
        statements.extend(_statements(policy) if "Statement" in policy else [policy])
    allows: list[str] = []
    denies: list[str] = []
    notes: list[str] = []
    for index, statement in enumerate(statements):
        if not statement_applies_to(statement, request.action, request.resource):
            continue
        effect = str(statement.get("Effect", "")).lower()
        name = str(statement.get("Sid") or f"#{index}")
        try:
            holds = conditions_hold(statement.get("Condition"), request.context)
        except Undecidable as exc:
            notes.append(f"{name}: {exc} (failed closed)")
            holds = effect == "deny"
        if not holds:
            continue
        (denies if effect == "deny" else allows).append(name)
    if denies:
        return Decision(False, tuple(denies), tuple(notes))
    return Decision(bool(allows), tuple(allows), tuple(notes))
