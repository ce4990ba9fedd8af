"""pycti's fax terminal against spandsp's (tests/peers/spandsp.py, libspandsp 0.0.6 through
cffi): real T.30 calls in 20 ms lock-step, pycti sending to spandsp and receiving from it, over
V.27ter and V.29, with and without ECM, in MH, MR and T.6.  The pages must arrive
pixel-identical.  Skipped where libspandsp-dev is not installed.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from pycti.dsp.linemodel import LineModel
from pycti.fax.t30_dis import Modem
from pycti.fax.t4_types import Coding
from pycti.fax.terminal import FRAME_SAMPLES, FaxTerminal
from pycti.fax.terminal_events import FaxOptions

#: spandsp's names of pycti's modems and codings.
SPANDSP_MODEM = {Modem.V27TER: "V27ter", Modem.V29: "V29", Modem.V17: "V17"}
SPANDSP_CODING = {Coding.MH: "MH", Coding.MR: "MR", Coding.MMR: "T6"}
RATE_BPS = {Modem.V27TER: 4800, Modem.V29: 9600, Modem.V17: 14400}

#: The matrix: each modem, ECM off (MH, MR) and on (MH, MR, T.6; T.6 needs ECM).
CELLS = [(modem, ecm, coding)
         for modem in (Modem.V27TER, Modem.V29, Modem.V17)
         for ecm in (False, True)
         for coding in ((Coding.MH, Coding.MR, Coding.MMR) if ecm else (Coding.MH, Coding.MR))]
CELL_IDS = [f"{m.value}-{'ecm' if e else 'noecm'}-{c.value}" for m, e, c in CELLS]


def spandsp() -> object:
    """The tests.peers.spandsp module, or skip the test when libspandsp is missing."""
    from tests.peers import spandsp as peer

    try:
        peer.load()
    except peer.SpandspUnavailable as exc:
        pytest.skip(f"spandsp not available: {exc}")
    return peer


def options(modem: Modem, ecm: bool, coding: Coding) -> FaxOptions:
    """pycti options that leave one choice: ``modem``, ``ecm``, ``coding`` (MH is always
    offered besides, as every terminal must).  DIS can announce V.17 only together with V.29
    and V.27ter; spandsp, offering V.17 alone, then leaves V.17 as the one choice."""
    modems = frozenset({modem}) if modem is not Modem.V17 else frozenset({Modem.V27TER, Modem.V29, Modem.V17})
    return FaxOptions(modems=modems, ecm=ecm, codings=frozenset({coding}),
                      local_id="+49 30 1234567")


@dataclass(frozen=True)
class CallTiming:
    """Audio time of a call and the CPU time each terminal spent on it."""

    audio_s: float
    pycti_cpu_s: float
    peer_cpu_s: float


def run_call(terminal: FaxTerminal, peer: object, max_duration_s: float = 150.0,
             line: LineModel | None = None) -> CallTiming:
    """Connect ``terminal`` and a spandsp ``peer`` (SpandspFax) in 160-sample lock-step until
    both are done, each direction through ``line`` if given; when one is done and the other is
    not within 2 s, the line drops."""
    to_peer = line.stream() if line is not None else None
    to_us = dataclasses.replace(line, seed=line.seed + 1).stream() if line is not None else None
    to_pycti = np.zeros(FRAME_SAMPLES, dtype=np.int16)
    ours = theirs = 0.0
    first_done: int | None = None
    for frame in range(int(max_duration_s * 50)):
        t0 = time.process_time()
        out = terminal.process(to_pycti)
        t1 = time.process_time()
        to_pycti = peer.tx(FRAME_SAMPLES)  # type: ignore[attr-defined]
        peer.rx(out if to_peer is None else to_peer.process(out))  # type: ignore[attr-defined]
        if to_us is not None:
            to_pycti = to_us.process(to_pycti)
        t2 = time.process_time()
        ours, theirs = ours + t1 - t0, theirs + t2 - t1
        peer_done = bool(peer.done)  # type: ignore[attr-defined]
        if terminal.done and peer_done:
            return CallTiming((frame + 1) / 50, ours, theirs)
        if terminal.done or peer_done:
            first_done = frame if first_done is None else first_done
            if frame - first_done > 100 and not terminal.done:
                terminal.hang_up()
            elif frame - first_done > 100:
                break
    raise AssertionError(f"call not over after {max_duration_s} s (pycti {terminal.result}, "
                         f"spandsp {peer.result})")  # type: ignore[attr-defined]


def completed_call(terminal: FaxTerminal, fax: object, line: LineModel | None = None) -> tuple[Any, Any]:
    """Run the call between ``terminal`` and the spandsp terminal ``fax`` (:func:`run_call`),
    close ``fax`` (which closes a TIFF it received), and require success at both ends;
    (pycti's result, spandsp's)."""
    try:
        run_call(terminal, fax, line=line)
    finally:
        fax.close()  # type: ignore[attr-defined]
    result, theirs = terminal.result, fax.result  # type: ignore[attr-defined]
    assert result is not None and theirs is not None
    assert result.ok and theirs.success, (result, theirs)
    return result, theirs


def call_spandsp(peer: object, terminal: FaxTerminal, modem: Modem, ecm: bool, coding: Coding, *,
                 calling: bool, local_ident: str, line: LineModel | None = None,
                 **files: object) -> tuple[object, object]:
    """One call between ``terminal`` and a spandsp terminal (``calling`` or answering, with
    ``tx_tiff=`` / ``rx_tiff=`` as ``files`` give, offering ``modem`` and MH plus ``coding``):
    run it, close spandsp (which closes a received TIFF), and check what every cell must show --
    OK at both ends, and the modem, rate, ECM and coding both ends say they used.  Returns
    (pycti's result, spandsp's)."""
    fax = peer.SpandspFax(calling=calling, ecm=ecm, modems=(SPANDSP_MODEM[modem],),  # type: ignore[attr-defined]
                          compressions=sorted({"MH", SPANDSP_CODING[coding]}), local_ident=local_ident,
                          **files)
    result, theirs = completed_call(terminal, fax, line=line)
    assert (result.modem, result.rate_bps, result.ecm, result.coding) == (modem, RATE_BPS[modem], ecm, coding)
    assert (theirs.bit_rate_bps, theirs.ecm_used, theirs.compression) == (  # type: ignore[attr-defined]
        RATE_BPS[modem], ecm, SPANDSP_CODING[coding])
    return result, theirs
