"""``pycti fax`` as a program: ``loopback`` end to end, ``send`` and ``receive`` as two
processes whose audio this test relays over OS pipes in 20 ms lock-step (one 320-byte frame
read from each, one written to each), and the exit status and message of bad input."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pycti.cli.fax import main as fax_main
from pycti.fax.document import read_tiff, write_tiff
from pycti.fax.document_page import FaxPage
from pycti.fax.t4_types import Coding, Resolution

from . import document, same_image

FRAME_BYTES = 320
CLI = [sys.executable, "-m", "pycti.cli.fax"]


def _run(*args: str, timeout_s: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout_s,
                          stdin=subprocess.DEVNULL)


def test_loopback_round_trip_through_a_noisy_line(tmp_path: Path) -> None:
    pages = document(120, 70, seed=11)
    source, out = tmp_path / "in.tif", tmp_path / "out.tif"
    write_tiff(source, pages, Coding.MMR)
    proc = _run("loopback", str(source), str(out), "--no-ecm", "--codings", "MH,MR",
                "--modems", "V27ter", "--noise-dbm0", "-45", "--clock-ppm", "30", "--seed", "3")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "sender: result=OK pages=2 rate=4800 modem=V.27ter ecm=off coding=MR",
        "receiver: result=OK pages=2 rate=4800 modem=V.27ter ecm=off coding=MR"]
    assert "fax receive: page 2 received: 70 lines, 0 bad (MCF)" in proc.stderr
    assert "fax send: negotiated V.27ter 4800 bit/s, MR, fine, ECM off" in proc.stderr
    got = read_tiff(out)
    assert len(got) == 2 and all(same_image(g.image, p.image) for g, p in zip(got, pages))


def _relay(sender: subprocess.Popen[bytes], receiver: subprocess.Popen[bytes],
           max_frames: int) -> int:
    """Lock-step: give each process one frame, take one frame from each, swap; once one has
    ended, keep the other fed with silence until it ends too."""
    assert sender.stdin and sender.stdout and receiver.stdin and receiver.stdout
    silence = bytes(FRAME_BYTES)
    to_sender, to_receiver = silence, silence
    live = {"s": True, "r": True}
    for frame in range(max_frames):
        for key, proc, data in (("s", sender, to_sender), ("r", receiver, to_receiver)):
            if live[key]:
                try:
                    proc.stdin.write(data)  # type: ignore[union-attr]
                    proc.stdin.flush()  # type: ignore[union-attr]
                except BrokenPipeError:
                    live[key] = False
        from_sender = sender.stdout.read(FRAME_BYTES) if live["s"] else b""
        from_receiver = receiver.stdout.read(FRAME_BYTES) if live["r"] else b""
        live["s"] = live["s"] and len(from_sender) == FRAME_BYTES
        live["r"] = live["r"] and len(from_receiver) == FRAME_BYTES
        if not live["s"] and not live["r"]:
            return frame
        to_receiver = from_sender if live["s"] else silence
        to_sender = from_receiver if live["r"] else silence
    return max_frames


def run_pair(tmp_path: Path, calling: list[str], answering: list[str], *, max_frames: int = 50 * 120
             ) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes], str, str]:
    """Run two ``pycti fax`` processes (``calling`` and ``answering`` their arguments) wired
    to each other in lock-step by :func:`_relay` until both end; (calling process, answering
    process, calling stderr, answering stderr).  The call must end within ``max_frames``."""
    with open(tmp_path / "calling.err", "wb") as calling_err, \
            open(tmp_path / "answering.err", "wb") as answering_err:
        first = subprocess.Popen([*CLI, *calling], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=calling_err)
        second = subprocess.Popen([*CLI, *answering], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=answering_err)
        try:
            frames = _relay(first, second, max_frames=max_frames)
            for proc in (first, second):
                try:
                    proc.stdin.close()  # type: ignore[union-attr]
                except BrokenPipeError:
                    pass  # it had ended: the last frame written to it had nowhere to go
                proc.wait(timeout=30)
        finally:
            for proc in (first, second):
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    assert frames < max_frames
    return first, second, (tmp_path / "calling.err").read_text(), (tmp_path / "answering.err").read_text()


def test_send_and_receive_processes_in_lock_step_over_pipes(tmp_path: Path) -> None:
    pages = document(90, 60, seed=5)
    source, out = tmp_path / "in.tif", tmp_path / "out.tif"
    write_tiff(source, pages, Coding.MH)
    sender, receiver, send_log, recv_log = run_pair(
        tmp_path, ["send", str(source), "--ident", "+1 555 0100"], ["receive", str(out), "--ident", "+1 555 0199"])
    assert (sender.returncode, receiver.returncode) == (0, 0), send_log + recv_log
    assert send_log.splitlines()[-1] == (
        "result=OK pages=2 rate=9600 modem=V.29 ecm=on coding=MMR remote='+1 555 0199'")
    assert recv_log.splitlines()[-1] == (
        "result=OK pages=2 rate=9600 modem=V.29 ecm=on coding=MMR remote='+1 555 0100'")
    assert "fax: page 1 sent at 9600 bit/s: MCF" in send_log
    got = read_tiff(out)
    assert len(got) == 2 and all(same_image(g.image, p.image) for g, p in zip(got, pages))


@pytest.mark.parametrize("extra", [[], ["--poll"]], ids=["receive", "poll"])
def test_receive_with_nobody_there_hangs_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            extra: list[str]) -> None:
    """End of stdin at once: the line dropped before anything came, no file is written
    (receiving as the answering terminal, or polling as the calling one)."""
    out, err = tmp_path / "out.tif", io.StringIO()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\x00" * 100)))
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO()))
    monkeypatch.setattr(sys, "stderr", err)
    assert fax_main(["receive", str(out), *extra]) == 1
    log = err.getvalue()
    assert "no page received" in log
    assert log.splitlines()[-1].startswith("result=FAR_END_HUNG_UP pages=0")
    assert not out.exists()


@pytest.mark.filterwarnings("ignore")
def test_bad_input_exits_2_with_a_message(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """Run in this process through :func:`pycti.cli.fax.main` (what ``pycti fax`` calls)."""
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"II*\x00\x08\x00\x00\x00" + b"\x00" * 12)
    wide = tmp_path / "wide.tif"
    write_tiff(wide, [FaxPage(np.zeros((8, 2048), dtype=np.uint8), Resolution.FINE)])
    cases = [
        (("send", str(tmp_path / "missing.tif")), "missing.tif: cannot read"),
        (("send", str(broken)), "broken.tif"),
        (("send", str(wide)), "page 1 is 2048 pixels wide"),
        (("loopback", str(wide), str(tmp_path / "o.tif")), "2048 pixels wide"),
        (("receive", str(tmp_path / "o.tif"), "--modems", "V17"), "cannot offer the modem set"),
        (("receive", str(tmp_path / "o.tif"), "--codings", "JBIG"), "'JBIG'"),
    ]
    for args, message in cases:
        assert fax_main(list(args)) == 2, args
        err = capsys.readouterr().err
        assert err.startswith("pycti fax: ") and message in err, err


def test_loopback_of_a_png_picture_in_process(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A picture is scaled to a 1728-pixel fax page (pycti.fax.image_convert) and sent; the
    page written to OUT.tif is the page the sender made of it."""
    from PIL import Image

    from pycti.fax.document import load_document

    picture = np.full((200, 300), 255, dtype=np.uint8)
    picture[40:160:20, 30:270] = 0  # six black rules
    source, out = tmp_path / "rules.png", tmp_path / "out.tif"
    Image.fromarray(picture).save(source)
    assert fax_main(["loopback", str(source), str(out), "--quiet", "--modems", "V29"]) == 0
    stdout = capsys.readouterr().out
    assert "receiver: result=OK pages=1 rate=9600 modem=V.29 ecm=on coding=MMR" in stdout
    sent, got = load_document(source), read_tiff(out)
    assert len(got) == 1 and got[0].width == 1728
    assert same_image(got[0].image, sent[0].image) and got[0].image.any()
