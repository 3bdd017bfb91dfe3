"""Verifying a claim's decision trail: the hash chain on its own, and the chain against the
archived execution histories. Every failure names the link that broke."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict

from icpa_audit.domain.archiving import history_digest
from icpa_audit.domain.history import DECIDING_STATES, succeeded_tasks
from icpa_audit.domain.models import ARCHIVE_SUFFIX, archive_key
from icpa_audit.domain.trail import ArchivedRun, Trail
from icpa_shared.audit import ChainVerification, event_hash, verify_chain
from icpa_shared.contracts.audit import AuditEvent

# The steps that state where a claim ended.
OUTCOME_STEPS: Final = frozenset({"decision", "quarantine"})
# Intake records one event per accepted source object (record_once): a second execution for the
# same upload (EventBridge delivers at least once) finds the first execution's intake event.
RECORDED_ONCE_PER_SOURCE: Final = frozenset({"intake"})

Check = Literal["chain", "archive", "execution", "history", "outcome"]


class BrokenLink(BaseModel):
    """One failed check. `link` names what broke ("sequence 4 (router)", "history of <name>")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    check: Check
    link: str
    problem: str
    sequence: int | None = None
    step: str | None = None
    execution: str | None = None
    state: str | None = None

    def __str__(self) -> str:
        return f"{self.link}: {self.problem}"


class TrailVerification(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    claim_id: str
    ok: bool
    checked_events: int
    checked_executions: int
    broken: list[BrokenLink]

    def summary(self) -> str:
        if self.ok:
            return (
                f"OK: {self.checked_events} audit event(s) in an unbroken chain, "
                f"consistent with {self.checked_executions} archived execution(s)"
            )
        return f"BROKEN: {len(self.broken)} broken link(s)\n" + "\n".join(f"  - {link}" for link in self.broken)


def verify_trail(trail: Trail) -> TrailVerification:
    broken = [
        *_chain(trail),
        *_archives(trail),
        *_archived_copies(trail),
        *_execution_references(trail),
        *_history_steps(trail),
        *_outcomes(trail),
    ]
    return TrailVerification(
        claim_id=trail.claim_id,
        ok=not broken,
        checked_events=len(trail.events),
        checked_executions=len(trail.archives),
        broken=broken,
    )


def _event_link(event: AuditEvent) -> str:
    return f"sequence {event.sequence} ({event.step})"


def _event_break(event: AuditEvent, check: Check, problem: str, execution: str | None = None) -> BrokenLink:
    return BrokenLink(
        check=check,
        link=_event_link(event),
        problem=problem,
        sequence=event.sequence,
        step=event.step,
        execution=execution,
    )


def execution_name(execution_arn: str) -> str:
    """arn:aws:states:<region>:<account>:execution:<state machine>:<name> -> <name>."""
    return execution_arn.rsplit(":", 1)[-1]


# --- the hash chain on its own ----------------------------------------------------------------


def _chain(trail: Trail) -> list[BrokenLink]:
    events = trail.events
    out: list[BrokenLink] = []
    verdict = verify_chain(events)
    first_bad: int | None = None
    if not verdict.ok:
        first_bad = verdict.checked  # verify_chain stops at the first bad position (0-based here)
        event = events[first_bad]
        out.append(_event_break(event, "chain", _explain(verdict, events, first_bad)))
    # verify_chain stops at the first break; name every other event whose content was changed.
    for index, event in enumerate(events):
        if index != first_bad and event_hash(event.model_dump(mode="json")) != event.hash:
            out.append(_event_break(event, "chain", "content does not match its hash"))
    for event in events:
        if event.claim_id != trail.claim_id:
            out.append(_event_break(event, "chain", f"belongs to claim {event.claim_id}, not {trail.claim_id}"))
    return out


def _explain(verdict: ChainVerification, events: Sequence[AuditEvent], index: int) -> str:
    event = events[index]
    expected = index + 1
    if event.sequence != expected:
        if any(e.sequence == expected for e in events):
            return f"out of order: sequence {expected} belongs here, found {event.sequence}"
        if event.sequence < expected:
            return f"duplicated or out of order: expected sequence {expected}, found {event.sequence}"
        gap = f"sequence {expected}" if event.sequence == expected + 1 else f"sequences {expected}-{event.sequence - 1}"
        return f"{gap} missing before it (removed from the chain)"
    if verdict.problem and "previous_hash" in verdict.problem:
        before = events[index - 1] if index > 0 else None
        if before is None:
            return "the first event links to a previous one (events before it were removed)"
        return (
            f"previous_hash does not match the hash of sequence {before.sequence} ({before.step}): "
            "that event was changed or replaced"
        )
    return verdict.problem or "broken link"


# --- the archives themselves ------------------------------------------------------------------


def _archives(trail: Trail) -> list[BrokenLink]:
    out: list[BrokenLink] = []
    for unreadable in trail.unreadable:
        out.append(BrokenLink(check="archive", link=f"archive {unreadable.key}", problem=unreadable.problem))
    for run in trail.archives:
        doc = run.document
        link = f"archive of {run.name}"
        if history_digest(doc.history, doc.canonical) != doc.history_sha256:
            out.append(
                BrokenLink(
                    check="archive",
                    link=link,
                    problem="history does not match its history_sha256 (the archived history was altered)",
                    execution=run.name,
                )
            )
        if doc.claim_id != trail.claim_id:
            out.append(
                BrokenLink(
                    check="archive",
                    link=link,
                    problem=f"holds claim {doc.claim_id}, not {trail.claim_id} (key {run.key})",
                    execution=run.name,
                )
            )
        elif run.key != archive_key(trail.claim_id, run.name):
            out.append(
                BrokenLink(
                    check="archive",
                    link=link,
                    problem=f"stored at {run.key}, expected {archive_key(trail.claim_id, run.name)}",
                    execution=run.name,
                )
            )
        verdict = doc.chain_verification
        if not verdict.ok:
            out.append(
                BrokenLink(
                    check="archive",
                    link=link,
                    problem=(
                        f"the chain was already broken when archived "
                        f"(sequence {verdict.broken_sequence}: {verdict.problem})"
                    ),
                    sequence=verdict.broken_sequence,
                    execution=run.name,
                )
            )
    return out


def _archived_copies(trail: Trail) -> list[BrokenLink]:
    """Each archive froze the chain as it stood: a live event that differs from, or is missing
    against, an archived copy was changed afterwards, even if its hashes were recomputed, and
    even if it was the last event (which the hash chain alone cannot show)."""
    live: dict[int, AuditEvent] = {}
    for event in trail.events:
        live.setdefault(event.sequence, event)
    out: list[BrokenLink] = []
    reported: set[int] = set()
    for run in trail.archives:
        for archived in run.document.audit_chain:
            if archived.sequence in reported or archived.claim_id != trail.claim_id:
                continue
            current = live.get(archived.sequence)
            if current is None:
                problem = f"archived with {run.name} but missing from the audit table"
                out.append(_event_break(archived, "chain", problem, execution=run.name))
                reported.add(archived.sequence)
            elif current != archived:
                fields = _changed_fields(archived, current)
                problem = f"differs from the copy archived with {run.name} ({', '.join(fields)})"
                out.append(_event_break(current, "chain", problem, execution=run.name))
                reported.add(archived.sequence)
    return out


def _changed_fields(before: AuditEvent, after: AuditEvent) -> list[str]:
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    return sorted(name for name in old if old[name] != new.get(name))


# --- the chain against the archived histories --------------------------------------------------


def _execution_references(trail: Trail) -> list[BrokenLink]:
    archived = {run.arn for run in trail.archives}
    unreadable_names = {
        unreadable.key.rsplit("/", 1)[-1].removesuffix(ARCHIVE_SUFFIX) for unreadable in trail.unreadable
    }
    missing: dict[str, list[AuditEvent]] = {}
    for event in trail.events:
        if event.execution_id and event.execution_id not in archived:
            missing.setdefault(event.execution_id, []).append(event)
    out: list[BrokenLink] = []
    for execution_arn, events in missing.items():
        name = execution_name(execution_arn)
        referenced = ", ".join(_event_link(e) for e in events)
        why = "its archive is unreadable" if name in unreadable_names else "still running, or its archive is missing"
        out.append(
            BrokenLink(
                check="execution",
                link=f"execution {name}",
                problem=f"referenced by {referenced} but not archived ({why})",
                sequence=events[0].sequence,
                step=events[0].step,
                execution=name,
            )
        )
    return out


def _history_steps(trail: Trail) -> list[BrokenLink]:
    out: list[BrokenLink] = []
    for run in trail.archives:
        seen: set[str] = set()
        for task in succeeded_tasks(run.document.history):
            step = DECIDING_STATES.get(task.state)
            if step is None or task.state in seen:
                continue
            seen.add(task.state)
            if not any(_matches(event, step, run) for event in trail.events):
                out.append(
                    BrokenLink(
                        check="history",
                        link=f"history of {run.name}",
                        problem=f"{task.state} succeeded but no {step} audit event",
                        step=step,
                        execution=run.name,
                        state=task.state,
                    )
                )
    return out


def _matches(event: AuditEvent, step: str, run: ArchivedRun) -> bool:
    if event.step != step:
        return False
    return event.execution_id in (run.arn, None) or step in RECORDED_ONCE_PER_SOURCE


def _outcomes(trail: Trail) -> list[BrokenLink]:
    out: list[BrokenLink] = []
    mismatched: set[tuple[str, int]] = set()
    for run in trail.archives:
        outcome = run.outcome
        if outcome is None:
            continue
        own = [e for e in trail.events if e.execution_id == run.arn and e.step in OUTCOME_STEPS]
        if own and own[-1].decision != outcome:
            event = own[-1]
            mismatched.add((run.arn, event.sequence))
            out.append(
                BrokenLink(
                    check="outcome",
                    link=f"history of {run.name}",
                    problem=f"recorded outcome {outcome} but {_event_link(event)} says {event.decision}",
                    sequence=event.sequence,
                    step=event.step,
                    execution=run.name,
                )
            )
    finals = [e for e in trail.events if e.step in OUTCOME_STEPS]
    decided = [run for run in trail.archives if run.outcome is not None]
    if finals and decided:
        final = finals[-1]
        latest = max(decided, key=_ended)
        if final.decision != latest.outcome and (latest.arn, final.sequence) not in mismatched:
            out.append(
                BrokenLink(
                    check="outcome",
                    link="final outcome",
                    problem=(
                        f"the chain ends with {final.decision} ({_event_link(final)}) but the latest archived "
                        f"execution {latest.name} recorded {latest.outcome}"
                    ),
                    sequence=final.sequence,
                    step=final.step,
                    execution=latest.name,
                )
            )
    return out


def _ended(run: ArchivedRun) -> tuple[datetime, datetime]:
    execution = run.document.execution
    return (execution.stop_date or execution.start_date, execution.start_date)
