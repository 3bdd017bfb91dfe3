"""Who answers: the payer's name, ids, address and contact an 835 must carry (Loop 1000A).
A deployment sets its own (the router's ICPA_PAYER, JSON); the default is the fictitious local
plan, flagged as test data (ISA15 "T")."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

_Text = Annotated[str, StringConstraints(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9 .,&'/#-]+$")]


class PayerIdentity(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: _Text = "ICPA HEALTH PLAN"
    interchange_id: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2,15}$")] = "ICPAPAYER"
    """ISA06/GS02 when the claim's 837 did not name us (ISA08)."""
    tax_id: Annotated[str, StringConstraints(pattern=r"^[0-9]{9}$")] = "990000001"
    """TRN03 is "1" + this EIN."""
    address_line: _Text = "100 EXAMPLE WAY"
    city: _Text = "SPRINGFIELD"
    state: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = "IL"
    postal_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{5}([0-9]{4})?$")] = "62701"
    contact_name: _Text = "EDI SUPPORT"
    contact_phone: Annotated[str, StringConstraints(pattern=r"^[0-9]{10}$")] = "2175550100"
    claim_filing_indicator: Literal[
        "12", "13", "14", "15", "16", "17", "AM", "CH", "DS", "HM", "LM", "MA", "MB", "MC", "OF", "TV", "VA", "WC", "ZZ"
    ] = "15"
    """CLP06: the plan type (835 code list; 15 indemnity, 12 PPO, HM HMO, ...)."""
    usage: Literal["P", "T"] = "T"
    """ISA15: production or test data."""
