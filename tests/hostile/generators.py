"""Deterministic generators for the corpus entries too big to keep in git (named in
manifest.json as `"generate": <name>, "params": {...}`): the same params give the same bytes."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

POLICY_SIZE = 20  # the Policy contract's most members
CORPUS_POLICIES = 10
"""The corpus files' claims: member MBR7<n> is on POL-HOSTILE<(n-1)//20+1> (subscriber SUB7<k>)."""
GENERATED_POLICY = ("POL-HOSTILEGEN", "SUB799999", ["MBR790001", "MBR790002", "MBR790003"])


def hostile_policies(template: dict[str, Any]) -> list[dict[str, Any]]:
    """The policies the corpus' members are on: `template` (a good policy) under other ids, so
    no fraud history is shared with the good claims of the batch."""
    out = []
    for k in range(1, CORPUS_POLICIES + 1):
        members = [f"MBR7{n:05d}" for n in range((k - 1) * POLICY_SIZE + 1, k * POLICY_SIZE + 1)]
        out.append(
            {**template, "policy_id": f"POL-HOSTILE{k:02d}", "subscriber_id": f"SUB7{k:05d}", "members": members}
        )
    policy_id, subscriber_id, members = GENERATED_POLICY
    out.append({**template, "policy_id": policy_id, "subscriber_id": subscriber_id, "members": members})
    return out


def base_claim(claim_id: str, member_id: str) -> dict[str, Any]:
    """A good claim of the generated entries' policy (an office visit), before a generator breaks it."""
    return {
        "schema_version": "1.0",
        "claim_id": claim_id,
        "claim_type": "professional",
        "member_id": member_id,
        "subscriber_id": GENERATED_POLICY[1],
        "policy_id": GENERATED_POLICY[0],
        "provider_npi": "1234567893",
        "service_date_from": "2026-05-06",
        "service_date_to": "2026-05-06",
        "received_date": "2026-05-08",
        "diagnosis_codes": ["J06.9"],
        "lines": [_line(1)],
        "total_charge": {"amount": "150.00", "currency": "USD"},
        "attachments": [],
        "patient": {"name": "Robin Hostile", "birth_date": "1980-02-02", "gender": "female"},
    }


def _line(number: int) -> dict[str, Any]:
    return {
        "line_number": number,
        "procedure_code": "99213",
        "modifiers": [],
        "units": 1,
        "charge": {"amount": "150.00", "currency": "USD"},
        "service_date": "2026-05-06",
        "diagnosis_pointers": [1],
    }


def claim_lines(*, lines: int) -> bytes:
    claim = base_claim(f"HOS-GEN-LINES-{lines}", "MBR790001")
    claim["lines"] = [_line(n) for n in range(1, lines + 1)]
    claim["total_charge"] = {"amount": f"{150 * lines}.00", "currency": "USD"}
    return json.dumps(claim, separators=(",", ":")).encode()


def padded_claim(*, megabytes: int) -> bytes:
    claim = base_claim("HOS-GEN-PADDED", "MBR790002")
    claim["patient"]["name"] = "R" * (megabytes * 1024 * 1024)
    return json.dumps(claim).encode()


def nested_arrays(*, depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def nested_objects(*, depth: int) -> bytes:
    claim = json.dumps(base_claim("HOS-GEN-NESTED", "MBR790003")).encode()
    nest = b'{"a":' * depth + b"1" + b"}" * depth
    return claim.replace(b'"gender": "female"', b'"gender": ' + nest, 1)


GENERATORS: dict[str, Callable[..., bytes]] = {
    "claim_lines": claim_lines,
    "padded_claim": padded_claim,
    "nested_arrays": nested_arrays,
    "nested_objects": nested_objects,
}


def generate(name: str, params: dict[str, Any]) -> bytes:
    return GENERATORS[name](**params)
