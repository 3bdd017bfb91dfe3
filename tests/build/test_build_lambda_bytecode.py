"""The Lambda zips ship python3.11 bytecode (build-support/compile-lambda-zips.py, run by CI right
after `./pants package`): every source gets its `__pycache__/*.cpython-311.pyc`, the same zip in
gives the same bytes out, and the handler still imports from the unpacked zip, from bytecode only.
"""

from __future__ import annotations

import importlib.util
import os
import py_compile
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path("build-support/compile-lambda-zips.py")
TEMPLATE = Path("orchestration/template.yaml")


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("compile_lambda_zips", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


clz = _load_script()


def run_script(*zips: Path, hash_seed: str = "0") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    cmd = [sys.executable, str(SCRIPT), *map(str, zips)]
    return subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)


def make_zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in sorted(files.items()):
            zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), text)
    return path


def imports_from_bytecode_only(package_dir: Path, statement: str) -> list[str]:
    """Run `statement` in a fresh python3.11 over the unpacked zip, as Lambda does (read-only
    code, no site-packages); returns the package's modules that were compiled from source."""
    env = {**os.environ, "PYTHONPATH": str(package_dir), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-S", "-v", "-c", statement],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=package_dir.parent,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    # `python -v` says "code object from '<file>.py'" only when it compiled the source itself.
    compiled = re.findall(r"^# code object from '([^']+\.py)'$", result.stderr, re.M)
    return [p for p in compiled if p.startswith(str(package_dir))]


def test_pyc_is_what_py_compile_writes_for_unchecked_hash(tmp_path: Path) -> None:
    # Given a source file
    source = tmp_path / "claims.py"
    source.write_text("def total(lines):\n    return sum(x * 2 for x in lines)\n")
    expected = tmp_path / "claims.pyc"
    py_compile.compile(
        str(source),
        cfile=str(expected),
        dfile="pkg/claims.py",
        doraise=True,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    # Then the in-memory compile is byte for byte what py_compile writes
    assert clz.pyc_bytes(source.read_bytes(), "pkg/claims.py") == expected.read_bytes()
    assert clz.pyc_name("pkg/sub/claims.py") == "pkg/sub/__pycache__/claims.cpython-311.pyc"
    assert clz.pyc_name("lambda_function.py") == "__pycache__/lambda_function.cpython-311.pyc"


def test_every_source_gets_bytecode_that_import_uses(tmp_path: Path) -> None:
    # Given a zip of a package and a top-level module, as Pants writes them
    zip_path = make_zip(
        tmp_path / "fn.zip",
        {
            "lambda_function.py": "from pkg.handler import handler as handler\n",
            "pkg/__init__.py": "",
            "pkg/handler.py": "from pkg.sub.rules import VALUE\n\ndef handler(event, context):\n    return VALUE\n",
            "pkg/sub/__init__.py": "",
            "pkg/sub/rules.py": "VALUE = 'from bytecode'\n",
            "pkg/data.json": "{}",
        },
    )
    # When it is compiled
    assert run_script(zip_path).returncode == 0
    names = zipfile.ZipFile(zip_path).namelist()
    # Then every source has its pyc, nothing else does
    sources = [n for n in names if n.endswith(".py")]
    assert len(sources) == 5
    assert all(clz.pyc_name(n) in names for n in sources)
    assert sum(n.endswith(".pyc") for n in names) == 5
    # And the import system loads them: with the sources changed after unpacking, the
    # unchecked-hash pycs still answer, and nothing was compiled from source
    package = tmp_path / "unpacked"
    zipfile.ZipFile(zip_path).extractall(package)
    (package / "pkg/sub/rules.py").write_text("VALUE = 'from source'\n")
    statement = "import lambda_function; assert lambda_function.handler({}, None) == 'from bytecode'"
    assert imports_from_bytecode_only(package, statement) == []


def test_same_zip_gives_the_same_bytes_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    files = {f"pkg/m{i}.py": f"import os\nNAMES = {{'a{i}': os.sep, 'self': {i}}}\n" for i in range(30)}
    first = make_zip(tmp_path / "a.zip", {"pkg/__init__.py": "", **files})
    second = tmp_path / "b.zip"
    shutil.copy(first, second)
    # Two interpreters with different hash seeds (set and dict orders differ)
    assert run_script(first, hash_seed="1").returncode == 0
    assert run_script(second, hash_seed="2").returncode == 0
    assert first.read_bytes() == second.read_bytes()
    before = first.read_bytes()
    again = run_script(first)
    assert again.returncode == 0 and "0 .pyc added" in again.stdout
    assert first.read_bytes() == before


def test_a_source_that_does_not_compile_fails_the_step_and_leaves_the_zip(tmp_path: Path) -> None:
    zip_path = make_zip(tmp_path / "bad.zip", {"pkg/ok.py": "X = 1\n", "pkg/broken.py": "def f(:\n"})
    before = zip_path.read_bytes()
    result = run_script(zip_path)
    assert result.returncode == 2
    assert "pkg/broken.py" in result.stderr and "SyntaxError" in result.stderr
    assert zip_path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["bad.zip"]  # no temp file left behind


def test_another_python_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    zip_path = make_zip(tmp_path / "fn.zip", {"m.py": "X = 1\n"})
    monkeypatch.setattr(clz, "TARGET_VERSION", (3, 12))
    assert clz.main([str(zip_path)]) == 2
    assert not any(n.endswith(".pyc") for n in zipfile.ZipFile(zip_path).namelist())


# --- the real artifacts: what the template deploys --------------------------------------------


def deployed_zips() -> list[str]:
    """dist-relative paths of the zips orchestration/template.yaml points its functions at."""
    found = re.findall(r"CodeUri:\s*\.\./dist/(\S+\.zip)", TEMPLATE.read_text())
    assert len(found) >= 10, found
    return sorted(set(found))


def built_zip(relative: str) -> Path:
    # In Pants' sandbox (runtime_package_dependencies) the zip sits at its output path; in the
    # fast loop it is where `./pants package ::` wrote it.
    for candidate in (Path(relative), Path("dist") / relative):
        if candidate.exists():
            return candidate
    pytest.fail(
        f"{relative} is not built: a new function's python_awslambda target belongs in "
        "tests/build/BUILD runtime_package_dependencies (or run `./pants package ::` first)"
    )


@pytest.fixture(scope="module")
def compile_cache() -> dict[tuple[str, bytes], bytes]:
    return {}  # the same third-party sources recur in every zip: compile them once


@pytest.mark.parametrize("relative", deployed_zips())
def test_deployed_zip_ships_bytecode_and_imports_its_handler_from_it(
    relative: str, tmp_path: Path, compile_cache: dict[tuple[str, bytes], bytes]
) -> None:
    zip_path = tmp_path / Path(relative).name
    shutil.copy(built_zip(relative), zip_path)
    clz.compile_zip(str(zip_path), compile_cache)  # adds nothing to a zip CI already compiled
    with zipfile.ZipFile(zip_path) as zf:
        names = set(zf.namelist())
        entry = zf.read("lambda_function.py").decode()
    handler_module = re.fullmatch(r"from (\S+) import (\w+) as handler", entry.strip())
    assert handler_module, entry
    module_file = handler_module.group(1).replace(".", "/") + ".py"
    for source in ("lambda_function.py", module_file):
        assert clz.pyc_name(source) in names
    assert all(clz.pyc_name(n) in names for n in names if n.endswith(".py"))
    package = tmp_path / "task"
    zipfile.ZipFile(zip_path).extractall(package)
    statement = "import lambda_function; assert callable(lambda_function.handler)"
    assert imports_from_bytecode_only(package, statement) == []


def test_a_deployed_zip_compiles_to_the_same_bytes_twice(tmp_path: Path) -> None:
    # Two runs of the CI command, in fresh interpreters with other hash seeds. (Not this process:
    # marshal marks objects shared by reference count, so compiling where the same modules are
    # already imported, as in this test process, may write other, equally valid, bytes.)
    source = built_zip(deployed_zips()[0])
    copies = [tmp_path / "one.zip", tmp_path / "two.zip"]
    for copy, seed in zip(copies, ("11", "22"), strict=True):
        shutil.copy(source, copy)
        assert run_script(copy, hash_seed=seed).returncode == 0
    assert copies[0].read_bytes() == copies[1].read_bytes()
