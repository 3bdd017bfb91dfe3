"""The hostile corpus (manifest.json) through the real workflow, in one batch mixed with good
claims: every file ends with exactly its expected outcome and reasons, every rejected original
is kept in quarantine byte for byte, nothing ends ERROR, and the good claims' outcomes are the
ones they have on their own."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

from icpa_local.cloud import LocalCloud

from .generators import generate, hostile_policies

HERE = Path(__file__).parent
MANIFEST = json.loads((HERE / "manifest.json").read_text(encoding="utf-8"))

# Bundled samples that decide without a reviewer: (outcome, a reason among the reasons).
GOOD = {
    "approve-office-visit.json": ("APPROVED", "ADJUDICATION_APPROVED"),
    "approve-lab-panel.json": ("APPROVED", "ADJUDICATION_APPROVED"),
    "approve-platinum-imaging.json": ("APPROVED", "ADJUDICATION_APPROVED"),
    "approve-physical-therapy.json": ("APPROVED", "ADJUDICATION_APPROVED"),
    "annual-limit-capped.json": ("APPROVED", "ADJUDICATION_APPROVED"),
    "deny-lapsed-policy.json": ("DENIED", "POLICY_LAPSED"),
    "deny-coverage-ended.json": ("DENIED", "NOT_EFFECTIVE_ON_DATE"),
    "deny-cosmetic-excluded.json": ("DENIED", "EXCLUDED_SERVICE"),
    "deny-not-covered-by-plan.json": ("DENIED", "NOT_COVERED"),
    "fhir-approve-office-visit.json": ("APPROVED", "ADJUDICATION_APPROVED"),
    "fhir-deny-lapsed-policy.json": ("DENIED", "POLICY_LAPSED"),
    "rejected-malformed.json": ("REJECTED", "MALFORMED_JSON"),
    "rejected-total-mismatch.json": ("REJECTED", "TOTAL_MISMATCH"),
    "rejected-unknown-member.json": ("REJECTED", "UNKNOWN_MEMBER"),
}


@dataclass(frozen=True)
class Entry:
    key: str
    body: bytes
    outcome: str
    reasons: tuple[str, ...]
    """Each must be among the result's reasons; empty: any reason, as long as there is one."""
    label: str


def entries() -> list[Entry]:
    out = []
    for raw in MANIFEST["entries"]:
        if "file" in raw:
            body, label = (HERE / raw["file"]).read_bytes(), raw["file"]
        else:
            body, label = generate(raw["generate"], raw.get("params", {})), f"generated:{raw['generate']}"
        out.append(Entry(raw["key"], body, raw["outcome"], tuple(raw["reasons"]), label))
    return out


def gold_policy() -> dict[str, Any]:
    policies = json.loads(resources.files("icpa_local").joinpath("data/policies.json").read_text())
    gold: dict[str, Any] = next(p for p in policies if p["policy_id"] == "POL-GOLD001")
    return gold


def sample(name: str) -> bytes:
    return resources.files("icpa_local").joinpath(f"samples/{name}").read_bytes()


# -- the manifest itself -------------------------------------------------------------------------


def test_the_manifest_lists_every_corpus_file_once_with_an_outcome_and_a_reason() -> None:
    listed = [raw["file"] for raw in MANIFEST["entries"] if "file" in raw]
    on_disk = sorted(f"corpus/{p.name}" for p in (HERE / "corpus").iterdir())
    assert sorted(listed) == on_disk and len(on_disk) >= 60
    keys = [raw["key"] for raw in MANIFEST["entries"]]
    assert len(keys) == len(set(keys)) and all(k.startswith("claims/") for k in keys)
    for raw in MANIFEST["entries"]:
        assert raw["outcome"] in {"APPROVED", "DENIED", "REJECTED"} and raw["why"], raw
        assert raw["outcome"] == "REJECTED" or raw["reasons"], raw
    generated = {raw["generate"] for raw in MANIFEST["entries"] if "generate" in raw}
    assert {"claim_lines", "padded_claim", "nested_arrays", "nested_objects"} <= generated


def test_generated_entries_are_deterministic_and_as_big_as_promised() -> None:
    big = [raw for raw in MANIFEST["entries"] if "generate" in raw]
    for raw in big:
        assert generate(raw["generate"], raw["params"]) == generate(raw["generate"], raw["params"])
    by_key = {raw["key"]: generate(raw["generate"], raw["params"]) for raw in big}
    assert len(by_key["claims/hostile/generated-20mb.json"]) >= 20 * 1024 * 1024
    assert len(json.loads(by_key["claims/hostile/generated-10000-lines.json"])["lines"]) == 10_000


# -- the batch ------------------------------------------------------------------------------------


def _source_key(cloud: LocalCloud, arn: str) -> str:
    doc = json.loads(cloud.describe(arn)["input"])
    return str(doc["source"]["key"])


def _executions_by_key(cloud: LocalCloud, keys: set[str], timeout: float) -> dict[str, str]:
    """key -> execution arn, read back from the executions' inputs (the rule may hand the key
    over URL-encoded, as S3's events do)."""
    found: dict[str, str] = {}
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while len(found) < len(keys) and time.monotonic() < deadline:
        for execution in cloud.executions():
            arn = str(execution["executionArn"])
            if arn in seen:
                continue
            seen.add(arn)
            key = _source_key(cloud, arn)
            for candidate in (key, unquote_plus(key)):
                if candidate in keys:
                    found[candidate] = arn
                    break
        time.sleep(0.2)
    return found


def _quarantined_original(cloud: LocalCloud, claim_id: str | None) -> bytes | None:
    if not claim_id:
        return None
    s3 = cloud.client("s3")
    try:
        body: bytes = s3.get_object(Bucket=cloud.names.quarantine_bucket, Key=f"{claim_id}/original")["Body"].read()
        s3.head_object(Bucket=cloud.names.quarantine_bucket, Key=f"{claim_id}/reason.json")
    except s3.exceptions.ClientError:
        return None
    return body


def test_hostile_corpus_mixed_with_good_claims_ends_with_the_expected_outcomes() -> None:
    hostile = entries()
    good = {f"claims/good/{name}": name for name in GOOD}
    # 0.05: the scale shrinks the tasks' 60 s timeouts as well (3 s with ~120 claims in flight).
    with LocalCloud(time_scale=0.05) as cloud:
        cloud.seed_policies(hostile_policies(gold_policy()))
        s3 = cloud.client("s3")
        bodies = {e.key: e.body for e in hostile} | {key: sample(name) for key, name in good.items()}
        # Good and hostile interleaved, all in flight at once.
        order = [e.key for e in hostile]
        for position, key in enumerate(good):
            order.insert(position * 7, key)
        for key in order:
            s3.put_object(Bucket=cloud.names.inbox_bucket, Key=key, Body=bodies[key])
        arns = _executions_by_key(cloud, set(bodies), timeout=60)
        unsettled = set(cloud.wait_settled(list(arns.values()), timeout=180))
        results = {key: cloud.result(arn, key) for key, arn in arns.items()}
        originals = {
            key: _quarantined_original(cloud, r.claim_id) for key, r in results.items() if r.outcome == "REJECTED"
        }

    problems: list[str] = []
    for entry in hostile:
        result = results.get(entry.key)
        if result is None:
            problems.append(f"{entry.label} [{entry.key[:60]}]: no execution started (lost)")
            continue
        got = f"{result.outcome} {result.reasons}"
        if arns[entry.key] in unsettled:
            problems.append(f"{entry.label}: still running ({got})")
        elif result.outcome != entry.outcome:
            problems.append(f"{entry.label}: expected {entry.outcome} {list(entry.reasons)}, got {got}")
        elif not result.reasons or not set(entry.reasons) <= set(result.reasons):
            problems.append(f"{entry.label}: expected reasons {list(entry.reasons) or 'any'}, got {got}")
        elif entry.outcome == "REJECTED" and originals.get(entry.key) != entry.body:
            kept = originals.get(entry.key)
            problems.append(
                f"{entry.label}: original not kept in quarantine under {result.claim_id} "
                f"({'missing' if kept is None else hashlib.sha256(kept).hexdigest()[:12]})"
            )
    for key, name in good.items():
        outcome, reason = GOOD[name]
        result = results.get(key)
        if result is None or result.outcome != outcome or reason not in result.reasons:
            problems.append(
                f"good {name}: expected {outcome} {reason}, got "
                f"{'nothing' if result is None else f'{result.outcome} {result.reasons}'}"
            )
    errors = [key for key, r in results.items() if r.outcome == "ERROR"]
    summary = f"{len(problems)} of {len(hostile) + len(good)} claims off; ERROR: {len(errors)}"
    assert not problems, summary + "\n" + "\n".join(problems)
    assert not errors
