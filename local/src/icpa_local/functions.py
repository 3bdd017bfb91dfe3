"""The Lambda functions of the template, by logical id, and the handler each one runs.

The functions are the template's `AWS::Serverless::Function`s (orchestration/template.yaml,
read on first use). Each runs the `handler=` of the `python_awslambda` target its `CodeUri`
zip is built from, read from that target's BUILD file: the build's own declaration, which
local/src/icpa_local:lambda-builds packages beside this module (the template's `Handler` is
Pants' `lambda_function.handler` shim, the same for every zip). Nothing is kept by hand here."""

from __future__ import annotations

import ast
import functools
import importlib
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any, Final

from icpa_local.resources import resources_of_type

# Where local/src/icpa_local:lambda-builds puts the services' BUILD files (a Pants sandbox, the
# PEX's venv); from a checkout they are read in place.
_PACKAGED: Final = Path("local", "src", "icpa_local", "_builds")


class LambdaHandlerError(LookupError):
    """A function's CodeUri names no python_awslambda target with a `module:function` handler."""


def lambda_address(code_uri: str) -> str:
    """`../dist/services.intake.src.icpa_intake/intake-lambda.zip` (Pants' output path) ->
    `services/intake/src/icpa_intake:intake-lambda` (the target that builds it)."""
    path = PurePosixPath(code_uri)
    return f"{path.parent.name.replace('.', '/')}:{path.stem}"


def build_file(directory: str) -> Path:
    """The BUILD file of a target directory (`services/intake/src/icpa_intake`): the packaged
    copy above this source root, else the checkout's."""
    relative = Path(directory, "BUILD")
    here = Path(__file__).resolve()
    beside = here.parent / _PACKAGED.name / relative  # the resource with its source root stripped
    for candidate in (beside, *(parent / where / relative for where in (_PACKAGED, Path()) for parent in here.parents)):
        if candidate.is_file():
            return candidate
    raise LambdaHandlerError(f"no BUILD file for {directory} (local/src/icpa_local:lambda-builds packages them)")


def lambda_handlers(build_text: str, where: str = "BUILD") -> dict[str, str]:
    """`python_awslambda` target name -> its `handler=`, read from a BUILD file's syntax (a BUILD
    file is Python syntax; it is parsed, never run)."""
    out: dict[str, str] = {}
    for node in ast.walk(ast.parse(build_text, filename=where)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        if node.func.id != "python_awslambda":
            continue
        fields = {kw.arg: kw.value for kw in node.keywords if kw.arg in ("name", "handler")}
        name, handler = (_literal(fields.get(field)) for field in ("name", "handler"))
        if name is None or handler is None or ":" not in handler or "/" in handler or handler.endswith(".py"):
            raise LambdaHandlerError(
                f"{where}: python_awslambda(name={name!r}) needs literal name= and handler='module:function'"
            )
        out[name] = handler
    return out


def _literal(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


@functools.cache
def _handlers_in(directory: str) -> dict[str, str]:
    path = build_file(directory)
    return lambda_handlers(path.read_text(encoding="utf-8"), f"{directory}/BUILD")


def handler_of(address: str) -> str:
    """`services/intake/src/icpa_intake:intake-lambda` -> its `module:function`."""
    directory, _, name = address.partition(":")
    handlers = _handlers_in(directory)
    if name not in handlers:
        raise LambdaHandlerError(f"no python_awslambda(name={name!r}) in {directory}/BUILD (found {sorted(handlers)})")
    return handlers[name]


class _Functions(Mapping[str, str]):
    """Logical id -> "module:attr", in template order; the template and BUILD files are read on
    first access, so importing this module costs nothing at the CLI's cold start."""

    def __init__(self) -> None:
        self._functions: dict[str, str] | None = None

    def _load(self) -> dict[str, str]:
        if self._functions is None:
            self._functions = {
                logical_id: handler_of(lambda_address(function["Properties"]["CodeUri"]))
                for logical_id, function in resources_of_type("AWS::Serverless::Function").items()
            }
        return self._functions

    def __getitem__(self, logical_id: str) -> str:
        return self._load()[logical_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


# Logical id (as in orchestration/template.yaml and the ASL substitutions) -> "module:attr".
FUNCTIONS: Final[Mapping[str, str]] = _Functions()


def load_handler(logical_id: str) -> Any:
    module_name, _, attr = FUNCTIONS[logical_id].partition(":")
    return getattr(importlib.import_module(module_name), attr)
