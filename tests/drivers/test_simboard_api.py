"""The SimBoard binding's argument checking, error translation and lifetime."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from pycti.drivers._simboard import ffi, lib

from pycti.drivers.simboard import (
    CidMode,
    Hangup,
    Mark,
    OffHook,
    Play,
    PortFailedError,
    PortStateError,
    Ring,
    Silence,
    SimArgumentError,
    SimBoard,
    SimBoardError,
    Tone,
    WaitNudge,
    _check,
    dtmf_ops,
)
from pycti.errors import DriverError, PyctiError


def test_check_names_the_call_port_and_code() -> None:
    assert _check(3, "x") == 3
    with pytest.raises(PortFailedError, match=r"^sim_port_hook on port 4 failed: SIM_EFAIL \(-4\)$"):
        _check(lib.SIM_EFAIL, "sim_port_hook", 4)
    with pytest.raises(SimArgumentError) as ei:
        _check(lib.SIM_EINVAL, "sim_board_exchange")
    assert isinstance(ei.value, ValueError) and isinstance(ei.value, DriverError)
    assert isinstance(ei.value, OSError) and isinstance(ei.value, PyctiError)
    assert "on board" in str(ei.value) and ei.value.code == lib.SIM_EINVAL
    with pytest.raises(PortStateError):
        _check(lib.SIM_ESTATE, "sim_station_ring", 1)
    with pytest.raises(MemoryError):
        _check(lib.SIM_ENOMEM, "sim_port_script", 0)
    with pytest.raises(SimBoardError, match="unknown"):
        _check(-99, "sim_board_poll")


def test_c_rejects_what_python_would_have_caught() -> None:
    """The C side validates on its own (for other callers of the C API)."""
    board = ffi.gc(lib.sim_board_new(1, 1, 0), lib.sim_board_free)
    ops = ffi.new("sim_op[]", 1)
    ops[0].type = lib.SIM_OP_OFFHOOK
    assert lib.sim_port_script(board, 0, ops, 1) == lib.SIM_EINVAL  # station op on a trunk
    ops[0].type = lib.SIM_OP_RING
    ops[0].u.ring.on_ms = 0
    assert lib.sim_port_script(board, 0, ops, 1) == lib.SIM_EINVAL
    ops[0].type = 99
    assert lib.sim_port_script(board, 0, ops, 1) == lib.SIM_EINVAL
    assert lib.sim_port_hook(board, 2, 1) == lib.SIM_EINVAL
    assert lib.sim_station_ring(board, 0, 1) == lib.SIM_EINVAL
    buf = ffi.new("int16_t[]", 4)
    assert lib.sim_board_exchange(board, buf, buf, 0) == lib.SIM_EINVAL
    assert lib.sim_board_exchange(board, ffi.NULL, buf, 2) == lib.SIM_EINVAL
    assert lib.sim_board_poll(board, ffi.NULL, 5) == lib.SIM_EINVAL
    assert lib.sim_board_new(0, 0, 0) == ffi.NULL


def test_bad_arguments_raise_value_error_before_c() -> None:
    with SimBoard(2, 1) as b:
        for call in (
            lambda: b.hook(3, True),
            lambda: b.hook(-1, True),
            lambda: b.ring_station(0, True),  # a trunk
            lambda: b.script(2, [Ring()]),  # trunk op on a station
            lambda: b.script(2, [Hangup()]),
            lambda: b.script(0, [OffHook()]),  # station op on a trunk
            lambda: b.script(0, [WaitNudge(max_ms=10, timeout_goto=2)]),
            lambda: b.script(0, ["ring"]),
            lambda: b.exchange(np.zeros((3, 160), np.float32)),
            lambda: b.exchange(np.zeros((2, 160), np.int16)),
            lambda: b.exchange(np.zeros((3, 0), np.int16)),
            lambda: b.exchange_into(np.zeros((3, 16), np.int16), np.zeros((3, 8), np.int16)),
            lambda: b.exchange_into(np.zeros((3, 16), np.int16), np.zeros((3, 32), np.int16)[:, ::2]),
        ):
            with pytest.raises(ValueError):
                call()
        assert b.time_samples == 0


@pytest.mark.parametrize(
    "make",
    [
        lambda: Ring(on_ms=0),
        lambda: Ring(off_ms=-1),
        lambda: Ring(cid_samples=np.zeros(10, np.int16)),  # CID without a mode
        lambda: Ring(cid_samples=np.zeros(10, np.float64), cid_mode=CidMode.AFTER_FIRST_RING),
        lambda: Ring(cid_mode=7),
        lambda: Tone(f1_hz=0.0, on_ms=10, total_ms=10),
        lambda: Tone(f1_hz=4000.0, on_ms=10, total_ms=10),
        lambda: Tone(f1_hz=1000.0, level_dbm0=float("nan"), on_ms=10, total_ms=10),
        lambda: Tone(f1_hz=1000.0, on_ms=1.5, total_ms=10),
        lambda: Silence(ms=-5),
        lambda: Silence(ms=2**31),
        lambda: Play(samples=np.zeros((2, 2), np.int16)),
        lambda: dtmf_ops("12x"),
    ],
)
def test_ops_check_their_fields(make: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        make()


def test_ops_copy_their_samples() -> None:
    samples = np.arange(100, dtype=np.int16)
    op = Play(samples=samples)
    samples[:] = 0
    assert op.samples[5] == 5 and not op.samples.flags.writeable
    with SimBoard(1, 0) as b:
        b.script(0, [op, Mark(mark_id=1)])
        out = b.exchange(np.zeros((1, 120), np.int16))
        np.testing.assert_array_equal(out[0, :100], np.arange(100))


def test_exchange_into_writes_the_callers_buffer_and_exchange_accepts_views() -> None:
    with SimBoard(2, 0) as b:
        b.script(1, [Tone(f1_hz=1000.0, on_ms=100, total_ms=100)])
        out = np.full((2, 160), 7, np.int16)
        b.exchange_into(np.zeros((2, 160), np.int16), out)
        assert not out[0].any() and out[1].any()
        strided = np.zeros((2, 320), np.int16)[:, ::2]  # exchange() copies a view if it must
        assert b.exchange(strided).shape == (2, 160)
        assert b.time_samples == 320


def test_empty_script_stops_the_running_one_without_an_event() -> None:
    with SimBoard(1, 0) as b:
        b.script(0, [Ring()])
        b.exchange(np.zeros((1, 160), np.int16))
        b.script(0, [])
        assert not b.state(0).script_running and not b.state(0).ringing
        b.poll()
        b.exchange(np.zeros((1, 80000), np.int16))
        assert b.poll() == []


def test_station_ring_on_an_off_hook_phone_is_a_state_error() -> None:
    with SimBoard(0, 1) as b:
        b.hook(0, True)
        with pytest.raises(PortStateError, match="sim_station_ring on port 0"):
            b.ring_station(0, True)
        b.ring_station(0, False)  # stopping is always fine


def test_close_frees_and_later_calls_raise() -> None:
    b = SimBoard(1, 1)
    with b:
        assert not b.closed and b.n_ports == 2 and b.is_station(1) and not b.is_station(0)
    assert b.closed
    b.close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        b.exchange(np.zeros((2, 160), np.int16))
    with pytest.raises(ValueError, match="closed"):
        b.poll()


def test_board_arguments_are_checked() -> None:
    for args, kw in (((0, 0), {}), ((-1, 2), {}), ((1, 0), {"seed": -1}), ((1, 0), {"seed": 2**64})):
        with pytest.raises(ValueError):
            SimBoard(*args, **kw)
