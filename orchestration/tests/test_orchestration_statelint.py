"""statelint accepts the definition exactly as Step Functions will receive it (substituted)."""

from __future__ import annotations

import json

from statelint.linter import Linter

from icpa_orchestration import substitution_names


def test_rendered_definition_passes_statelint(rendered_definition: str) -> None:
    problems = Linter.validate(rendered_definition)

    assert problems == [], "statelint problems:\n" + "\n".join(problems)


def test_rendering_left_no_placeholder(rendered_definition: str) -> None:
    assert substitution_names(rendered_definition) == set()
    assert "${" not in rendered_definition


def test_statelint_really_checks_the_definition(rendered_definition: str) -> None:
    # Given the definition with one dangling Next
    broken = json.loads(rendered_definition)
    broken["States"]["Intake"]["Next"] = "NoSuchState"

    # Then statelint reports it (so an empty result above is meaningful)
    problems = Linter.validate(broken)

    assert any("NoSuchState" in p for p in problems)
