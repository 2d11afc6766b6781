"""The dependency rule, checked on every test run.

import-linter enforces the layers (interfaces, infra → application → domain)
and keeps frameworks out of the inner layers; it cannot name a module inside
an outside package, so the rule "the domain uses only eventsourcing's domain
module" is checked here by reading the domain's imports.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_linter_contracts_hold() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _imported_modules(package: Path) -> set[str]:
    modules: set[str] = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module)
    return modules


def test_the_domain_uses_only_the_libraries_domain_module() -> None:
    library_modules = {m for m in _imported_modules(ROOT / "domain") if m.startswith("eventsourcing")}
    assert library_modules == {"eventsourcing.domain"}


def test_the_application_uses_no_storage_driver_of_the_library() -> None:
    library_modules = {m for m in _imported_modules(ROOT / "application") if m.startswith("eventsourcing")}
    assert not library_modules & {"eventsourcing.postgres", "eventsourcing.sqlite"}
