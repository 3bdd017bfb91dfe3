"""The local reviewers and their bearer tokens (what a Cognito sign-in would give each one).

`<data-dir>/reviewers.json` maps token -> reviewer id, owner-readable only. Tokens come from
`secrets.token_urlsafe` and are created once per data directory; a reviewer missing from the
file (a new default) gets a token at the next start, existing tokens are kept.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from icpa_local.datadir import write_private

# "cli": the icpa commands' own identity; a human-looking one for people and web pages.
LOCAL_REVIEWERS: Final = ("cli", "dana.reyes")
TOKEN_BYTES: Final = 32


class ReviewerTokens:
    def __init__(self, tokens: dict[str, str]) -> None:
        self._tokens = dict(tokens)

    @classmethod
    def load(cls, path: Path) -> ReviewerTokens:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
            raise ValueError(f"{path} is not a token -> reviewer id mapping")
        return cls(data)

    @classmethod
    def load_or_create(cls, path: Path, reviewers: Iterable[str] = LOCAL_REVIEWERS) -> ReviewerTokens:
        tokens = cls.load(path)._tokens if path.exists() else {}
        missing = [r for r in reviewers if r not in tokens.values()]
        for reviewer in missing:
            tokens[secrets.token_urlsafe(TOKEN_BYTES)] = reviewer
        if missing or not path.exists():
            write_private(path, json.dumps(tokens, indent=2, sort_keys=True) + "\n")
        return cls(tokens)

    def reviewer_for(self, token: str | None) -> str | None:
        """The reviewer a token belongs to; None for no token or an unknown one. Compares
        every stored token in constant time, so timing does not tell how close a guess was."""
        if not token:
            return None
        found: str | None = None
        for known, reviewer in self._tokens.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                found = reviewer
        return found

    def token_for(self, reviewer: str) -> str | None:
        return next((t for t, r in self._tokens.items() if r == reviewer), None)

    def reviewers(self) -> list[str]:
        return sorted(set(self._tokens.values()))

    def items(self) -> list[tuple[str, str]]:
        """(reviewer, token) pairs, by reviewer."""
        return sorted(((r, t) for t, r in self._tokens.items()), key=lambda pair: pair[0])
