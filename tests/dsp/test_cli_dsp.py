"""``pycti dtmf``, ``pycti tones`` and ``pycti bench dsp`` run as real subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pycti.cli.dsp_bench import dtmf_tones_or_none, speech_like
from pycti.dsp.audiofile import write_wav
from pycti.dsp.fax_tones import ced, cng
from pycti.dsp.g711 import ulaw_encode
from pycti.dsp.progress import progress_tone
from pycti.dsp.progress_tables import COUNTRIES, rows_for

ROOT = Path(__file__).resolve().parents[2]
ENV = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
CMD = [sys.executable, "-m", "pycti.cli.main"]
make_dtmf = dtmf_tones_or_none()
needs_dtmf = pytest.mark.skipif(make_dtmf is None, reason="pycti.dsp.dtmf not available yet")


def _run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(CMD + list(args), input=stdin, capture_output=True, text=True,
                          env=ENV, cwd=ROOT, timeout=120, check=False)


def _ulaw_wav(path: Path, samples: np.ndarray) -> None:
    import struct

    body = ulaw_encode(samples).tobytes()
    fmt = struct.pack("<HHIIHH", 7, 1, 8000, 8000, 1, 8)
    chunks = b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(body)) + body
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(1)
    out: dict[str, Path] = {}
    pause = np.zeros(4000, np.int16)
    if make_dtmf is not None:
        out["digits"] = d / "digits.wav"
        write_wav(out["digits"], np.concatenate([pause, make_dtmf("159#"), pause]))
        out["digits_ulaw"] = d / "digits_ulaw.wav"
        _ulaw_wav(out["digits_ulaw"], np.concatenate([pause, make_dtmf("*0A7"), pause]))
    out["silence"] = d / "silence.sln"
    out["silence"].write_bytes(np.zeros(8000, "<i2").tobytes())
    out["fax"] = d / "fax.wav"
    write_wav(out["fax"], np.concatenate([pause, cng(4000), ced(3000, am=True), pause]))
    out["busy"] = d / "busy.raw"
    out["busy"].write_bytes(np.concatenate([pause, progress_tone("CN", "BUSY", 4000)])
                            .astype("<i2").tobytes())
    out["us_reorder_sit"] = d / "us.wav"
    write_wav(out["us_reorder_sit"], np.concatenate([progress_tone("US", "CONGESTION", 2500),
                                                     pause, progress_tone("US", "SIT", 1500)]))
    out["speech"] = d / "speech.wav"
    write_wav(out["speech"], speech_like(5000, rng=rng))
    out["bad_rate"] = d / "bad_rate.wav"
    write_wav(out["bad_rate"], np.zeros(100, np.int16))
    data = bytearray(out["bad_rate"].read_bytes())
    data[24:28] = (16000).to_bytes(4, "little")
    out["bad_rate"].write_bytes(bytes(data))
    out["missing"] = d / "missing.wav"
    return out


@needs_dtmf
def test_dtmf_prints_digits_per_file(files: dict[str, Path]) -> None:
    r = _run("dtmf", str(files["digits"]), str(files["digits_ulaw"]), str(files["silence"]))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [f"{files['digits']}\t159#",
                                     f"{files['digits_ulaw']}\t*0A7",
                                     f"{files['silence']}\t"]
    assert r.stderr == ""


@needs_dtmf
def test_dtmf_bad_files_are_reported_and_others_answered(files: dict[str, Path]) -> None:
    r = _run("dtmf", str(files["bad_rate"]), str(files["digits"]), str(files["missing"]))
    assert r.returncode == 1
    assert r.stdout.splitlines() == [f"{files['digits']}\t159#"]
    err = r.stderr.splitlines()
    assert len(err) == 2
    assert str(files["bad_rate"]) in err[0] and "sample rate 16000 Hz, expected 8000 Hz" in err[0]
    assert str(files["missing"]) in err[1] and "No such file" in err[1]


def test_tones_names_in_order_of_onset(files: dict[str, Path]) -> None:
    r = _run("tones", str(files["fax"]), str(files["busy"]), str(files["speech"]),
             str(files["silence"]))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [f"{files['fax']}\tCNG,CED", f"{files['busy']}\tBUSY",
                                     f"{files['speech']}\t", f"{files['silence']}\t"]


def test_tones_country_option(files: dict[str, Path]) -> None:
    r = _run("tones", "--country", "US", str(files["us_reorder_sit"]), str(files["bad_rate"]))
    assert r.returncode == 1
    assert r.stdout.splitlines() == [f"{files['us_reorder_sit']}\tCONGESTION,SIT"]
    assert "bad_rate.wav: sample rate 16000 Hz" in r.stderr
    r = _run("tones", "--country", "CN", str(files["us_reorder_sit"]))
    assert r.stdout.splitlines() == [f"{files['us_reorder_sit']}\tSIT"]
    r = _run("tones", "--country", "CN,US", str(files["us_reorder_sit"]))
    assert r.stdout.splitlines() == [f"{files['us_reorder_sit']}\tCONGESTION,SIT"]
    r = _run("tones", "--country", "XX", str(files["busy"]))
    assert r.returncode == 2 and "unknown country" in r.stderr


def test_tones_recognises_every_countrys_tones_by_default(tmp_path: Path) -> None:
    """Without --country, every table country's tones are named (mu-law files, as boards record them)."""
    expected = []
    for country in COUNTRIES:
        for row in rows_for(country):
            path = tmp_path / f"{country}-{row.tone}.wav"
            x = np.concatenate([np.zeros(800, np.int16), progress_tone(country, row.tone, 8000, level_dbm0=-20.0)])
            _ulaw_wav(path, x)
            expected.append(f"{path}\t{row.tone}")
    r = _run("tones", *(line.split("\t")[0] for line in expected))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == expected


@pytest.mark.parametrize("command", ["tones", "dtmf"])
def test_stdin_paths_are_answered_as_they_come(files: dict[str, Path], command: str) -> None:
    """Feed one path, read its answer, only then send the next."""
    if command == "dtmf" and make_dtmf is None:
        pytest.skip("pycti.dsp.dtmf not available yet")
    first = files["digits"] if command == "dtmf" else files["busy"]
    expected = "159#" if command == "dtmf" else "BUSY"
    with subprocess.Popen(CMD + [command], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=ENV, cwd=ROOT) as proc:
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        proc.stdin.write(f"{first}\n")
        proc.stdin.flush()
        assert proc.stdout.readline() == f"{first}\t{expected}\n"
        proc.stdin.write(f"{files['missing']}\n")
        proc.stdin.flush()
        assert str(files["missing"]) in proc.stderr.readline()
        proc.stdin.write(f"{files['silence']}\n")
        proc.stdin.flush()
        assert proc.stdout.readline() == f"{files['silence']}\t\n"
        proc.stdin.close()
        assert proc.wait(timeout=60) == 1


def test_bench_dsp_prints_one_line_per_detector() -> None:
    r = _run("bench", "dsp", "--channels", "8", "--seconds", "0.5")
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stdout.splitlines() if not ln.startswith("#")]
    names = [ln.split("\t")[0] for ln in lines]
    assert names == ["dtmf", "progress", "fax", "all", "g711"]
    for ln in lines:
        value = ln.split("\t")[1]
        if not value.startswith("unavailable"):
            assert float(value.replace(",", "")) > 0
