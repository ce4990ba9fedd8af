"""Digest retries (RFC 3261 §22.2) for INVITE, BYE, REFER and REGISTER against a real
:class:`~pycti.sip.digest.DigestServer` standing in front of the peer (a proxy/registrar's
authentication step, RFC 3261 §22.3), for 401 and 407."""

from __future__ import annotations

import random

from pycti.sip.digest import (
    DigestAlgorithm, DigestClient, DigestServer, DigestServerConfig, Password, UserCredentials,
)
from pycti.sip.message import SipRequest, make_response, parse_message
from pycti.sip.registrar import BindingStore, ContactSpec
from pycti.sip.session_agent import UserAgent
from pycti.sip.session_events import (
    Answered, Ended, Failed, IncomingInvite, ReferAccepted, RequestCompleted, UaConfig,
)
from pycti.sip.timers import Destination

from tests.sip_txn.netsim import Network, Node
from tests.sip_txn.test_calls import ANSWER, OFFER

REALM = "pycti.test"


class AuthGate:
    """Challenges ``methods`` arriving at ``node`` until their credentials verify; answers
    REGISTER itself from a binding store when ``registrar``."""

    def __init__(self, net: Network, node: Node, *, methods: set[str], proxy: bool = False,
                 password: str = "secret", registrar: bool = False) -> None:
        self.net, self.node, self.methods, self.proxy = net, node, methods, proxy
        self.server = DigestServer(DigestServerConfig(REALM), b"0123456789abcdef-secret")
        self.password = password
        self.challenged: set[str] = set()
        self.store = BindingStore() if registrar else None
        self.passed: list[SipRequest] = []
        self._inner = node.ua.receive
        node.ua.receive = self.receive  # type: ignore[method-assign]

    def lookup(self, user: str, realm: str, alg: DigestAlgorithm) -> Password | None:
        return Password(self.password) if user == "alice" else None

    def receive(self, data: bytes, source: Destination, now_s: float) -> None:
        msg = parse_message(data)
        if not isinstance(msg, SipRequest):
            self._inner(data, source, now_s)
            return
        via = msg.top_via()
        branch = via.branch if via is not None else None
        if msg.method == "ACK" and branch in self.challenged:
            return  # the ACK of our 401/407
        if msg.method in self.methods:
            name = "Proxy-Authorization" if self.proxy else "Authorization"
            cred = msg.headers.get(name)
            ok = cred is not None and self.server.verify(
                cred, method=msg.method, uri=str(msg.uri), now_s=now_s, lookup=self.lookup,
                body=msg.body).ok
            if not ok:
                status = 407 if self.proxy else 401
                header = "Proxy-Authenticate" if self.proxy else "WWW-Authenticate"
                extra = tuple((header, v) for v in self.server.challenge_values(now_s))
                self.challenged.add(branch or "")
                self.net.inject(self.node, make_response(msg, status, to_tag="gate", extra=extra),
                                source)
                return
            self.passed.append(msg)
            if msg.method == "REGISTER" and self.store is not None:
                cseq = msg.cseq()
                assert cseq is not None and msg.call_id is not None
                result = self.store.register(
                    aor="sip:alice@" + REALM,
                    contacts=[ContactSpec(str(c.uri)) for c in msg.headers.contact()],
                    call_id=msg.call_id, cseq=cseq.seq, now_s=now_s,
                    expires_s=msg.headers.expires)
                self.net.inject(self.node, make_response(
                    msg, result.status.status_code, to_tag="reg",
                    extra=tuple(("Contact", f"<{b.contact_uri}>;expires={b.expires_in_s(now_s)}")
                                for b in result.bindings)), source)
                return
        self._inner(data, source, now_s)


def nodes(seed: int, password: str = "secret") -> tuple[Network, Node, Node]:
    net = Network(seed)
    digest = DigestClient(lambda realm: UserCredentials("alice", password),
                          random.Random(seed).randbytes)
    alice = UserAgent(UaConfig(host="10.0.0.1", user="alice"), rng=random.Random(seed),
                      digest=digest)
    a = net.add_ua("alice", alice)
    b = net.add("bob", "10.0.0.2", seed=seed + 1)
    b.react = lambda n, ev: n.ua.answer(ev.session_id, net.now_s, sdp=ANSWER) \
        if isinstance(ev, IncomingInvite) else None
    return net, a, b


def test_invite_bye_and_refer_are_retried_with_credentials() -> None:
    net, a, b = nodes(70)
    gate = AuthGate(net, b, methods={"INVITE", "BYE", "REFER"})
    sid = a.ua.invite("sip:bob@10.0.0.2", 0.0, sdp=OFFER)
    net.flush(a)
    net.run(3.0)
    assert len(a.of(Answered)) == 1
    invites = [s.message for s in net.sent("alice", "INVITE")]
    assert len(invites) == 2
    first, second = invites
    assert first.headers.get("Authorization") is None
    assert second.headers.get("Authorization", "").startswith("Digest ")
    assert second.call_id == first.call_id and second.from_() == first.from_()
    assert second.cseq().seq == first.cseq().seq + 1  # type: ignore[union-attr]
    assert second.top_via().branch != first.top_via().branch  # type: ignore[union-attr]
    assert [s.label for s in net.log[:3]] == ["INVITE", "401", "ACK"]
    ack_2xx = net.sent("alice", "ACK")[-1].message
    assert ack_2xx.headers.get("Authorization") == second.headers.get("Authorization")
    a.ua.refer(sid, "sip:carol@10.0.0.3", net.now_s)
    net.flush(a)
    net.run(6.0)
    assert [e.status for e in a.of(ReferAccepted)] == [202]  # type: ignore[attr-defined]
    a.ua.hangup(sid, net.now_s)
    net.flush(a)
    net.run(10.0)
    assert len(a.of(Ended)) == 1 and len(b.of(Ended)) == 1
    assert sorted(m.method for m in gate.passed) == ["BYE", "INVITE", "REFER"]
    byes = net.sent("alice", "BYE")
    assert len(byes) == 2 and byes[1].message.headers.get("Authorization")


def test_proxy_407_is_answered_with_proxy_authorization() -> None:
    net, a, b = nodes(71)
    AuthGate(net, b, methods={"INVITE"}, proxy=True)
    a.ua.invite("sip:bob@10.0.0.2", 0.0, sdp=OFFER)
    net.flush(a)
    net.run(3.0)
    assert len(a.of(Answered)) == 1
    assert net.sent("alice", "INVITE")[1].message.headers.get("Proxy-Authorization")


def test_wrong_password_ends_in_failed_401() -> None:
    net, a, b = nodes(72, password="wrong")
    AuthGate(net, b, methods={"INVITE"})
    a.ua.invite("sip:bob@10.0.0.2", 0.0, sdp=OFFER)
    net.flush(a)
    net.run(5.0)
    (failed,) = a.of(Failed)
    assert failed.status == 401  # type: ignore[attr-defined]
    assert len(net.sent("alice", "INVITE")) == 2  # the refused credentials are not resent
    assert b.of(IncomingInvite) == []


def test_register_through_send_request() -> None:
    net, a, b = nodes(73)
    gate = AuthGate(net, b, methods={"REGISTER"}, registrar=True)
    rid = a.ua.send_request("REGISTER", "sip:10.0.0.2", 0.0, extra=(("Expires", "600"),))
    net.flush(a)
    net.run(3.0)
    (done,) = a.of(RequestCompleted)
    assert done.request_id == rid and done.response.status == 200  # type: ignore[attr-defined]
    assert "expires=600" in (done.response.headers.get("Contact") or "")  # type: ignore[attr-defined]
    regs = [s.message for s in net.sent("alice", "REGISTER")]
    assert len(regs) == 2 and regs[0].call_id == regs[1].call_id
    assert gate.store is not None and len(gate.store.lookup("sip:alice@" + REALM, 3.0)) == 1
