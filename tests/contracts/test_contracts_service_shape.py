"""docs/SERVICE_TEMPLATE.md's rules, read from the code's syntax (parsed, never imported), so
that they cannot drift: the handler and handle signatures, one way to build deps, and a size
limit for modules under local/src and services/*/src."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Final

import pytest

SERVICES: Final = sorted(p for p in Path("services").iterdir() if (p / "BUILD").exists())

# `handle` receives the Lambda context only where the use case itself needs it.
CONTEXT_FOR_THE_USE_CASE: Final = {
    "services/review-callback/src/icpa_review_callback/handlers/api.py": (
        "Powertools' APIGatewayRestResolver.resolve(event, context) routes with it"
    ),
}

# A module is read in one sitting: the ~300 lines issue 11 aimed the split modules at, plus a
# third of headroom. Past it a module nearly always holds two jobs; split it, or say here why not.
MAX_LINES: Final = 400
LONGER_MODULES: Final = {
    "services/review-callback/src/icpa_review_callback/usecases/api.py": (
        "the desk: list, open, timeline and decide share one audited refusal path"
    ),
    "local/src/icpa_local/costs.py": "being written by the performance work (issue 13); split before it lands",
}


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def handler_modules() -> list[Path]:
    """The modules the python_awslambda targets' handler= name (the functions' entry points)."""
    out: list[Path] = []
    for build in sorted(Path("services").glob("*/src/*/BUILD")):
        for node in ast.walk(_parse(build)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "python_awslambda":
                handler = next(kw.value for kw in node.keywords if kw.arg == "handler")
                assert isinstance(handler, ast.Constant) and isinstance(handler.value, str), build
                module = handler.value.partition(":")[0]
                out.append(build.parent.parent / (module.replace(".", "/") + ".py"))
    return out


def _function(module: ast.Module, name: str) -> ast.FunctionDef:
    found = [n for n in module.body if isinstance(n, ast.FunctionDef) and n.name == name]
    assert found, f"no top-level def {name}"
    return found[0]


def _decorator_names(function: ast.FunctionDef) -> set[str]:
    names: set[str] = set()
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        names.add(target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", ""))
    return names


def _params(function: ast.FunctionDef) -> list[str]:
    return [a.arg for a in function.args.args]


HANDLER_MODULES: Final = handler_modules()


def test_every_function_of_every_service_is_checked() -> None:
    assert len(HANDLER_MODULES) >= 10 and all(path.is_file() for path in HANDLER_MODULES), HANDLER_MODULES
    assert {path.parts[1] for path in HANDLER_MODULES} == {svc.name for svc in SERVICES}


@pytest.mark.parametrize("path", HANDLER_MODULES, ids=str)
def test_handler_is_lambdas_signature_and_handle_takes_input_then_deps(path: Path) -> None:
    module = _parse(path)
    handler, handle = _function(module, "handler"), _function(module, "handle")
    # handler(<event or step>, context): what Lambda calls, nothing a test could inject.
    assert len(_params(handler)) == 2 and _params(handler)[1] == "context", _params(handler)
    assert not handler.args.defaults and not handler.args.kwonlyargs
    params = _params(handle)
    # handle(<input>, deps=None) (and the context, where listed): deps defaults to wiring's.
    assert "deps" in params, params
    defaults = dict(zip(params[len(params) - len(handle.args.defaults) :], handle.args.defaults, strict=True))
    deps_default = defaults.get("deps")
    assert isinstance(deps_default, ast.Constant) and deps_default.value is None, params
    if "step_handler" in _decorator_names(handler):
        # A workflow step: the shared decorator parses the event into the contract, once.
        first = handle.args.args[0]
        assert first.arg == "step" and ast.unparse(first.annotation or ast.Constant(None)) == "StepInput"
    else:
        assert params[0] == "event", params  # EventBridge or API Gateway: the event itself
    others = sorted(set(params[1:]) - {"deps"})
    assert others in ([], ["context"]), params
    listed = str(path) in CONTEXT_FOR_THE_USE_CASE
    assert (others == ["context"]) == listed, f"{path}: context reaches handle only where CONTEXT_FOR_THE_USE_CASE says"


def test_every_context_exception_is_a_handler_module() -> None:
    assert set(CONTEXT_FOR_THE_USE_CASE) <= {str(p) for p in HANDLER_MODULES}


@pytest.mark.parametrize("service", SERVICES, ids=lambda p: p.name)
def test_wiring_builds_deps_one_way(service: Path) -> None:
    """default_deps() when the service's functions share one deps object; one <module>_deps()
    per handler module when each function has its own (its role grants other adapters)."""
    (wiring,) = service.glob("src/*/wiring.py")
    builders = {
        f.name
        for f in _parse(wiring).body
        if isinstance(f, ast.FunctionDef) and f.name.endswith("_deps") and "cache" in _decorator_names(f)
    }
    per_function = {f"{p.stem}_deps" for p in HANDLER_MODULES if p.parts[1] == service.name}
    assert builders in (
        {"default_deps"},
        per_function,
    ), f"{wiring}: cached deps builders {sorted(builders)}; expected default_deps or {sorted(per_function)}"
    for f in _parse(wiring).body:
        if isinstance(f, ast.FunctionDef) and f.name in builders:
            assert not _params(f), f"{wiring}: {f.name}() reads settings itself, takes no arguments"


def _modules() -> list[Path]:
    roots = [Path("local/src"), *(svc / "src" for svc in SERVICES)]
    return sorted(p for root in roots for p in root.rglob("*.py"))


def test_no_module_is_longer_than_the_limit() -> None:
    modules = _modules()
    assert len(modules) > 100  # the tree reached the sandbox
    too_long = {str(p): n for p in modules if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    unexplained = {path: n for path, n in too_long.items() if path not in LONGER_MODULES}
    assert not unexplained, f"over {MAX_LINES} lines: {unexplained} (split it, or add it to LONGER_MODULES with why)"
    # An exception that is no longer needed goes (a module not in this tree yet is allowed).
    stale = [path for path in LONGER_MODULES if Path(path).is_file() and path not in too_long]
    assert not stale, f"within {MAX_LINES} lines now, remove from LONGER_MODULES: {stale}"
