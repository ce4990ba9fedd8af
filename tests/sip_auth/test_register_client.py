"""The REGISTER client state machine, alone and against a registrar built from DigestServer and
BindingStore (RFC 3261 §10.2/§10.3/§22, RFC 5626 §4.5)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pytest

from pycti.sip.digest import (
    DigestAlgorithm,
    DigestClient,
    DigestServer,
    DigestServerConfig,
    Password,
    Secret,
    UserCredentials,
    VerifyStatus,
    parse_credentials,
)
from pycti.sip.register_client import (
    TRANSITIONS,
    CancelTimer,
    RegInput,
    RegisterAction,
    RegisterClient,
    RegisterClientError,
    RegisterConfig,
    Registered,
    RegistrationFailed,
    RegState,
    SendRegister,
    SetTimer,
    TimerKind,
    Unregistered,
    refresh_delay_s,
    retry_delay_s,
)
from pycti.sip.registrar import BindingStore, RegistrarPolicy, RegisterStatus

REALM = "trunk.example.com"
URI = "sip:trunk.example.com"
AOR = "sip:4420@trunk.example.com"
CONTACT = "<sip:4420@192.0.2.10:5060>"


@dataclass
class Registrar:
    """A registrar made of pycti's own server pieces; answers one REGISTER at a time."""

    password: str = "pa55word"
    min_expires_s: int = 60
    nonce_lifetime_s: float = 300.0
    always_fail: int | None = None  # answer every REGISTER with this status
    digest: DigestServer = field(init=False)
    store: BindingStore = field(init=False)
    verdicts: list[VerifyStatus] = field(default_factory=list)

    def __post_init__(self) -> None:
        cfg = DigestServerConfig(REALM, (DigestAlgorithm.SHA_256, DigestAlgorithm.MD5),
                                 nonce_lifetime_s=self.nonce_lifetime_s)
        self.digest = DigestServer(cfg, b"registrar secret for tests 0001")
        self.store = BindingStore(RegistrarPolicy(min_expires_s=self.min_expires_s, max_expires_s=3600))

    def _secret(self, user: str, realm: str, alg: DigestAlgorithm) -> Secret | None:
        return Password(self.password) if user == "4420" else None

    def answer(self, req: SendRegister, now_s: float) -> dict[str, object]:
        if self.always_fail is not None:
            return {"status_code": self.always_fail, "retry_after_s": None}
        auth = [h.value for h in req.authorization if h.name == "Authorization"]
        if not auth:
            return {"status_code": 401, "challenge_values": self.digest.challenge_values(now_s)}
        res = self.digest.verify(auth[0], method="REGISTER", uri=URI, now_s=now_s, lookup=self._secret)
        self.verdicts.append(res.status)
        if not res.ok:
            stale = res.status is VerifyStatus.STALE_NONCE
            return {"status_code": 401, "challenge_values": self.digest.challenge_values(now_s, stale=stale)}
        r = self.store.register(aor=AOR, contacts=[(CONTACT, None, 1.0)], call_id=req.call_id, cseq=req.cseq,
                                now_s=now_s, expires_s=req.expires_s)
        if r.status is RegisterStatus.INTERVAL_TOO_BRIEF:
            return {"status_code": 423, "min_expires_s": r.min_expires_s}
        assert r.ok, r.detail
        mine = [b for b in r.bindings if b.contact_uri == CONTACT]
        return {"status_code": 200, "granted_expires_s": mine[0].expires_in_s(now_s) if mine else 0}


@dataclass
class Harness:
    client: RegisterClient
    registrar: Registrar
    sent: list[SendRegister] = field(default_factory=list)
    events: list[RegisterAction] = field(default_factory=list)
    timer: SetTimer | None = None

    def run(self, actions: tuple[RegisterAction, ...], now_s: float) -> None:
        """Carry out actions, answering every REGISTER at once (bounded)."""
        queue = list(actions)
        for _ in range(50):
            if not queue:
                return
            act = queue.pop(0)
            if isinstance(act, SendRegister):
                self.sent.append(act)
                reply = self.registrar.answer(act, now_s)
                status = reply.pop("status_code")
                assert isinstance(status, int)
                queue.extend(self.client.on_response(status, now_s, cseq=act.cseq, **reply))  # type: ignore[arg-type]
            elif isinstance(act, SetTimer):
                self.timer = act
            elif isinstance(act, CancelTimer):
                self.timer = None
            else:
                self.events.append(act)
        raise AssertionError("the client did not settle")

    def fire(self) -> float:
        assert self.timer is not None
        t = self.timer
        self.timer = None
        self.run(self.client.on_timer(t.kind, t.at_s), t.at_s)
        return t.at_s


def make(password: str = "pa55word", expires_s: int = 600, seed: int = 5, **registrar: int) -> Harness:
    digest = DigestClient(lambda realm: UserCredentials("4420", password) if realm == REALM else None,
                          random.Random(seed).randbytes)
    client = RegisterClient(RegisterConfig(URI, "a84b4c76e66710@pc33", expires_s=expires_s), digest,
                            random.Random(seed).random)
    return Harness(client, Registrar(**registrar))  # type: ignore[arg-type]


def test_register_with_digest_then_refresh_with_the_same_call_id() -> None:
    h = make()
    h.run(h.client.start(0.0), 0.0)
    assert h.client.state is RegState.REGISTERED
    assert [s.cseq for s in h.sent] == [1, 2] and {s.call_id for s in h.sent} == {"a84b4c76e66710@pc33"}
    assert h.sent[0].authorization == () and parse_credentials(h.sent[1].authorization[0].value).nc == 1
    assert h.events == [Registered(600, 600.0, 540.0)]
    assert h.timer == SetTimer(TimerKind.REFRESH, 540.0)
    assert [b.contact_uri for b in h.registrar.store.lookup(AOR, 1.0)] == [CONTACT]
    # The refresh comes after the 300 s nonce lifetime: stale, answered without a new lookup.
    h.fire()
    assert h.client.state is RegState.REGISTERED
    assert [s.cseq for s in h.sent] == [1, 2, 3, 4]
    assert h.registrar.verdicts == [VerifyStatus.OK, VerifyStatus.STALE_NONCE, VerifyStatus.OK]
    assert h.events[-1] == Registered(600, 1140.0, 1080.0)


def test_refresh_within_the_nonce_lifetime_carries_credentials_at_once() -> None:
    h = make(nonce_lifetime_s=3600)
    h.run(h.client.start(0.0), 0.0)
    h.fire()
    assert [len(s.authorization) for s in h.sent] == [0, 1, 1]
    assert [parse_credentials(s.authorization[0].value).nc for s in h.sent[1:]] == [1, 2]
    assert h.registrar.verdicts == [VerifyStatus.OK, VerifyStatus.OK]
    assert h.client.state is RegState.REGISTERED and h.events[-1] == Registered(600, 1140.0, 1080.0)


def test_423_raises_expires_to_min_expires() -> None:
    h = make(expires_s=30, min_expires_s=120)
    h.run(h.client.start(0.0), 0.0)
    assert [(s.cseq, s.expires_s) for s in h.sent] == [(1, 30), (2, 30), (3, 120)]
    assert h.client.state is RegState.REGISTERED and h.client.expires_s == 120
    assert h.events == [Registered(120, 120.0, 88.0)]


def test_423_without_a_usable_min_expires_fails() -> None:
    digest = DigestClient(lambda realm: None, random.Random(1).randbytes)
    c = RegisterClient(RegisterConfig(URI, "x", expires_s=600, max_expires_s=900), digest, lambda: 0.0)
    (send,) = c.start(0.0)
    assert isinstance(send, SendRegister)
    (fail, timer) = c.on_response(423, 1.0, cseq=send.cseq, min_expires_s=3600)
    assert isinstance(fail, RegistrationFailed) and "Min-Expires 3600" in fail.detail
    assert c.state is RegState.FAILED and isinstance(timer, SetTimer)


def test_wrong_password_fails_and_retries_with_backoff() -> None:
    h = make(password="wrong")
    h.run(h.client.start(0.0), 0.0)
    assert h.client.state is RegState.FAILED
    (ev,) = h.events
    assert isinstance(ev, RegistrationFailed) and ev.status_code == 401 and "rejected" in ev.detail
    assert ev.registered_until_s is None
    assert h.timer is not None and h.timer.kind is TimerKind.RETRY and 30.0 <= h.timer.at_s < 60.0
    assert h.registrar.verdicts == [VerifyStatus.WRONG_PASSWORD]
    h.fire()  # the retry asks the lookup again (and fails again, later)
    assert h.client.failures == 2 and h.registrar.verdicts[-1] is VerifyStatus.WRONG_PASSWORD


def test_backoff_grows_to_the_cap_and_respects_retry_after() -> None:
    h = make(always_fail=503)
    h.run(h.client.start(0.0), 0.0)
    waits = []
    for n in range(1, 9):
        assert h.timer is not None
        at = h.timer.at_s
        ev = h.events[-1]
        assert isinstance(ev, RegistrationFailed) and ev.retry_at_s == at
        upper = min(1800.0, 30.0 * 2**n)
        start = h.sent[-1]
        waits.append((at, upper))
        h.fire()
        assert h.sent[-1].cseq == start.cseq + 1
    prev = 0.0
    for at, upper in waits:
        assert 0.5 * upper <= at - prev < upper
        prev = at
    c = make().client
    (send,) = c.start(0.0)
    assert isinstance(send, SendRegister)
    fail, timer = c.on_response(503, 10.0, cseq=send.cseq, retry_after_s=600.0)
    assert isinstance(timer, SetTimer) and timer.at_s == 610.0


def test_refresh_failure_reports_the_registration_still_held() -> None:
    h = make()
    h.run(h.client.start(0.0), 0.0)
    h.registrar.always_fail = 500
    h.fire()
    ev = h.events[-1]
    assert isinstance(ev, RegistrationFailed) and ev.registered_until_s == 600.0 and ev.status_code == 500
    h.registrar.always_fail = None
    h.fire()
    assert h.client.state is RegState.REGISTERED and h.client.failures == 0


def test_unregister_removes_the_binding() -> None:
    h = make()
    h.run(h.client.start(0.0), 0.0)
    h.run(h.client.stop(100.0), 100.0)
    assert h.timer is None  # the refresh timer was cancelled
    assert h.sent[-1].expires_s == 0 and h.events[-1] == Unregistered(200)
    assert h.client.state is RegState.UNREGISTERED and h.registrar.store.lookup(AOR, 100.0) == ()
    # A late refresh timer does nothing; start registers again from scratch (no stored nonce).
    assert h.client.on_timer(TimerKind.REFRESH, 540.0) == ()
    (again,) = h.client.start(200.0)
    assert isinstance(again, SendRegister) and again.authorization == ()


def test_stray_responses_are_ignored() -> None:
    c = make().client
    (send,) = c.start(0.0)
    assert isinstance(send, SendRegister)
    assert c.on_response(100, 0.1, cseq=send.cseq) == ()
    assert c.on_response(200, 0.2, cseq=send.cseq + 7, granted_expires_s=600) == ()
    assert c.start(0.3) == ()  # already registering
    registered = c.on_response(200, 0.5, cseq=send.cseq, granted_expires_s=None)  # no expiry: what was asked
    assert registered[0] == Registered(600, 600.5, 540.5)
    assert c.on_response(200, 0.6, cseq=send.cseq, granted_expires_s=600) == ()  # a retransmitted 200
    with pytest.raises(RegisterClientError, match="700"):
        c.on_response(700, 1.0, cseq=send.cseq)


def test_a_2xx_without_our_binding_is_a_failure() -> None:
    c = make().client
    (send,) = c.start(0.0)
    assert isinstance(send, SendRegister)
    fail, _ = c.on_response(200, 1.0, cseq=send.cseq, granted_expires_s=0)
    assert isinstance(fail, RegistrationFailed) and "no binding" in fail.detail


def test_refresh_and_retry_formulas() -> None:
    assert [refresh_delay_s(e) for e in (3600, 600, 120, 64, 60, 10)] == [3240.0, 540.0, 88.0, 32.0, 30.0, 5.0]
    assert retry_delay_s(3, 0.0) == 120.0 and retry_delay_s(3, 0.999999) == pytest.approx(240.0, rel=1e-5)
    assert retry_delay_s(20, 0.0) == 900.0
    with pytest.raises(RegisterClientError):
        refresh_delay_s(0)
    with pytest.raises(RegisterClientError):
        retry_delay_s(0, 0.5)
    with pytest.raises(RegisterClientError, match="expires_s"):
        RegisterConfig(URI, "c", expires_s=0)


def test_transition_table_shape() -> None:
    """Every state but UNREGISTERED and REGISTERED awaits a response or a timer; a REGISTER
    outstanding (registering, refreshing) takes every response input."""
    responses = {RegInput.OK, RegInput.CHALLENGE, RegInput.AUTH_FAILED, RegInput.TOO_BRIEF, RegInput.FAILURE}
    for state in (RegState.REGISTERING, RegState.REFRESHING, RegState.UNREGISTERING):
        assert {i for (s, i) in TRANSITIONS if s is state} >= responses
    for state in (RegState.UNREGISTERED, RegState.REGISTERED, RegState.FAILED):
        assert not {i for (s, i) in TRANSITIONS if s is state} & responses
    assert TRANSITIONS[(RegState.REGISTERED, RegInput.REFRESH_TIMER)][0] is RegState.REFRESHING
    assert TRANSITIONS[(RegState.FAILED, RegInput.RETRY_TIMER)][0] is RegState.REGISTERING


def test_unregister_answers_a_stale_challenge() -> None:
    h = make()
    h.run(h.client.start(0.0), 0.0)
    h.run(h.client.stop(400.0), 400.0)  # the nonce from t=0 is past its 300 s lifetime
    assert [(s.cseq, s.expires_s) for s in h.sent[2:]] == [(3, 0), (4, 0)]
    assert h.registrar.verdicts[-2:] == [VerifyStatus.STALE_NONCE, VerifyStatus.OK]
    assert h.events[-1] == Unregistered(200) and h.registrar.store.lookup(AOR, 400.0) == ()


def test_a_407_from_an_outbound_proxy_is_answered_with_proxy_authorization() -> None:
    proxy = DigestServer(DigestServerConfig("proxy.example.com", (DigestAlgorithm.SHA_256,)), bytes(range(16)))
    digest = DigestClient(lambda realm: UserCredentials("4420", "pa55word"), random.Random(2).randbytes)
    c = RegisterClient(RegisterConfig(URI, "cid"), digest, random.Random(2).random)
    (first,) = c.start(0.0)
    assert isinstance(first, SendRegister)
    (second,) = c.on_response(407, 0.1, cseq=first.cseq, challenge_values=proxy.challenge_values(0.1))
    assert isinstance(second, SendRegister) and second.cseq == first.cseq + 1 and c.state is RegState.REGISTERING
    (hdr,) = second.authorization
    assert hdr.name == "Proxy-Authorization"
    assert proxy.verify(hdr.value, method="REGISTER", uri=URI, now_s=0.2,
                        lookup=lambda u, r, a: Password("pa55word")).ok
