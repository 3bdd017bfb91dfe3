"""The answers one decided claim gets: a ClaimResponse always, an 835 when it came as an 837."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Final

from icpa_shared.contracts import Adjudication, Claim, ClaimRecord, Outcome
from icpa_shared.payer.adjustments import settle
from icpa_shared.payer.claim_response import claim_response
from icpa_shared.payer.identity import PayerIdentity
from icpa_shared.payer.remittance import Envelope, remittance_835

ANSWERED: Final = frozenset({Outcome.APPROVED, Outcome.DENIED})
"""PENDED (no reviewer in time) and REJECTED/ERROR claims are not decided: no payment answer."""


@dataclass(frozen=True)
class PayerAnswers:
    claim_id: str
    claim_response: dict[str, Any]
    remittance: str | None  # X12 835, for claims that arrived as X12 837

    def claim_response_json(self) -> bytes:
        return json.dumps(self.claim_response, separators=(",", ":")).encode()


def control_number(*parts: str) -> int:
    """A 9-digit ISA13 that is the same on every retry of one execution's decision."""
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") % 999_999_999 + 1


def answers_for(
    claim: Claim, adjudication: Adjudication, record: ClaimRecord, payer: PayerIdentity
) -> PayerAnswers | None:
    if record.outcome not in ANSWERED:
        return None
    settlement = settle(claim, adjudication, record.outcome, record.reason_codes, record.updated_at.date())
    remittance = None
    if claim.source is not None and claim.source.format.startswith("x12-"):
        number = control_number(claim.claim_id, record.execution_id or "")
        envelope = Envelope(interchange_control_number=number, group_control_number=number, created=record.updated_at)
        remittance = remittance_835(settlement, payer=payer, envelope=envelope)
    return PayerAnswers(
        claim_id=claim.claim_id,
        claim_response=claim_response(settlement, created=record.updated_at, payer=payer),
        remittance=remittance,
    )
