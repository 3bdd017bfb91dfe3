"""The registry of reversible moto patches: apply, undo, once per group, one version check."""

from __future__ import annotations

from typing import Any

import moto
import pytest

from icpa_local.moto_patches import MOTO_VERSION
from icpa_local.moto_patches.registry import Patch, PatchRegistry


class Base:
    def greet(self) -> str:
        return "base"


class Target(Base):
    def run(self) -> str:
        return "original"


def test_a_patch_replaces_and_undo_puts_the_original_back() -> None:
    patch = Patch(Target, "run", lambda self: "patched")
    patch.apply()
    assert Target().run() == "patched" and patch.applied
    patch.undo()
    assert Target().run() == "original" and not patch.applied


def test_undoing_a_patch_of_an_inherited_method_removes_the_override() -> None:
    patch = Patch(Target, "greet", lambda self: "patched")
    patch.apply()
    assert Target().greet() == "patched"
    patch.undo()
    assert "greet" not in vars(Target) and Target().greet() == "base"


def test_around_wraps_the_attribute_it_finds_when_applied() -> None:
    def wrap(original: Any) -> Any:
        return lambda self: f"wrapped {original(self)}"

    patch = Patch.around(Target, "run", wrap)
    patch.apply()
    try:
        assert Target().run() == "wrapped original"
    finally:
        patch.undo()
    assert Target().run() == "original"


def test_a_group_installs_once_and_undo_all_reverses_every_group() -> None:
    registry = PatchRegistry()
    builds: list[str] = []

    def first() -> list[Patch]:
        builds.append("first")
        return [Patch(Target, "run", lambda self: "first")]

    assert registry.install("a", first) is True
    assert registry.install("a", first) is False  # idempotent: not built again
    registry.install("b", lambda: [Patch.around(Target, "run", lambda orig: lambda self: f"b+{orig(self)}")])
    assert builds == ["first"] and Target().run() == "b+first"
    registry.undo_all()
    assert Target().run() == "original" and registry.patches() == []
    assert registry.install("a", first) is True  # after undo_all a group can be applied again
    registry.undo_all()


def test_a_group_that_fails_midway_leaves_nothing_applied() -> None:
    registry = PatchRegistry()

    def broken() -> list[Patch]:
        return [Patch(Target, "run", lambda self: "patched"), Patch.around(Target, "missing", lambda orig: orig)]

    with pytest.raises(AttributeError):
        registry.install("broken", broken)
    assert Target().run() == "original" and not registry.installed("broken")


def test_another_moto_version_is_refused_before_any_patch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto, "__version__", "0.0.0")
    registry = PatchRegistry()
    with pytest.raises(RuntimeError, match=MOTO_VERSION):
        registry.install("a", lambda: [Patch(Target, "run", lambda self: "patched")])
    assert Target().run() == "original"


def test_undone_gives_the_original_inside_the_block_only() -> None:
    registry = PatchRegistry()
    registry.install("g", lambda: [Patch(Target, "run", lambda self: "patched")])
    try:
        with registry.undone((Target, "run")):
            assert Target().run() == "original"
        assert Target().run() == "patched"
        with pytest.raises(LookupError), registry.undone((Target, "greet")):
            pass
    finally:
        registry.undo_all()
