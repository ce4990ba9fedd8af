"""The caller-ID receiver's workspace hands back a name's last view when asked for the same
shape and dtype again; the receiver must decode exactly as with the plain workspace."""

from __future__ import annotations

import numpy as np
import pytest

from pycti.dsp import callerid_fsk
from pycti.dsp.callerid import CallerId, encode_mdmf
from pycti.dsp.callerid_fsk import FskCallerIdReceiver, fsk_callerid_signal
from pycti.dsp.fsk import Workspace


def test_views_are_reused_only_for_the_same_request() -> None:
    w = callerid_fsk._Workspace()
    a = w.array("x", (4, 3))
    assert w.array("x", (4, 3)) is a
    b = w.array("x", (2, 3))
    assert b.shape == (2, 3) and np.shares_memory(a, b)
    c = w.array("x", (40, 3))  # bigger: a new buffer, as the plain workspace gives
    assert c.shape == (40, 3) and not np.shares_memory(a, c)
    d = w.array("x", (40, 3), np.bool_)
    assert d.dtype == np.bool_ and d.shape == (40, 3)
    assert w.array("x", (40, 3), np.bool_) is d


def _events(monkeypatch: pytest.MonkeyPatch, plain: bool) -> list:
    with monkeypatch.context() as m:
        if plain:
            m.setattr(callerid_fsk, "_Workspace", Workspace)
        rx = FskCallerIdReceiver(3)
        rng = np.random.default_rng(1)
        x = rng.normal(0, 30, (3, 24000)).astype(np.int16)
        for ch, at in ((0, 800), (2, 5555)):
            sig = fsk_callerid_signal(encode_mdmf(CallerId(number=f"55512{ch}", month=3, day=4, hour=5, minute=6)))
            x[ch, at : at + sig.size] += sig
        events = []
        for pos in range(0, x.shape[1], 177):
            events += rx.process(x[:, pos : pos + 177])
        return events + rx.flush()


def test_same_events_as_with_the_plain_workspace(monkeypatch: pytest.MonkeyPatch) -> None:
    want = _events(monkeypatch, True)
    got = _events(monkeypatch, False)
    assert [e.caller_id.number for e in want if e.caller_id] == ["555120", "555122"]
    assert got == want
