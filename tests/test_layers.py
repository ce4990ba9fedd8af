"""No layer imports the one above it (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "pycti"

#: For each package, the pycti packages it may import (besides itself).
ALLOWED = {
    "dsp": {"errors"},
    "drivers": {"errors", "dsp"},
    "switch": {"errors", "dsp"},
    "local": {"errors", "dsp", "drivers", "switch", "provider", "monitor"},
    "callcenter": {"errors", "provider", "monitor", "switch"},
}


def _pycti_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    rel_pkg = path.relative_to(PKG).parts[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and node.module.startswith("pycti."):
                out.add(node.module.split(".")[1])
            elif node.level == 1:
                out.add(rel_pkg)
            elif node.level == 2:
                mod = (node.module or "").split(".")[0]
                out.add(mod or "")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("pycti."):
                    out.add(alias.name.split(".")[1])
    return out


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_lower_layers(package):
    bad = {}
    for path in (PKG / package).rglob("*.py"):
        extra = _pycti_imports(path) - ALLOWED[package] - {package, ""}
        if extra:
            bad[str(path.relative_to(PKG))] = sorted(extra)
    assert not bad, f"imports from higher layers: {bad}"


def test_modules_stay_small():
    big = {str(p.relative_to(PKG)): n for p in PKG.rglob("*.py") if (n := len(p.read_text().splitlines())) > 700}
    assert not big, f"modules over 700 lines: {big}"
