"""The bundled synthetic reference data loads, validates and covers what the claims use."""

from __future__ import annotations

from pydantic import TypeAdapter

from icpa_fraud.adapters.reference_data import load_reference_data
from icpa_shared.contracts.types import Npi

PROCEDURES = (
    "99202 99203 99204 99212 99213 99214 99215 80053 85025 81001 83036 71046 73030 72148 "
    "97110 97140 97530 20610 29881 11042 45378 15780 15824 69090"
).split()


def test_the_charge_reference_covers_every_procedure_code_in_use() -> None:
    charges = load_reference_data().charges

    assert set(PROCEDURES) <= set(charges.procedures)
    assert charges.currency == "USD"
    assert all(band.p50 <= band.p95 for band in charges.procedures.values())


def test_the_watchlist_has_synthetic_npis_with_valid_check_digits_and_not_the_clean_default() -> None:
    watchlist = load_reference_data().watchlist

    npis = [entry.npi for entry in watchlist.providers]
    assert len(npis) >= 2
    assert [TypeAdapter(Npi).validate_python(npi) for npi in npis] == npis  # check digits hold
    assert "1234567893" not in npis
    assert all(0 < entry.weight <= 1 and entry.reason for entry in watchlist.providers)


def test_the_provider_directory_knows_the_default_and_the_watchlisted_providers() -> None:
    reference = load_reference_data()

    assert reference.providers.specialty("1234567893") == "Family Medicine"
    assert all(reference.providers.specialty(e.npi) for e in reference.watchlist.providers)
    assert reference.providers.specialty("1555012347") == "Orthopedic Surgery"
    assert reference.providers.specialty("1000000004") is None
