"""Claims for the benchmarks: one sample per workflow path, made into distinct claims.

Every claim n gets its own claim id, member, subscriber, policy (a copy of the sample's, listing
only that member) and provider NPI, and its service date moves back by n % 200 days: fraud's
history signals (duplicates, a member's claims per day, a provider's procedures per day) then see
no earlier claim of the same member or provider, so a claim's path does not change with how many
ran before it. The rejected path keeps its unknown member (in no policy).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path as FilePath
from typing import Any, Final

from icpa_local import moto_patches
from icpa_local.cloud import LocalCloud


@dataclass(frozen=True)
class Path:
    name: str
    sample: str
    review: str | None  # the reviewer's answer, for paths that stop at a human review
    outcome: str


PATHS: Final = (
    Path("auto-approve", "approve-office-visit.json", None, "APPROVED"),
    Path("auto-deny", "deny-lapsed-policy.json", None, "DENIED"),
    Path("human-approve", "review-high-amount-surgery.json", "APPROVE", "APPROVED"),
    Path("rejected", "rejected-unknown-member.json", None, "REJECTED"),
)
BY_NAME: Final = {p.name: p for p in PATHS}
UNREVIEWED: Final = ("auto-approve", "auto-deny", "rejected")
"""The paths no human review stops: a driver that answers no review can run them one by one."""


def npi(n: int) -> str:
    """A valid NPI (Luhn over "80840" + the first nine digits), distinct for each n < 10**8."""
    base = f"2{n:08d}"
    digits = [int(d) for d in "80840" + base]
    total = 0
    for i, d in enumerate(reversed(digits)):  # the check digit goes to the right: double odd positions
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return base + str((10 - total % 10) % 10)


def _samples() -> dict[str, dict[str, Any]]:
    folder = resources.files("icpa_local").joinpath("samples")
    return {p.name: json.loads(folder.joinpath(p.sample).read_text()) for p in PATHS}


def _policies() -> dict[str, dict[str, Any]]:
    text = resources.files("icpa_local").joinpath("data/policies.json").read_text()
    return {p["policy_id"]: p for p in json.loads(text)}


def shifted(template: dict[str, Any], n: int, claim_id: str) -> dict[str, Any]:
    """A copy of the claim with its own id, its service dates moved back by n % 200 days and each
    line's charge raised by n % 97 cents (the totals follow): claim n of a run, not a duplicate."""
    claim: dict[str, Any] = json.loads(json.dumps(template))
    claim["claim_id"] = claim_id
    shift = timedelta(days=n % 200)
    for line in claim["lines"]:
        line["service_date"] = (date.fromisoformat(line["service_date"]) - shift).isoformat()
        line["charge"]["amount"] = str(Decimal(line["charge"]["amount"]) + Decimal(n % 97) / 100)
    dates = sorted(line["service_date"] for line in claim["lines"])
    claim["service_date_from"], claim["service_date_to"] = dates[0], dates[-1]
    claim["total_charge"]["amount"] = str(sum(Decimal(line["charge"]["amount"]) for line in claim["lines"]))
    return claim


class Variants:
    """`claim(path, n)` -> the claim's bytes; `policies(...)` -> the policies they need."""

    def __init__(self) -> None:
        self._samples = _samples()
        self._policies = _policies()

    def claim(self, path: str, n: int) -> bytes:
        claim = shifted(self._samples[path], n, f"BENCH-{n:07d}")
        claim["provider_npi"] = npi(n)
        if path != "rejected":  # the rejected sample's member is unknown on purpose
            claim["member_id"] = f"MBR{n:08d}"
            claim["subscriber_id"] = f"SUB{n:08d}"
            claim["policy_id"] = f"POL-B{n:07d}"
        return json.dumps(claim).encode()

    def policy(self, path: str, n: int) -> dict[str, Any] | None:
        if path == "rejected":
            return None
        policy = json.loads(json.dumps(self._policies[self._samples[path]["policy_id"]]))
        policy.update(policy_id=f"POL-B{n:07d}", subscriber_id=f"SUB{n:08d}", members=[f"MBR{n:08d}"])
        return policy

    def policies(self, plan: list[tuple[str, int]]) -> list[dict[str, Any]]:
        return [p for path, n in plan if (p := self.policy(path, n)) is not None]


@contextlib.contextmanager
def warm_cloud(variants: Variants, plan: list[tuple[str, int]], log_path: FilePath, warm: int) -> Iterator[LocalCloud]:
    """A local cloud with the real handlers, the plan's policies seeded, and one auto-approve
    claim (`warm`) decided and archived, so the plan's first claim pays no first-call costs."""
    with LocalCloud(time_scale=0.01, log_path=log_path) as cloud:
        cloud.seed_policies(variants.policies(plan))
        cloud.wait(cloud.upload(variants.claim(UNREVIEWED[0], warm), f"claims/warm-{warm}.json"))
        moto_patches.wait_for_async_invocations()
        yield cloud


def one_at_a_time(cloud: LocalCloud, variants: Variants, plan: list[tuple[str, int]], prefix: str) -> None:
    """Each claim of `plan` uploaded and decided before the next, then the archivers they started."""
    for path, n in plan:
        cloud.wait(cloud.upload(variants.claim(path, n), f"claims/{prefix}-{path}-{n}.json"))
    moto_patches.wait_for_async_invocations()
