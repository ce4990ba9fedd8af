"""The phones' registrar and authenticator (sans-I/O, virtual time): digest challenge and
credentials (pycti's RFC 7616 client on the phone's side), bindings with their expiry, 423
for too brief an interval, de-registration, and INVITE authentication: 401 without
credentials, 403 for a wrong password or a user who is not the From."""

from __future__ import annotations

import random

from pycti.sip.digest import DigestClient, UserCredentials
from pycti.sip.message import SipRequest, parse_message
from pycti.drivers.sip.registrar_service import PhoneRegistrar
from pycti.sip.timers import Destination


def request(method: str, user: str, cseq: int, *, contact: str | None = None, expires: int | None = None,
            auth: str | None = None, uri: str = "sip:pbx.example") -> SipRequest:
    lines = [f"{method} {uri} SIP/2.0", "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK" + f"{method}{cseq}",
             f"From: <sip:{user}@pbx.example>;tag=f{cseq}", f"To: <sip:{uri[4:] if method == 'INVITE' else user + '@pbx.example'}>",
             f"Call-ID: {method}-call@127.0.0.1", f"CSeq: {cseq} {method}", "Max-Forwards: 70"]
    if contact is not None:
        lines.append(f"Contact: {contact}")
    if expires is not None:
        lines.append(f"Expires: {expires}")
    if auth is not None:
        lines.append(f"Authorization: {auth}")
    msg = parse_message(("\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n").encode())
    assert isinstance(msg, SipRequest)
    return msg


_clients: dict[tuple[str, str, tuple[str, ...]], DigestClient] = {}


def answer(challenge_values: tuple[str, ...], user: str, password: str, method: str, uri: str) -> str:
    """The Authorization of a phone (one digest client per user and password, so its nonce
    count goes up as RFC 7616 §3.4 asks; a repeated count is a replay)."""
    client = _clients.get((user, password, challenge_values))
    if client is None:
        client = _clients[(user, password, challenge_values)] = DigestClient(lambda realm: UserCredentials(user, password),
                                                           random.Random(len(_clients)).randbytes)
        assert client.on_challenge(401, challenge_values).retry
    (header,) = client.authorization(method, uri)
    return header.value


def test_register_bindings_expiry_and_removal() -> None:
    reg = PhoneRegistrar("pbx.example", {"8001": "pw1"}, random.Random(1))
    first = reg.register(request("REGISTER", "8001", 1, contact="<sip:8001@127.0.0.1:5070>", expires=120), 0.0)
    assert first.status == 401
    challenges = first.headers.get_all("WWW-Authenticate")
    assert [c.split("algorithm=")[1].split(",")[0] for c in challenges] == ["SHA-256", "MD5"]
    auth = answer(challenges, "8001", "pw1", "REGISTER", "sip:pbx.example")
    ok = reg.register(request("REGISTER", "8001", 2, contact="<sip:8001@127.0.0.1:5070>", expires=120, auth=auth), 1.0)
    assert ok.status == 200
    assert ok.headers.get("Contact") == "<sip:8001@127.0.0.1:5070>;expires=120"
    assert reg.contact("8001", 120.0) == ("sip:8001@127.0.0.1:5070", Destination("127.0.0.1", 5070, "UDP"))
    assert reg.contact("8001", 121.5) is None  # expired (RFC 3261 §10.2.1)
    brief = reg.register(request("REGISTER", "8001", 3, contact="<sip:8001@127.0.0.1:5070>", expires=10,
                                 auth=answer(challenges, "8001", "pw1", "REGISTER", "sip:pbx.example")), 2.0)
    assert brief.status == 423 and brief.headers.get("Min-Expires") == "60"


def test_register_refusals() -> None:
    reg = PhoneRegistrar("pbx.example", {"8001": "pw1", "8002": "pw2"}, random.Random(2))
    challenges = reg.register(request("REGISTER", "8001", 1, contact="<sip:8001@127.0.0.1:5070>"), 0.0) \
        .headers.get_all("WWW-Authenticate")
    wrong = answer(challenges, "8001", "nope", "REGISTER", "sip:pbx.example")
    assert reg.register(request("REGISTER", "8001", 2, contact="<sip:8001@127.0.0.1>", auth=wrong), 1.0).status == 403
    other = answer(challenges, "8002", "pw2", "REGISTER", "sip:pbx.example")  # 8002 registering 8001
    assert reg.register(request("REGISTER", "8001", 3, contact="<sip:8001@127.0.0.1>", auth=other), 1.0).status == 403
    assert reg.contact("8001", 1.0) is None
    assert reg.refused == {401: 1, 403: 2}


def test_invite_authentication() -> None:
    reg = PhoneRegistrar("pbx.example", {"8002": "pw2"}, random.Random(3))
    uri = "sip:8001@pbx.example"
    bare = reg.authenticate(request("INVITE", "8002", 1, uri=uri), 0.0, identity="From")
    assert bare.extension is None and bare.refusal is not None and bare.refusal.status == 401
    challenges = bare.refusal.headers.get_all("WWW-Authenticate")
    good = answer(challenges, "8002", "pw2", "INVITE", uri)
    done = reg.authenticate(request("INVITE", "8002", 2, uri=uri, auth=good), 1.0, identity="From")
    assert done.extension == "8002" and done.refusal is None
    bad = answer(challenges, "8002", "pw3", "INVITE", uri)
    refused = reg.authenticate(request("INVITE", "8002", 3, uri=uri, auth=bad), 1.0, identity="From")
    assert refused.refusal is not None and refused.refusal.status == 403
