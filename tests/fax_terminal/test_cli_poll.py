"""``pycti fax`` polling: ``loopback --poll`` in process, and ``send DOC --pollable`` (the
answering terminal offering DOC) polled by ``receive OUT.tif --poll`` (the calling terminal) as
two processes in 20 ms lock-step over pipes."""

from __future__ import annotations

from pathlib import Path

import pytest

from pycti.cli.fax import main as fax_main
from pycti.fax.document import read_tiff, write_tiff
from pycti.fax.t4_types import Coding

from . import document, same_image
from .test_cli import run_pair


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


def test_send_pollable_and_receive_poll_processes(tmp_path: Path) -> None:
    pages = document(90, 70, seed=23)
    source, out = tmp_path / "offered.tif", tmp_path / "polled.tif"
    write_tiff(source, pages, Coding.MH)
    # the polling caller (receive) dials the polled answerer (send)
    receiver, sender, recv_log, send_log = run_pair(
        tmp_path, ["receive", str(out), "--poll", "--ident", "+1 555 0199"],
        ["send", str(source), "--pollable", "--ident", "+1 555 0100"])
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
    poller, _, log, _ = run_pair(tmp_path, ["receive", str(out), "--poll"],
                                 ["receive", str(tmp_path / "unused.tif")], max_frames=50 * 60)
    assert poller.returncode == 1, log
    assert log.splitlines()[-1].startswith("result=POLLING_NOT_OFFERED pages=0")
    assert not out.exists()
