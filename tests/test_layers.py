"""No layer imports the one above it (docs/architecture.md), top-level modules included, and the
call model stays pure: no numpy, no asyncio."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "pycti"

#: For each layer (a subpackage or a top-level module), the pycti layers it may import besides
#: itself.  Bottom to top.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "clock": {"errors"},
    "dsp": {"errors"},
    "switch": {"errors"},
    "sip": {"errors"},
    "rtp": {"errors", "dsp"},
    "fax": {"errors", "dsp"},
    "media": {"errors", "dsp"},
    "drivers": {"errors", "dsp", "clock", "sip", "rtp"},  # the SIP driver runs the sans-I/O SIP and RTP cores
    "monitor": {"errors"},
    "provider": {"errors", "monitor", "switch", "media"},  # media: the FrameTap protocol
    "local": {"errors", "clock", "dsp", "media", "drivers", "switch", "provider", "monitor"},
    # the call-center layer uses only the Provider API (and dsp's pure helpers, e.g. checking
    # a prompt file when a flow loads)
    "callcenter": {"errors", "provider", "monitor", "switch", "dsp", "fax"},
    "demo": {"errors", "clock", "dsp", "media", "drivers", "switch", "provider", "monitor", "local", "callcenter"},
    # center: the demo's simulated callers and agents for [sim] callers_per_min
    "center": {"errors", "clock", "dsp", "media", "drivers", "switch", "provider", "monitor", "local", "callcenter",
               "demo"},
    "cli": {"errors", "clock", "dsp", "media", "drivers", "switch", "provider", "monitor", "local", "callcenter", "demo",
            "center", "fax", "sip", "rtp"},
    "__init__": {"local", "drivers"},
}

#: Third-party or standard modules a layer must not import at all.
FORBIDDEN: dict[str, set[str]] = {
    "switch": {"numpy", "asyncio", "scipy", "cffi"},
    # sans-I/O protocol cores: bytes and `now` in, never a socket, a loop or a clock
    "sip": {"asyncio", "socket", "selectors", "time", "numpy"},
    "rtp": {"asyncio", "socket", "selectors", "time"},
    "fax": {"asyncio", "socket", "selectors", "time"},
    "errors": {"numpy", "asyncio"},
}


def _layer_of(path: Path) -> str:
    rel = path.relative_to(PKG)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports(path: Path, text: str | None = None) -> tuple[set[str], set[str]]:
    """(pycti layers, other top-level modules) that ``path`` (or ``text`` standing at
    ``path``) imports."""
    tree = ast.parse(path.read_text() if text is None else text)
    rel = path.relative_to(PKG)
    own = _layer_of(path)
    depth = len(rel.parts) - 1  # 0 for top-level modules
    layers: set[str] = set()
    other: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                top = node.module.split(".")
                if top[0] == "pycti":
                    if len(top) > 1:
                        layers.add(top[1])
                    else:
                        layers.update(a.name for a in node.names)
                else:
                    other.add(top[0])
            elif node.level > 0:
                up = node.level - 1  # packages above the module's own
                if up < depth:
                    layers.add(own)
                else:
                    mod = (node.module or "").split(".")[0]
                    if mod:
                        layers.add(mod)
                    else:
                        layers.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "pycti" and len(parts) > 1:
                    layers.add(parts[1])
                elif parts[0] != "pycti":
                    other.add(parts[0])
    return layers, other


def _files() -> list[Path]:
    return sorted(PKG.rglob("*.py"))


def test_every_module_belongs_to_a_layer():
    unknown = sorted({_layer_of(p) for p in _files()} - set(ALLOWED))
    assert not unknown, f"modules outside every layer rule: {unknown}"


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_lower_layers(layer):
    bad = {}
    for path in _files():
        if _layer_of(path) != layer:
            continue
        layers, other = _imports(path)
        extra = layers - ALLOWED[layer] - {layer}
        banned = other & FORBIDDEN.get(layer, set())
        if extra or banned:
            bad[str(path.relative_to(PKG))] = sorted(extra | banned)
    assert not bad, f"imports that break the layering: {bad}"


def test_the_rule_catches_a_violation():
    """The checker itself: a call-model module importing numpy or the media plane is caught."""
    probe = PKG / "switch" / "probe.py"
    layers, other = _imports(probe, "import numpy\nfrom ..media import plane\nfrom .core import x\n")
    assert "numpy" in other and "media" in layers and "switch" in layers


def test_modules_stay_small():
    big = {str(p.relative_to(PKG)): n for p in PKG.rglob("*.py") if (n := len(p.read_text().splitlines())) > 700}
    assert not big, f"modules over 700 lines: {big}"
