"""Service boundaries: a service imports shared/ and itself only; shared/ imports no service.
The build enforces it (dependency rules; build-support/check-dependency-rules.sh proves a
violation fails); this test reads the code so a violation is named file by file."""

from __future__ import annotations

import ast
from pathlib import Path

SERVICES = sorted(p.name for p in Path("services").iterdir() if (p / "BUILD").exists())
PACKAGES = {svc: "icpa_" + svc.replace("-", "_") for svc in SERVICES}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_all_six_services_and_their_rules_exist() -> None:
    assert {"intake", "fraud", "adjudication", "router", "review-callback", "audit"} <= set(SERVICES)
    for svc in SERVICES:
        build = (Path("services") / svc / "BUILD").read_text()
        assert '"//shared/**"' in build and '"!*"' in build, f"{svc}/BUILD lacks the dependency rule"


def test_no_service_imports_another() -> None:
    violations = []
    for svc in SERVICES:
        others = {pkg for name, pkg in PACKAGES.items() if name != svc}
        for path in (Path("services") / svc).rglob("*.py"):
            bad = imported_packages(path) & others
            if bad:
                violations.append(f"{path}: imports {sorted(bad)}")
    assert not violations, "\n".join(violations)


def test_shared_imports_no_service() -> None:
    services = set(PACKAGES.values())
    violations = [
        f"{path}: imports {sorted(imported_packages(path) & services)}"
        for path in Path("shared/src").rglob("*.py")
        if imported_packages(path) & services
    ]
    assert not violations, "\n".join(violations)
