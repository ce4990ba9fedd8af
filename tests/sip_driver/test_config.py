"""SIP driver configuration: bad values raise SipDriverConfigError naming them; ports and
names come out as configured; requests on the wrong kind of port or state are refused."""

from __future__ import annotations

import pytest

from pycti.drivers.base import Driver, PortKind, ReleaseCause, RequestRefused
from pycti.drivers.sip import (
    SipDriver, SipDriverConfig, SipDriverConfigError, SipPhoneConfig, SipTrunkConfig,
)
from pycti.drivers.sip.calls import cause_of_status, status_of_cause
from pycti.drivers.sip.config import SipDriverClosedError


@pytest.mark.parametrize("make, word", [
    (lambda: SipTrunkConfig(name="a b", host="127.0.0.1"), "a b"),
    (lambda: SipTrunkConfig(name="t", host="carrier.example"), "carrier.example"),
    (lambda: SipTrunkConfig(name="t", host="127.0.0.1", port=70000), "70000"),
    (lambda: SipTrunkConfig(name="t", host="127.0.0.1", channels=0), "channels=0"),
    (lambda: SipTrunkConfig(name="t", host="127.0.0.1", channels=10_001), "channels=10001"),
    (lambda: SipTrunkConfig(name="t", host="127.0.0.1", username="u"), "'u'"),
    (lambda: SipTrunkConfig(name="t", host="127.0.0.1", ip_auth=("10.0.0.300",)), "10.0.0.300"),
    (lambda: SipPhoneConfig(extension="80 01", password="x"), "80 01"),
    (lambda: SipDriverConfig(trunks=()), "at least one"),
    (lambda: SipDriverConfig(listen_host="::g", trunks=()), "::g"),
    (lambda: SipDriverConfig(phones=(SipPhoneConfig(extension="1", password="p"),) * 2), "['1']"),
    (lambda: SipDriverConfig(phones=(SipPhoneConfig(extension="1", password="p"),),
                             digest_algorithms=("SHA-1",)), "SHA-1"),
    (lambda: SipTrunkConfig(name="t", host="127.0.0.1", register_expires_s=0), "register_expires_s=0"),
    (lambda: SipTrunkConfig(name="t", host="127.0.0.1", register_retry_base_s=-1.0), "register_retry_base_s=-1.0"),
    (lambda: SipTrunkConfig(name="t", host="127.0.0.1", keepalive_s=0.5), "keepalive_s=0.5"),
    (lambda: SipTrunkConfig(name="t", host="127.0.0.1", transport="sctp"), "'sctp'"),
    (lambda: SipDriverConfig(trunks=(SipTrunkConfig(name="t", host="127.0.0.1"),), t1_s=0.0), "t1_s=0.0"),
])
def test_bad_config_names_the_value(make, word) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SipDriverConfigError) as info:
        make()
    assert word in str(info.value)
    assert isinstance(info.value, ValueError)


def test_a_trunk_takes_as_many_channels_as_a_center_file_allows() -> None:
    assert SipTrunkConfig(name="t", host="127.0.0.1", channels=10_000).channels == 10_000


def test_ports_and_refusals_before_open() -> None:
    sip = SipDriver(SipDriverConfig(
        trunks=(SipTrunkConfig(name="pstn", host="127.0.0.1", channels=2),),
        phones=(SipPhoneConfig(extension="8001", password="pw"),)))
    assert [(p.port, p.kind, p.name, p.group, p.has_dsp) for p in sip.ports()] == [
        (0, PortKind.TRUNK, "pstn-1", "pstn", False), (1, PortKind.TRUNK, "pstn-2", "pstn", False),
        (2, PortKind.STATION, "8001", None, False)]
    assert sip.capacity() == 3
    assert isinstance(sip, Driver)  # the protocol of docs/drivers.md
    with pytest.raises(SipDriverClosedError):
        sip.sip_port
    with pytest.raises(RequestRefused, match="not a number"):
        sip.dial(0, "12a")
    with pytest.raises(RequestRefused, match="station, not a trunk"):
        sip.dial(2, "123")
    with pytest.raises(RequestRefused, match="not a station"):
        sip.ring(0)
    with pytest.raises(RequestRefused, match="nothing to answer"):
        sip.answer(0)
    with pytest.raises(RequestRefused, match="no SIP port 3"):
        sip.release(3)
    sip.release(1)  # an idle port: nothing to do
    assert sip.send_digits(0, "1") is False


def test_status_and_cause_tables() -> None:
    assert cause_of_status(486) is ReleaseCause.BUSY
    assert cause_of_status(404) is ReleaseCause.UNREACHABLE
    assert cause_of_status(480) is ReleaseCause.NO_ANSWER
    assert cause_of_status(603) is ReleaseCause.REJECTED
    assert cause_of_status(599) is ReleaseCause.UNREACHABLE
    assert cause_of_status(408, transport_failed=True) is ReleaseCause.NETWORK_FAILURE
    assert status_of_cause(ReleaseCause.BUSY) == 486
    assert {status_of_cause(c) for c in ReleaseCause} <= set(range(400, 700))
