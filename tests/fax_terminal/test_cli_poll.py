"""``pycti fax`` polling: ``loopback --poll`` in process, and ``send DOC --pollable`` (the
answering terminal offering DOC) polled by ``receive OUT.tif --poll`` (the calling terminal) as
two processes in 20 ms lock-step over pipes."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from pycti.cli.fax import main as fax_main
from pycti.fax.document import read_tiff, write_tiff
from pycti.fax.t4_types import Coding

from . import document, same_image
from .test_cli import CLI, _relay


def test_loopback_poll_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pages = document(100, 60, seed=17)
    source, out = tmp_path / "offered.tif", tmp_path / "polled.tif"
    write_tiff(source, pages, Coding.MMR)
    assert fax_main(["loopback", str(source), str(out), "--poll", "--no-ecm", "--codings",
                     "MH", "--modems", "V29", "--ident", "+1 555 0100"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "sender: result=OK pages=2 rate=9600 modem=V.29 ecm=off coding=MH remote='+1 555 0100'",
        "receiver: result=OK pages=2 rate=9600 modem=V.29 ecm=off coding=MH "
        "remote='+1 555 0100'"]
    assert "fax receive: page 2 received: 60 lines, 0 bad (MCF)" in captured.err
    got = read_tiff(out)
    assert len(got) == 2 and all(same_image(g.image, p.image) for g, p in zip(got, pages))


def test_receive_poll_with_nobody_there_hangs_up(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    out, err = tmp_path / "out.tif", io.StringIO()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\x00" * 100)))
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO()))
    monkeypatch.setattr(sys, "stderr", err)
    assert fax_main(["receive", str(out), "--poll"]) == 1
    assert err.getvalue().splitlines()[-1].startswith("result=FAR_END_HUNG_UP pages=0")


def _pipe_call(tmp_path: Path, send_args: list[str], receive_args: list[str]
               ) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes], str, str]:
    """Run ``receive`` (the polling caller) and ``send`` (the polled answerer) in lock-step;
    the caller is relayed as the first process, as a calling terminal would be dialling."""
    with open(tmp_path / "send.err", "wb") as send_err, \
            open(tmp_path / "recv.err", "wb") as recv_err:
        receiver = subprocess.Popen([*CLI, "receive", *receive_args], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=recv_err)
        sender = subprocess.Popen([*CLI, "send", *send_args], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=send_err)
        try:
            frames = _relay(receiver, sender, max_frames=50 * 120)
            for proc in (sender, receiver):
                try:
                    proc.stdin.close()  # type: ignore[union-attr]
                except BrokenPipeError:
                    pass
                proc.wait(timeout=30)
        finally:
            for proc in (sender, receiver):
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    assert frames < 50 * 120
    return sender, receiver, (tmp_path / "send.err").read_text(), \
        (tmp_path / "recv.err").read_text()


def test_send_pollable_and_receive_poll_processes(tmp_path: Path) -> None:
    pages = document(90, 70, seed=23)
    source, out = tmp_path / "offered.tif", tmp_path / "polled.tif"
    write_tiff(source, pages, Coding.MH)
    sender, receiver, send_log, recv_log = _pipe_call(
        tmp_path, [str(source), "--pollable", "--ident", "+1 555 0100"],
        [str(out), "--poll", "--ident", "+1 555 0199"])
    assert (sender.returncode, receiver.returncode) == (0, 0), send_log + recv_log
    assert send_log.splitlines()[-1] == (
        "result=OK pages=2 rate=9600 modem=V.29 ecm=on coding=MMR remote='+1 555 0199'")
    assert recv_log.splitlines()[-1] == (
        "result=OK pages=2 rate=9600 modem=V.29 ecm=on coding=MMR remote='+1 555 0100'")
    assert "fax: 2 page(s) written to" in recv_log
    got = read_tiff(out)
    assert len(got) == 2 and all(same_image(g.image, p.image) for g, p in zip(got, pages))


def test_receive_poll_of_a_plain_receiver_is_polling_not_offered(tmp_path: Path) -> None:
    """``receive --poll`` calling ``receive`` (an answerer with nothing to offer)."""
    out = tmp_path / "polled.tif"
    with open(tmp_path / "a.err", "wb") as a_err, open(tmp_path / "p.err", "wb") as p_err:
        poller = subprocess.Popen([*CLI, "receive", str(out), "--poll"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=p_err)
        answerer = subprocess.Popen([*CLI, "receive", str(tmp_path / "unused.tif")],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=a_err)
        try:
            _relay(poller, answerer, max_frames=50 * 60)
            for proc in (poller, answerer):
                try:
                    proc.stdin.close()  # type: ignore[union-attr]
                except BrokenPipeError:
                    pass
                proc.wait(timeout=30)
        finally:
            for proc in (poller, answerer):
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    log = (tmp_path / "p.err").read_text()
    assert poller.returncode == 1, log
    assert log.splitlines()[-1].startswith("result=POLLING_NOT_OFFERED pages=0")
    assert not out.exists()
