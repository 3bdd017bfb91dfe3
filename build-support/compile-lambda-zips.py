"""Add python3.11 bytecode to the Lambda zips `./pants package` wrote, deterministically.

Pants 2.17's `python_awslambda` ships sources only, and Lambda's /var/task is read-only, so
without `.pyc` every cold start compiles every module it imports (handler + boto3: 700-790 ms
instead of 265-300 ms, measured on the 2-core CI machine). This step appends
`<dir>/__pycache__/<module>.cpython-311.pyc` for every `.py` entry of each zip, in place:

- hash-based pycs (PEP 552, unchecked): valid whatever mtime Lambda's unpacking gives the
  sources, no source read or stat at import; the zip is immutable once deployed;
- same zip in, same bytes out: entries added in name order with the zip's fixed 1980-01-01
  timestamp, fixed modes and compression, the archive path (not a temp dir) as the code's file
  name; running it again on a compiled zip changes nothing. Same bytes means: this script in a
  fresh python3.11 of the same build (marshal marks objects shared by reference count, so
  compile_zip called inside a process that imported the same modules may write other, equally
  valid, bytes).

A source that does not compile fails the step (exit 2, files listed): Lambda would fail on it.

    python3.11 build-support/compile-lambda-zips.py dist/services.*/*.zip    # CI, after package
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import marshal
import os
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath

# The runtime of every python_awslambda target (services/*/src/*/BUILD): bytecode is per version.
TARGET_VERSION = (3, 11)
CACHE_TAG = "cpython-311"
# What Pants' zips carry (their entries are dated 1980-01-01, the zip epoch).
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644
DIR_MODE = 0o040755
_UNIX = 3
_UNCHECKED_HASH_FLAGS = 0b01  # PEP 552: hash-based, check_source off


class CompileError(Exception):
    """Sources in a zip that python3.11 cannot compile."""

    def __init__(self, zip_path: str, failures: list[tuple[str, str]]) -> None:
        self.zip_path = zip_path
        self.failures = failures
        listed = "; ".join(f"{name}: {why}" for name, why in failures)
        super().__init__(f"{zip_path}: {len(failures)} source(s) do not compile: {listed}")


def pyc_name(source_name: str) -> str:
    """`pkg/mod.py` -> `pkg/__pycache__/mod.cpython-311.pyc` (where the import system looks)."""
    path = PurePosixPath(source_name)
    return str(path.parent / "__pycache__" / f"{path.stem}.{CACHE_TAG}.pyc").removeprefix("./")


def pyc_bytes(source: bytes, archive_name: str) -> bytes:
    """What `py_compile.compile(..., dfile=archive_name, invalidation_mode=UNCHECKED_HASH)`
    writes, built in memory (no temp files per source)."""
    code = compile(source, archive_name, "exec", dont_inherit=True, optimize=0)
    header = importlib.util.MAGIC_NUMBER + _UNCHECKED_HASH_FLAGS.to_bytes(4, "little")
    return header + importlib.util.source_hash(source) + marshal.dumps(code)


def _info(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
    info.create_system = _UNIX
    info.external_attr = mode << 16
    if mode == DIR_MODE:
        info.external_attr |= 0x10  # MS-DOS directory bit, as zipfile sets it for directories
        info.compress_type = zipfile.ZIP_STORED
    else:
        info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _missing_entries(
    zf: zipfile.ZipFile, cache: dict[tuple[str, bytes], bytes]
) -> Iterator[tuple[zipfile.ZipInfo, bytes]]:
    names = set(zf.namelist())
    sources = sorted(n for n in names if n.endswith(".py") and pyc_name(n) not in names)
    failures: list[tuple[str, str]] = []
    compiled: dict[str, bytes] = {}
    for name in sources:
        source = zf.read(name)
        key = (name, hashlib.sha256(source).digest())  # the same file recurs in every zip
        if key not in cache:
            try:
                cache[key] = pyc_bytes(source, name)
            except (SyntaxError, ValueError) as exc:  # ValueError: null bytes in the source
                failures.append((name, f"{type(exc).__name__}: {exc}"))
                continue
        compiled[pyc_name(name)] = cache[key]
    if failures:
        raise CompileError(zf.filename or "?", failures)
    dirs = {str(PurePosixPath(n).parent) + "/" for n in compiled} - names
    entries = [(_info(d, DIR_MODE), b"") for d in dirs] + [(_info(n, FILE_MODE), b) for n, b in compiled.items()]
    yield from sorted(entries, key=lambda entry: entry[0].filename)


def compile_zip(zip_path: str, cache: dict[tuple[str, bytes], bytes] | None = None) -> int:
    """Append the missing pycs to `zip_path` (atomically replaced); returns how many were added."""
    cache = {} if cache is None else cache
    with zipfile.ZipFile(zip_path) as zf:
        entries = list(_missing_entries(zf, cache))
    if not entries:
        return 0
    directory = os.path.dirname(os.path.abspath(zip_path))
    fd, tmp = tempfile.mkstemp(suffix=".zip.tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as out, open(zip_path, "rb") as src:
            while chunk := src.read(1 << 20):
                out.write(chunk)
        with zipfile.ZipFile(tmp, "a") as zf:
            for info, data in entries:
                zf.writestr(info, data, compresslevel=9)
        os.chmod(tmp, os.stat(zip_path).st_mode & 0o777)
        os.replace(tmp, zip_path)
    except BaseException:
        os.unlink(tmp)
        raise
    return sum(1 for info, _ in entries if not info.is_dir())


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("zips", nargs="+", help="Lambda zips written by `./pants package`")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if sys.version_info[:2] != TARGET_VERSION:
        print(  # noqa: T201 - a CLI's output
            f"compile-lambda-zips: run me with python{'.'.join(map(str, TARGET_VERSION))} "
            f"(the Lambda runtime), not {sys.version.split()[0]}: bytecode is per version",
            file=sys.stderr,
        )
        return 2
    cache: dict[tuple[str, bytes], bytes] = {}
    for path in args.zips:
        try:
            added = compile_zip(path, cache)
        except (CompileError, OSError, zipfile.BadZipFile) as exc:
            print(f"compile-lambda-zips: {exc}", file=sys.stderr)  # noqa: T201
            return 2
        print(f"{path}: {added} .pyc added")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
