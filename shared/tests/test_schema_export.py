"""The exported JSON Schemas must match the models: regenerate them when a model changes."""

from pathlib import Path

from icpa_shared.schema_export import EXPORTED, main, render_all

SCHEMA_DIR = Path("shared/schemas")


def test_every_contract_is_exported() -> None:
    assert {p.name for p in SCHEMA_DIR.glob("*.schema.json")} == set(render_all())
    assert len(EXPORTED) == len(render_all())


def test_exported_schemas_are_current() -> None:
    stale = [name for name, text in render_all().items() if (SCHEMA_DIR / name).read_text() != text]
    assert not stale, f"regenerate with `./pants run shared/src/icpa_shared/schema_export.py`: {stale}"


def test_check_mode_detects_a_stale_file(tmp_path: Path) -> None:
    assert main(["--dir", str(tmp_path)]) == 0
    assert main(["--check", "--dir", str(tmp_path)]) == 0
    (tmp_path / "Claim.schema.json").write_text("{}")
    assert main(["--check", "--dir", str(tmp_path)]) == 1
