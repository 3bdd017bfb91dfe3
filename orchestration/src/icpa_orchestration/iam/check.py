"""The IAM fidelity check: the calls each principal made (recorded while the workflow ran
locally) against the role the template gives it.

Two failures, both named by role, action and resource:
- denied: a call (or what a service does with the caller's permissions behind it, such as
  DynamoDB's kms:Decrypt) that no statement of the role allows;
- unused: an action a statement grants on a resource that no recorded call needed, unless the
  allow-list (orchestration/iam-allowlist.toml) names it with its reason. An allow-list entry
  that excuses nothing any more is a failure too, so the list cannot go stale.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from icpa_orchestration.iam.authorizations import Authorizations, Need, UnmappedCall
from icpa_orchestration.iam.policy import Undecidable, action_matches, conditions_hold, evaluate, glob_match
from icpa_orchestration.iam.template import TemplateError, TemplateModel


@dataclass(frozen=True)
class Call:
    principal: str  # a function's or state machine's logical id, or "rule:<local rule name>"
    service: str
    operation: str
    params: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class AllowListEntry:
    role: str
    action: str
    reason: str
    resource: str = "*"

    def excuses(self, role: str, action: str, resource: str) -> bool:
        return role == self.role and action_matches(self.action, action) and glob_match(self.resource, resource)


@dataclass
class Report:
    denied: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    stale_allowlist: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    principals: dict[str, str] = field(default_factory=dict)  # principal -> role
    used: dict[str, set[str]] = field(default_factory=dict)  # role -> actions needed
    granted: dict[str, set[str]] = field(default_factory=dict)  # role -> actions granted

    def failures(self) -> list[str]:
        return [*self.unmapped, *self.denied, *self.unused, *self.stale_allowlist]


def load_allowlist(text: str) -> list[AllowListEntry]:
    """`[[grant]]` tables with role, action, reason and optionally resource (a glob)."""
    entries: list[AllowListEntry] = []
    for raw in tomllib.loads(text).get("grant", []):
        reason = str(raw.get("reason", "")).strip()
        if not reason:
            raise ValueError(f"allow-list entry without a reason: {raw}")
        entries.append(AllowListEntry(str(raw["role"]), str(raw["action"]), reason, str(raw.get("resource", "*"))))
    return entries


def _role_for(model: TemplateModel, principal: str) -> str:
    if principal.startswith("rule:"):
        rules = [
            lid
            for lid in model.local_names().get(principal.removeprefix("rule:"), [])
            if model.type_of(lid) == "AWS::Events::Rule"
        ]
        if len(rules) != 1:
            raise TemplateError(f"no single rule in the template for {principal}: {rules}")
        return model.rule_target_role(rules[0])
    return model.role_of(principal)


def _invoked_functions(model: TemplateModel, calls: Iterable[Call]) -> set[str]:
    functions = {lid for lid, r in model.resources.items() if r["Type"] == "AWS::Serverless::Function"}
    invoked = {c.principal for c in calls if c.principal in functions}
    for call in calls:
        if call.service == "lambda" and call.operation == "Invoke":
            invoked.add(str(call.params.get("FunctionName", "")).split(":function:")[-1].split(":")[0])
    return invoked & functions


def check(model: TemplateModel, calls: Iterable[Call], allowlist: Iterable[AllowListEntry] = ()) -> Report:
    calls = list(calls)
    allowlist = list(allowlist)
    report = Report()
    auth = Authorizations(model)
    needs: dict[str, list[Need]] = {}  # role -> needs
    for call in calls:
        role = _role_for(model, call.principal)
        report.principals[call.principal] = role
        try:
            found = auth.needs(call.service, call.operation, call.params)
        except (UnmappedCall, KeyError) as exc:
            report.unmapped.append(f"{call.principal} ({role}): {call.service}.{call.operation} - {exc}")
            continue
        needs.setdefault(role, []).extend(found)
    for function in sorted(_invoked_functions(model, calls)):
        role = model.role_of(function)
        report.principals.setdefault(function, role)
        needs.setdefault(role, []).extend(auth.function_runtime(function))
    machines = {
        c.principal
        for c in calls
        if c.principal in model.resources and model.type_of(c.principal) == "AWS::Serverless::StateMachine"
    }
    for machine in sorted(machines):
        needs.setdefault(model.role_of(machine), []).extend(auth.state_machine_runtime(machine))

    for role, role_needs in sorted(needs.items()):
        statements = model.role_statements(role)
        report.used[role] = {n.request.action for n in role_needs}
        seen: set[tuple[str, str]] = set()
        for need in role_needs:
            key = (need.request.action, need.request.resource)
            if key in seen:
                continue
            seen.add(key)
            decision = evaluate(statements, need.request)
            if not decision.allowed:
                how = f"denied by {', '.join(decision.matched)}" if decision.matched else "no statement allows it"
                notes = f"; {'; '.join(decision.notes)}" if decision.notes else ""
                report.denied.append(
                    f"{role}: {need.request.action} on {need.request.resource} ({need.why}) - {how}{notes}"
                )

    excused: set[AllowListEntry] = set()
    roles = sorted({*report.principals.values(), *(e.role for e in allowlist)})
    for role in roles:
        try:
            statements = model.role_statements(role)
        except (TemplateError, KeyError):
            continue
        report.granted[role] = set()
        role_needs = needs.get(role, [])
        for statement in statements:
            if str(statement.get("Effect", "")).lower() != "allow" or "NotAction" in statement:
                continue
            actions = statement.get("Action", [])
            resources = statement.get("Resource", [])
            for action in actions if isinstance(actions, list) else [actions]:
                report.granted[role].add(action)
                for resource in resources if isinstance(resources, list) else [resources]:
                    if _grant_used(statement, action, resource, role_needs):
                        continue
                    entry = next((e for e in allowlist if e.excuses(role, action, resource)), None)
                    if entry is not None:
                        excused.add(entry)
                        continue
                    sid = statement.get("Sid", "?")
                    report.unused.append(
                        f"{role}: {action} on {resource} (Sid {sid}) is granted but no test exercised it"
                        " - remove it, or list it with its reason in orchestration/iam-allowlist.toml"
                    )
    for entry in allowlist:
        if entry not in excused:
            report.stale_allowlist.append(
                f"allow-list entry {entry.role} {entry.action} on {entry.resource} excuses nothing"
                " (the grant is gone or now used): remove the entry"
            )
    return report


def _grant_used(statement: Mapping[str, Any], action: str, resource: str, needs: Iterable[Need]) -> bool:
    for need in needs:
        if not (action_matches(action, need.request.action) and glob_match(resource, need.request.resource)):
            continue
        try:
            if conditions_hold(statement.get("Condition"), need.request.context):
                return True
        except Undecidable:
            continue
    return False


def usage_table(report: Report) -> str:
    """Markdown: each role's actions used and granted (the issue's closing note)."""
    lines = ["| role | actions used | actions granted |", "|---|---|---|"]
    for role in sorted(set(report.used) | set(report.granted)):
        used = ", ".join(sorted(report.used.get(role, set())))
        granted = ", ".join(sorted(report.granted.get(role, set())))
        lines.append(f"| {role} | {used} | {granted} |")
    return "\n".join(lines)
