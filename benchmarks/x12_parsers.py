"""The X12 837 parser choice, measured: x12sdk and pyx12 on the public 5010 samples, and the
cost of ICPA's splitter pieces as an interchange grows.

    python3.11 benchmarks/x12_parsers.py        (or ./pants run benchmarks/x12_parsers.py)

Prints, per public file: what x12sdk's model reader made of it (claims, or the exception it
raised) and what pyx12's validator said (accepted, or its first errors), with each one's time
and peak traced memory; then, for interchanges of 10..1000 claims (the edited four-claim
sample's claim loops repeated), the time and peak memory of ICPA's own envelope read and
mapping, and of pyx12's validation. Figures go into /work/helpers/x12-report.md by hand.
"""

from __future__ import annotations

import functools
import logging
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "services" / "intake" / "tests" / "data" / "x12"


def measured(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result or the exception, seconds, peak MB traced): timed on a run of its own, since
    tracemalloc slows allocation-heavy code several times over."""

    def run() -> Any:
        try:
            return fn()
        except Exception as exc:  # the point is to see what each library raises
            return exc

    started = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return result, seconds, peak


def x12sdk_claims(text: str) -> int:
    from x12sdk.io import X12ModelReader

    with X12ModelReader(text) as reader:
        return sum(sum(1 for _ in model.claims()) for model in reader.models() if hasattr(model, "claims"))


def pyx12_problems(text: str) -> list[str]:
    from icpa_intake.adapters.x12_validator import Pyx12Validator

    return [f"{p.code}@{p.location}" for p in Pyx12Validator().validate(text).problems]


def icpa_parts(data: bytes) -> int:
    from icpa_intake.domain.x12.interchange import read_interchange
    from icpa_intake.domain.x12.mapping import claim_parts

    return sum(1 for _ in claim_parts(read_interchange(data, max_claims=10**6), received=date(2026, 12, 1)))


def shown(result: Any) -> str:
    if isinstance(result, Exception):
        return f"{type(result).__name__}: {str(result).splitlines()[0][:70]}"
    if isinstance(result, list):
        return "accepted" if not result else f"{len(result)} errors, e.g. {result[0]}"
    return f"{result} claims"


def repeated(n: int) -> bytes:
    text = (DATA / "edited" / "837p-four-claims.837").read_text()
    start, end = text.index("CLM*PCN1001"), text.index("HL*3*")
    body = text[:start] + text[start:end] * n + text[end:]
    st, se = body.index("ST*"), body.index("SE*")
    segments = body[st:se].count("~") + 1
    old = body[se : body.index("~", se)]
    return body.replace(old, f"SE*{segments}*0021").encode()


def main() -> None:
    logging.disable(logging.CRITICAL)
    x12sdk_claims((DATA / "edited" / "837p-four-claims.837").read_text())  # model build: once
    print("file | bytes | x12sdk | ms | MB | pyx12 | ms | MB")
    files = sorted(p for folder in ("linuxforhealth", "imsweb", "edited") for p in (DATA / folder).iterdir())
    for path in files:
        if path.name in ("LICENSE",):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        sdk, sdk_s, sdk_mb = measured(functools.partial(x12sdk_claims, text))
        px, px_s, px_mb = measured(functools.partial(pyx12_problems, text))
        print(
            f"{path.parent.name}/{path.name} | {len(text)} | {shown(sdk)} | {sdk_s * 1000:.0f} | {sdk_mb:.1f}"
            f" | {shown(px)} | {px_s * 1000:.0f} | {px_mb:.1f}"
        )
    print()
    print("claims | bytes | icpa read+map ms | MB | pyx12 validate ms | MB | x12sdk ms | MB")
    for n in (10, 100, 250, 1000):
        data = repeated(n)
        count, icpa_s, icpa_mb = measured(functools.partial(icpa_parts, data))
        _, px_s, px_mb = measured(functools.partial(pyx12_problems, data.decode()))
        _, sdk_s, sdk_mb = measured(functools.partial(x12sdk_claims, data.decode()))
        print(
            f"{count} | {len(data)} | {icpa_s * 1000:.1f} | {icpa_mb:.1f} | {px_s * 1000:.0f} | {px_mb:.1f}"
            f" | {sdk_s * 1000:.0f} | {sdk_mb:.1f}"
        )


if __name__ == "__main__":
    main()
