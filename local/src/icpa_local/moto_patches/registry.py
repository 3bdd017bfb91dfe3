"""Reversible patches of moto, kept in one registry with one moto version check.

A `Patch(obj, name, new)` replaces one attribute and remembers what it replaced; `Patch.around`
builds `new` from the attribute it wraps, when it is applied. The registry applies named groups
of patches once per process (the local cloud's own patches, the journal's hooks) and can undo
them all, in reverse order, putting moto back as it was imported.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final

MOTO_VERSION: Final = "5.2.5"

_MISSING: Final = object()


def moto_module(name: str) -> Any:
    """A moto module, typed Any: the patches assign to its private attributes."""
    return importlib.import_module(name)


def check_moto_version() -> None:
    """Every patch replaces a private method or module attribute of this exact moto release."""
    import moto

    if moto.__version__ != MOTO_VERSION:
        raise RuntimeError(f"icpa_local's moto patches are pinned to moto {MOTO_VERSION}, found {moto.__version__}")


class Patch:
    """One attribute of a moto class or module, replaced by `new` until undone."""

    def __init__(self, obj: Any, name: str, new: Any = None, *, wrap: Callable[[Any], Any] | None = None) -> None:
        self.obj = obj
        self.name = name
        self.new = new
        self._wrap = wrap
        self._old: Any = _MISSING
        self.applied = False

    @classmethod
    def around(cls, obj: Any, name: str, wrap: Callable[[Any], Any]) -> Patch:
        """`obj.name` becomes `wrap(original)`, the original read when the patch is applied."""
        return cls(obj, name, wrap=wrap)

    def apply(self) -> None:
        if self.applied:
            return
        # Only what the object holds itself: undoing an inherited attribute deletes the override.
        self._old = vars(self.obj).get(self.name, _MISSING)
        if self._wrap is not None:
            self.new = self._wrap(getattr(self.obj, self.name))
        setattr(self.obj, self.name, self.new)
        self.applied = True

    def undo(self) -> None:
        if not self.applied:
            return
        if self._old is _MISSING:
            delattr(self.obj, self.name)
        else:
            setattr(self.obj, self.name, self._old)
        self._old = _MISSING
        self.applied = False

    def __repr__(self) -> str:
        owner = getattr(self.obj, "__qualname__", None) or getattr(self.obj, "__name__", type(self.obj).__name__)
        return f"Patch({owner}.{self.name}, applied={self.applied})"


class PatchRegistry:
    """Groups of patches, each applied at most once per process; `undo_all` reverses them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: dict[str, list[Patch]] = {}

    def install(self, group: str, build: Callable[[], Iterable[Patch]]) -> bool:
        """Apply the patches `build` returns, once for `group` (False if it already was)."""
        with self._lock:
            if group in self._groups:
                return False
            check_moto_version()
            applied: list[Patch] = []
            try:
                for patch in build():
                    patch.apply()
                    applied.append(patch)
            except BaseException:
                for patch in reversed(applied):
                    patch.undo()
                raise
            self._groups[group] = applied
            return True

    def installed(self, group: str) -> bool:
        with self._lock:
            return group in self._groups

    def patches(self) -> list[Patch]:
        with self._lock:
            return [patch for patches in self._groups.values() for patch in patches]

    @contextlib.contextmanager
    def undone(self, *attributes: tuple[Any, str]) -> Iterator[None]:
        """Inside the block, these patched attributes are moto's (or botocore's) as released; the
        patches are put back after it. How the tests compare a patch with what it replaces."""
        found: list[Patch] = []
        for owner, name in attributes:
            matching = [p for p in self.patches() if p.obj is owner and p.name == name]
            if not matching:
                raise LookupError(f"{owner!r}.{name} is not patched")
            found.extend(matching)
        for patch in found:
            patch.undo()
        try:
            yield
        finally:
            for patch in reversed(found):
                patch.apply()

    def undo_all(self) -> None:
        """Undo every group, the last applied first."""
        with self._lock:
            for group in reversed(list(self._groups)):
                for patch in reversed(self._groups.pop(group)):
                    patch.undo()


REGISTRY: Final = PatchRegistry()
