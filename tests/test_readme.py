"""README's Provider API example runs as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_example_runs_as_written(tmp_path):
    code = re.search(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    script = tmp_path / "example.py"
    script.write_text(code)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    names = [line.split()[0] for line in proc.stdout.splitlines()]
    assert names == ["Delivered", "Established", "ConnectionCleared", "ConnectionCleared", "CallCleared"]


def test_examples_file_is_the_readme_example():
    code = re.search(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    assert code.strip() in (ROOT / "examples" / "provider_basic.py").read_text()


def test_ivr_example_reads_the_callers_digits():
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "ivr_digits.py")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "call from 13800138000" in proc.stdout
    assert "keyed '2026#'" in proc.stdout
