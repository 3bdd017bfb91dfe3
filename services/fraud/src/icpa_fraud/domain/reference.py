"""The bundled reference data as validated models (the files live in icpa_fraud/data/)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from icpa_shared.contracts.types import Npi, ProcedureCode, Score

Text = Annotated[str, StringConstraints(min_length=1, max_length=300)]
Version = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,39}$")]
PerUnit = Annotated[Decimal, Field(gt=Decimal("0"), le=Decimal("1000000"), allow_inf_nan=False)]


class ChargeBand(BaseModel):
    """Billed charge per unit for one procedure code: median and 95th percentile."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    description: Text
    p50: PerUnit
    p95: PerUnit

    @model_validator(mode="after")
    def _ordered(self) -> ChargeBand:
        if self.p50 > self.p95:
            raise ValueError("p50 is above p95")
        return self


class ChargeReference(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Version
    description: Text
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    basis: str = Field(pattern=r"^per_unit$")
    procedures: dict[ProcedureCode, ChargeBand]

    def band(self, procedure_code: str, currency: str) -> ChargeBand | None:
        return self.procedures.get(procedure_code) if currency == self.currency else None


class WatchlistEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    npi: Npi
    reason: Text
    listed_on: date
    weight: Score


class ProviderWatchlist(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Version
    description: Text
    providers: list[WatchlistEntry]

    def entry(self, npi: str) -> WatchlistEntry | None:
        return next((e for e in self.providers if e.npi == npi), None)


class Provider(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    npi: Npi
    name: Text
    specialty: Text


class ProviderDirectory(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Version
    description: Text
    providers: list[Provider]

    def specialty(self, npi: str) -> str | None:
        return next((p.specialty for p in self.providers if p.npi == npi), None)


@dataclass(frozen=True)
class ReferenceData:
    charges: ChargeReference
    watchlist: ProviderWatchlist
    providers: ProviderDirectory
