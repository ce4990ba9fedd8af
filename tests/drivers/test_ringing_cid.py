"""FSK caller ID on ringing lines: the analog adapter makes a line's receiver only when the
line first carries a signal after its first ring (the ring burst is digital silence), started
at the samples of silence heard since, and fed 100 ms at a time.  The driver events must be
those of receivers made at the first ring and fed every 20 ms block, as the adapter used to run
them: the same calls with the same caller IDs, each offered at most 80 ms (4 ticks) later."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from pycti.drivers import analog
from pycti.drivers.base import IncomingCall
from pycti.drivers.sim import SimDriver
from pycti.drivers.sim_ops import CidMode, Ring
from pycti.dsp.callerid import CallerId, encode_mdmf
from pycti.dsp.callerid_fsk import fsk_callerid_signal

TRUNKS = 6


def _eager_process(self: Any, block: np.ndarray) -> list[Any]:
    """The former behaviour: every ringing line's receiver fed every block from the first ring."""
    out: list[Any] = []
    for row, rx in list(self._rx.items()):
        if rx is None:
            rx = self._rx[row] = self._factory(self._silent.pop(row))
        out.extend(analog._RowEvent(row, ev.caller_id) for ev in rx.process(block[row : row + 1]))
    return out


def _run(eager: bool, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    with monkeypatch.context() as m:
        if eager:
            m.setattr(analog._RingingLinesOnly, "process", _eager_process)
        drv = SimDriver(TRUNKS, 0, seed=4)
        events: list[Any] = []
        out = np.zeros((TRUNKS, 160), np.int16)
        for tick in range(600):
            if tick % 40 == 3 and tick // 40 < TRUNKS:  # callers ring in, 0.8 s apart
                port = tick // 40
                cid = CallerId(number=f"55501{port:02d}", month=5, day=6, hour=7, minute=port)
                drv.board.script(port, [Ring(on_ms=1000 + 37 * port, off_ms=4000, max_ms=20_000,
                                             cid_samples=fsk_callerid_signal(encode_mdmf(cid)),
                                             cid_mode=CidMode.AFTER_FIRST_RING)])
            drv.exchange(out)
            events += [(tick, e) for e in drv.poll()]
        drv.close()
    return events


def test_lazy_receivers_give_the_same_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    want = _run(True, monkeypatch)
    got = _run(False, monkeypatch)
    offers = [e for _, e in want if isinstance(e, IncomingCall)]
    assert [o.caller.number for o in offers] == [f"55501{p:02d}" for p in range(TRUNKS)]
    assert [(e.port, e.caller) for _, e in got if isinstance(e, IncomingCall)] == [(o.port, o.caller) for o in offers]
    assert len(got) == len(want)
    for (t_got, e_got), (t_want, e_want) in zip(got, want):
        assert type(e_got) is type(e_want) and e_got.port == e_want.port
        assert 0 <= t_got - t_want <= 4, (t_got, e_got, t_want, e_want)
