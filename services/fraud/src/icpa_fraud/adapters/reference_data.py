"""Loads the bundled reference data (icpa_fraud/data/*.json, see data/README.md)."""

from __future__ import annotations

import functools
from importlib import resources

from icpa_fraud.domain.reference import ChargeReference, ProviderDirectory, ProviderWatchlist, ReferenceData


def _read(name: str) -> bytes:
    return resources.files("icpa_fraud").joinpath("data", name).read_bytes()


@functools.cache
def load_reference_data() -> ReferenceData:
    """Once per container: a file that breaks its model fails the cold start, not a claim."""
    return ReferenceData(
        charges=ChargeReference.model_validate_json(_read("charge_reference.json")),
        watchlist=ProviderWatchlist.model_validate_json(_read("provider_watchlist.json")),
        providers=ProviderDirectory.model_validate_json(_read("providers.json")),
    )
