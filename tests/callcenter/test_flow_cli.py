"""``pycti ivr check`` / ``pycti ivr draw`` through the CLI entry point, and docs/ivr.md's example."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pycti.callcenter.flow import load_flow
from pycti.callcenter.flow_draw import layout
from pycti.cli.main import main

from ..test_docs_examples import python_blocks

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"
EXAMPLE = ROOT / "examples" / "flows" / "support.toml"
SVG = "{http://www.w3.org/2000/svg}"


def test_check_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ivr", "check", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"OK {EXAMPLE}: flow 'support', 11 nodes, hooks used: crm_lookup")


def test_check_errors_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ivr", "check", str(DATA / "bad_target.toml"), "--prompt", f"hello={EXAMPLE.parent / 'prompts' / 'menu.wav'}"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [f"{DATA / 'bad_target.toml'}:11: [nodes.menu] option '2' goes to unknown node 'nowhere'", "1 error(s)"]


def test_check_with_declared_hooks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ivr", "check", str(EXAMPLE), "--hook", "crm_lookup"]) == 0
    assert main(["ivr", "check", str(EXAMPLE), "--hook", "billing"]) == 1
    assert "hook 'crm_lookup' is not registered" in capsys.readouterr().out


def test_console_script_check_syntax_error() -> None:
    proc = subprocess.run([sys.executable, "-m", "pycti.cli.main", "ivr", "check", str(DATA / "bad_syntax.toml")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and f"{DATA / 'bad_syntax.toml'}:6: TOML syntax error" in proc.stdout


def test_draw_svg_has_every_node_and_labelled_edges(tmp_path: Path) -> None:
    out = tmp_path / "support.svg"
    assert main(["ivr", "draw", str(EXAMPLE), "-o", str(out)]) == 0
    root = ET.parse(out).getroot()
    texts = [t.text for t in root.iter(f"{SVG}text")]
    flow = load_flow(EXAMPLE)
    for name, node in flow.nodes.items():
        assert name in texts and node.kind in texts
    assert {"1", "2", "0, no input, invalid", "tier equals gold", "else", "on failure", "DNIS 5551999"} <= set(texts)
    assert "08:00-12:30,13:30-19:00 mon-fri, 09:00-12:00 sat" in texts  # two branches to one node
    assert len(list(root.iter(f"{SVG}rect"))) == len(flow.nodes) + 1  # + the background
    # layered: every edge that is not a loop goes down from its source's row
    lay = layout(flow)
    assert all(lay.boxes[e.dst].y > lay.boxes[e.src].y for e in lay.edges if not e.back)


def test_draw_png(tmp_path: Path) -> None:
    out = tmp_path / "support.png"
    assert main(["ivr", "draw", str(EXAMPLE), "-o", str(out)]) == 0
    img = np.asarray(Image.open(out).convert("RGB")).astype(int)
    lay = layout(load_flow(EXAMPLE))
    assert img.shape == (int(lay.height), int(lay.width), 3)
    box = lay.boxes["menu"]
    inside = img[int(box.y) + 3:int(box.y + box.h) - 3, int(box.x) + 3:int(box.x + box.w) - 3]
    filled = (inside == (255, 255, 221)).all(axis=2).mean()
    dark = (inside.sum(axis=2) < 300).mean()
    assert filled > 0.5 and dark > 0.01  # the box is filled light yellow, with its text in it
    assert (img == 255).all(axis=2).mean() > 0.5  # white around the boxes


def test_draw_refuses_a_bad_flow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ivr", "draw", str(DATA / "bad_syntax.toml"), "-o", str(tmp_path / "x.svg")]) == 1
    assert not (tmp_path / "x.svg").exists() and "TOML syntax error" in capsys.readouterr().out


@pytest.mark.parametrize("index", range(len(python_blocks((ROOT / "docs" / "ivr.md").read_text()))))
def test_docs_ivr_example_runs(index: int, tmp_path: Path) -> None:
    code = python_blocks((ROOT / "docs" / "ivr.md").read_text())[index]
    script = tmp_path / f"ivr_{index}.py"
    script.write_text(code)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_layout_of_a_flow_with_loops(tmp_path: Path) -> None:
    path = tmp_path / "loop.toml"
    path.write_text('[flow]\nstart = "m"\n[nodes.m]\nkind = "menu"\nprompt = "p.wav"\n'
                    'options = { "1" = "q", "9" = "m", "0" = "c" }\nno_input = "q"\n'
                    '[nodes.c]\nkind = "hook"\nhook = "h"\nnext = "m"\n[nodes.q]\nkind = "transfer"\nqueue = "Q"\n')
    from pycti.demo.prompts import synthetic_prompt
    from pycti.dsp.audiofile import write_wav

    write_wav(tmp_path / "p.wav", synthetic_prompt(syllables=1))
    lay = layout(load_flow(path))
    back = {(e.src, e.dst) for e in lay.edges if e.back}
    assert back == {("m", "m"), ("c", "m")}
    assert all(lay.boxes[e.dst].y > lay.boxes[e.src].y for e in lay.edges if not e.back)
    assert all(x >= 0 and x <= lay.width for e in lay.edges for x, _ in e.points)
