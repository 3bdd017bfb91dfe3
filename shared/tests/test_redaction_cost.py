"""Redaction is linear in its input: one hostile string must not stall a log line.

A 200 KB claim id bound into every intake log line once took minutes per line under the local
cloud's handler lock (the e-mail pattern backtracked quadratically). The bounds here are loose
for a busy 2-core box; linearity is asserted by comparing 100 KB with 1 MB, not by a tight time.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable

import pytest

from icpa_shared.observability.logging import bind_claim, clear_invocation, configure_logging, get_logger, loggable_id
from icpa_shared.observability.redaction import MAX_SCANNED_CHARS, REDACTED, REDACTED_TOO_LONG, redact_text

# Inputs that make a careless pattern rescan (or backtrack over) what it already read.
ADVERSARIAL: dict[str, Callable[[int], str]] = {
    "letters": lambda n: "a" * n,
    "dotted": lambda n: "a." * (n // 2),
    "at-signs": lambda n: "a@" * (n // 2),
    "domain-labels": lambda n: "x@" + "a." * (n // 2),
    "long-local-parts": lambda n: ("x" * 60 + "@") * (n // 61),
    "digit-words": lambda n: "1 " * (n // 2),
    "one-long-word": lambda n: "1 " + "a" * n,
    "spaces": lambda n: "1" + " " * n,
    "digits": lambda n: "1" * n,
    "dashes": lambda n: "1-" * (n // 2),
    "slashes": lambda n: "12/" * (n // 3),
    "phone-prefixes": lambda n: "+1 " * (n // 3),
}


def _seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_the_patterns_cost_is_linear_in_the_input(name: str) -> None:
    # Given the same adversarial shape at 100 KB and at 1 MB, scanned in full (no length cap)
    make = ADVERSARIAL[name]
    small, large = make(100_000), make(1_000_000)
    # When each is redacted
    t_small = _seconds(lambda: redact_text(small, max_chars=None))
    assert t_small < 2.0, f"{name}: 100 KB took {t_small:.2f}s"
    t_large = _seconds(lambda: redact_text(large, max_chars=None))
    # Then ten times the input costs about ten times the time (quadratic would be ~100x)
    assert t_large < 10.0, f"{name}: 1 MB took {t_large:.2f}s"
    assert t_large < 30 * max(t_small, 0.005), f"{name}: 100 KB {t_small:.3f}s, 1 MB {t_large:.3f}s"


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_a_1mb_value_is_redacted_whole_within_a_bound(name: str) -> None:
    text = ADVERSARIAL[name](1_000_000)
    elapsed = _seconds(lambda: redact_text(text))
    assert redact_text(text) == REDACTED_TOO_LONG
    assert elapsed < 2.0


def test_text_just_under_the_cap_is_still_scanned() -> None:
    text = "ssn 123-45-6789 ".ljust(MAX_SCANNED_CHARS, "x")
    assert redact_text(text).startswith(f"ssn {REDACTED} ")
    assert redact_text(text + "x") == REDACTED_TOO_LONG


def test_a_long_value_with_phi_at_the_cut_never_leaks_part_of_it() -> None:
    text = "x" * (MAX_SCANNED_CHARS - 5) + " 123-45-6789"
    assert "6789" not in redact_text(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("CLM-I0001", "CLM-I0001"), ("Q-0123456789abcdef", "Q-0123456789abcdef"), (None, None), ("", None)],
)
def test_plain_ids_are_logged_as_they_are(value: str | None, expected: str | None) -> None:
    assert loggable_id(value) == expected


@pytest.mark.parametrize("value", ["a" * 200_000, "CLM 1\n", "jane.doe@example.com", "x" * 129, "-leading"])
def test_other_ids_are_logged_as_a_bounded_stand_in(value: str) -> None:
    safe = loggable_id(value)
    assert safe is not None and safe.startswith("invalid-") and len(safe) == len("invalid-") + 16
    assert safe == loggable_id(value)  # deterministic: the lines of one invocation still correlate


def test_a_huge_bound_claim_id_costs_nothing_per_line() -> None:
    # Given a 200 KB "claim id" (from an unvalidated file) bound to the invocation
    stream = io.StringIO()
    configure_logging(service="test", version="1.0.0", stream=stream)
    try:
        bind_claim("a" * 200_000)
        # When 50 lines are logged
        elapsed = _seconds(lambda: [get_logger().info("claim.step", n=n) for n in range(50)])
    finally:
        clear_invocation()
    # Then each line carries the bounded stand-in and logging stays fast
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 50
    assert {line["claim_id"] for line in lines} == {loggable_id("a" * 200_000)}
    assert elapsed < 2.0
