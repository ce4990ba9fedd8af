"""Bad arguments are ValueErrors raised before anything changes; C failures are DriverErrors
of a typed class that name the call and the channel."""

from __future__ import annotations

import errno
import random
import socket

import numpy as np
import pytest

from pycti.drivers.rtppump import (
    ChannelClosedError, ChannelInUseError, NoRemoteError, RtpPump, RtpPumpArgumentError, RtpPumpConfig,
    RtpPumpError, RtpSocketError,
)
from pycti.errors import DriverError, PyctiError


@pytest.mark.parametrize("kwargs", [
    {"jitter_depth_ms": 30}, {"jitter_max_ms": 0}, {"jitter_depth_ms": 400, "jitter_max_ms": 300},
    {"jitter_max_ms": 20 * 65}, {"conceal": "interpolate"}, {"side_capacity": 0}, {"recv_budget": 0},
    {"min_sequential": -1},
])
def test_bad_configuration_is_a_value_error_naming_the_value(kwargs: dict[str, object]) -> None:
    with pytest.raises(RtpPumpArgumentError) as info:
        RtpPumpConfig(**kwargs)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError) and isinstance(info.value, PyctiError)
    assert str(next(iter(kwargs.values()))) in str(info.value)


def test_bad_arguments_raise_value_errors_and_change_nothing() -> None:
    with RtpPump(2) as pump:
        with pytest.raises(RtpPumpArgumentError, match="channel 2"):
            pump.open(2)
        with pytest.raises(RtpPumpArgumentError, match="localhost"):
            pump.open(0, "localhost")  # numeric addresses only: no resolver on the media path
        with pytest.raises(RtpPumpArgumentError, match="70000"):
            pump.open(0, port=70000)
        assert not pump.is_open(0)
        port = pump.open(0)
        with pytest.raises(RtpPumpArgumentError, match="IPv6"):
            pump.set_remote(0, ("::1", 5004))
        with pytest.raises(RtpPumpArgumentError, match="200"):
            pump.set_payload_types(0, pcmu=(0, 200))
        with pytest.raises(RtpPumpArgumentError, match="ssrc"):
            pump.set_send(0, ssrc=-1, sequence=0, timestamp=0)
        with pytest.raises(RtpPumpArgumentError, match=r"\(2, 160\)"):
            pump.send(np.zeros((2, 80), dtype=np.int16))
        with pytest.raises(RtpPumpArgumentError, match="float64"):
            pump.send(np.zeros((2, 160)))
        with pytest.raises(RtpPumpArgumentError, match="mask"):
            pump.send(np.zeros((2, 160), dtype=np.int16), np.ones(3, dtype=bool))
        # the failed set_payload_types left PT 0 playing as mu-law
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
            for i in range(4):
                tx.sendto(bytes([0x80, 0, 0, i]) + (160 * i).to_bytes(4, "big") + bytes(4) + bytes(160),
                          ("127.0.0.1", port))
            for _ in range(100):
                pump.receive()
                if pump.stats().audio[0] == 3:
                    break
        assert pump.stats().audio[0] == 3 and pump.stats().unknown_pt[0] == 0


def test_state_errors_are_typed_driver_errors_naming_the_channel() -> None:
    with RtpPump(2) as pump:
        with pytest.raises(ChannelClosedError, match="channel 1") as closed:
            pump.send_rtp(1, 101, b"\x00" * 4, 0)
        assert isinstance(closed.value, DriverError) and closed.value.channel == 1
        pump.open(1)
        with pytest.raises(ChannelInUseError, match="channel 1"):
            pump.open(1)
        with pytest.raises(NoRemoteError, match="send_raw on channel 1"):
            pump.send_raw(1, b"\x80\xc9\x00\x01" + bytes(4))
        pump.close(1)
        with pytest.raises(ChannelClosedError):
            pump.close(1)


def test_a_port_in_use_is_a_socket_error_with_its_errno() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken, RtpPump(1) as pump:
        taken.bind(("127.0.0.1", 0))
        with pytest.raises(RtpSocketError, match="channel 0") as info:
            pump.open(0, port=taken.getsockname()[1])
        assert info.value.errno == errno.EADDRINUSE
        assert not pump.is_open(0)


def test_send_errors_are_counted_per_channel_and_do_not_stop_the_batch() -> None:
    with RtpPump(2) as pump:
        for ch in range(2):
            pump.open(ch)
            pump.randomize_send(ch, random.Random(ch))
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        with sink:
            sink.bind(("127.0.0.1", 0))
            pump.set_remote(0, ("0.0.0.0", 0))  # port 0: the kernel refuses the datagram
            pump.set_remote(1, sink.getsockname())
            assert pump.send(np.zeros((2, 160), dtype=np.int16)) == 1
            assert len(sink.recv(2048)) == 172
        s = pump.stats()
        assert s.send_dropped.tolist() == [1, 0] and s.last_errno[0] != 0


def test_a_freed_pump_refuses_calls() -> None:
    pump = RtpPump(1)
    pump.free()
    with pytest.raises(RtpPumpError, match="freed"):
        pump.receive()
