"""Every ```python block of the pages in DOCS runs as written.

Each block is a complete program; it runs in its own interpreter (a fresh namespace, no state
shared with the test process or with other blocks) with a wall-clock timeout, and passes when
it exits 0 (the examples check their outcome with ``assert``).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ("provider.md", "drivers.md", "acd.md", "sip.md", "ivr.md", "fax.md", "fax-on-calls.md")
TIMEOUT_S = 120

_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)


def python_blocks(text: str) -> list[str]:
    """The bodies of the ```python fenced blocks of a Markdown text, in order."""
    return [m.group(1) for m in _BLOCK.finditer(text)]


def _cases() -> list[tuple[str, int]]:
    cases = []
    for name in DOCS:
        path = ROOT / "docs" / name
        for index, _ in enumerate(python_blocks(path.read_text(encoding="utf-8"))):
            cases.append((name, index))
    return cases


CASES = _cases()


def test_every_page_has_examples():
    for name in DOCS:
        assert any(doc == name for doc, _ in CASES), f"docs/{name} has no ```python example"


@pytest.mark.parametrize(("doc", "index"), CASES, ids=[f"{d}-{i}" for d, i in CASES])
def test_doc_example_runs(doc: str, index: int, tmp_path: Path) -> None:
    code = python_blocks((ROOT / "docs" / doc).read_text(encoding="utf-8"))[index]
    script = tmp_path / f"{Path(doc).stem}_{index}.py"
    script.write_text(code, encoding="utf-8")
    try:
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                              timeout=TIMEOUT_S, cwd=tmp_path)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"docs/{doc} example {index} did not finish in {TIMEOUT_S} s: {exc}")
    assert proc.returncode == 0, (
        f"docs/{doc} example {index} failed (exit {proc.returncode}):\n{proc.stderr}\n{proc.stdout}"
    )
