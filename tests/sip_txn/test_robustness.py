"""Bad input never escapes the core as an undocumented exception: mutated datagrams are
answered 400 or dropped; a request whose Record-Route does not parse gets 400."""

from __future__ import annotations

import random

from hypothesis import given, settings, strategies as st

from pycti.sip.message import SipResponse, make_request
from pycti.sip.session_agent import UserAgent
from pycti.sip.session_events import UaConfig
from pycti.sip.timers import Destination
from pycti.sip.transaction_table import Transmit
from pycti.sip.uri import parse_uri

SRC = Destination("10.0.0.9", 5060)


def invite_bytes(record_route: str = "<sip:p1.example.com;lr>", branch: str = "fuzz") -> bytes:
    return make_request("INVITE", parse_uri("sip:bob@10.0.0.2"),
                        via=f"SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bK{branch};rport",
                        from_="<sip:eve@10.0.0.9>;tag=e1", to="<sip:bob@10.0.0.2>",
                        call_id="f@10.0.0.9", cseq=1, contact="<sip:eve@10.0.0.9>",
                        extra=(("Record-Route", record_route), ("Supported", "100rel")),
                        body=b"v=0\r\n", content_type="application/sdp").to_bytes()


def test_unparseable_record_route_is_answered_400() -> None:
    ua = UserAgent(UaConfig(host="10.0.0.2"), rng=random.Random(1))
    ua.receive(invite_bytes("<sip:bad host>"), SRC, 0.0)
    out = ua.drain()
    assert [type(o) for o in out] == [Transmit]  # no IncomingInvite
    (resp,) = [o.message for o in out if isinstance(o, Transmit)]
    assert isinstance(resp, SipResponse) and resp.status == 400
    assert "Record-Route" in resp.reason
    ua.receive(invite_bytes(branch="two").replace(b"Contact: <sip:eve@10.0.0.9>", b"Contact: <tel:+1234>"),
               SRC, 1.0)
    (resp,) = [o.message for o in ua.drain() if isinstance(o, Transmit)]
    assert isinstance(resp, SipResponse) and resp.status == 400 and "tel:" in resp.reason


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_mutated_datagrams_never_raise(data: st.DataObject) -> None:
    ua = UserAgent(UaConfig(host="10.0.0.2"), rng=random.Random(2))
    raw = bytearray(invite_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.sampled_from(b" ;:<>@,=\"\r\nxX0\x00"))
    ua.receive(bytes(raw), SRC, 0.0)
    out = ua.drain()
    for item in out:
        if isinstance(item, Transmit):
            item.data  # every answer serializes
    for event in [o for o in out if not isinstance(o, Transmit)]:
        sid = getattr(event, "session_id", None)
        if sid is not None:
            ua.ring(sid, 0.1)
            ua.answer(sid, 0.2, sdp=b"v=0\r\n")
            ua.drain()
    ua.on_timer(100.0)
    ua.drain()


@settings(max_examples=200, deadline=None)
@given(data=st.data(), status=st.sampled_from([180, 183, 200, 486]))
def test_mutated_responses_never_raise(data: st.DataObject, status: int) -> None:
    from pycti.sip.message import SipRequest, make_response
    ua = UserAgent(UaConfig(host="10.0.0.1"), rng=random.Random(3))
    ua.invite("sip:bob@10.0.0.2", 0.0, sdp=b"v=0\r\n")
    (sent,) = [o.message for o in ua.drain() if isinstance(o, Transmit)]
    assert isinstance(sent, SipRequest)
    resp = make_response(sent, status, to_tag="b1", extra=(
        ("Contact", "<sip:bob@10.0.0.2>"), ("Record-Route", "<sip:p.example.com;lr>"),
        ("Require", "100rel"), ("RSeq", "7"), ("Session-Expires", "300;refresher=uac")))
    raw = bytearray(resp.to_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.sampled_from(b" ;:<>@,=\"\r\nxX0\x00"))
    ua.receive(bytes(raw), Destination("10.0.0.2", 5060), 0.1)
    ua.drain()
    ua.on_timer(1000.0)
    ua.drain()
