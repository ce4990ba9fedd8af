"""DigestClient against DigestServer: the RFC 3261 §22 exchanges, stale nonces, replays and
the bound on challenge loops."""

from __future__ import annotations

import dataclasses
import random

import pytest

from pycti.sip.digest import (
    ChallengeOutcome,
    DigestAlgorithm,
    DigestClient,
    DigestError,
    DigestServer,
    DigestServerConfig,
    Password,
    Qop,
    Secret,
    StoredHa1,
    UserCredentials,
    VerifyStatus,
    format_challenge,
    parse_challenge,
    parse_credentials,
    password_ha1,
)

REALM = "pbx.example.net"
URI = "sip:pbx.example.net"
SECRET = bytes(range(32))
USERS = {"1001": "pa55word"}


class Lookup:
    """Credential lookup that counts how often the client asked."""

    def __init__(self, creds: dict[str, UserCredentials]) -> None:
        self.creds = creds
        self.calls = 0

    def __call__(self, realm: str) -> UserCredentials | None:
        self.calls += 1
        return self.creds.get(realm)


def secrets(username: str, realm: str, algorithm: DigestAlgorithm) -> Secret | None:
    pw = USERS.get(username)
    return None if pw is None else Password(pw)


def make_client(password: str = "pa55word", seed: int = 1, max_attempts_per_realm: int = 3) -> tuple[DigestClient, Lookup]:
    lookup = Lookup({REALM: UserCredentials("1001", password)})
    client = DigestClient(lookup, random.Random(seed).randbytes, max_attempts_per_realm=max_attempts_per_realm)
    return client, lookup


def make_server(*algorithms: DigestAlgorithm, qop: tuple[Qop, ...] = (Qop.AUTH,), nonce_lifetime_s: float = 300.0,
                max_tracked_nonces: int = 4096) -> DigestServer:
    cfg = DigestServerConfig(REALM, algorithms or (DigestAlgorithm.SHA_256, DigestAlgorithm.MD5), qop,
                             nonce_lifetime_s=nonce_lifetime_s, max_tracked_nonces=max_tracked_nonces)
    return DigestServer(cfg, SECRET)


@pytest.mark.parametrize("algorithm", list(DigestAlgorithm))
@pytest.mark.parametrize("qop", [Qop.AUTH, Qop.AUTH_INT, None])
def test_round_trip_every_algorithm_and_qop(algorithm: DigestAlgorithm, qop: Qop | None) -> None:
    server = make_server(algorithm, qop=() if qop is None else (qop,))
    client, _ = make_client()
    assert client.on_challenge(401, server.challenge_values(100.0)).retry
    body = b"v=0\r\n"
    (hdr,) = client.authorization("REGISTER", URI, body)
    assert hdr.name == "Authorization"
    result = server.verify(hdr.value, method="REGISTER", uri=URI, body=body, now_s=101.0, lookup=secrets)
    assert result.status is VerifyStatus.OK and result.username == "1001"
    if qop is Qop.AUTH_INT:  # the body is covered: a changed body fails
        (again,) = client.authorization("REGISTER", URI, body)
        bad = server.verify(again.value, method="REGISTER", uri=URI, body=b"v=1\r\n", now_s=101.0, lookup=secrets)
        assert bad.status is VerifyStatus.WRONG_PASSWORD


def test_client_takes_the_strongest_challenge() -> None:
    server = make_server(DigestAlgorithm.MD5, DigestAlgorithm.SHA_256)
    md5, sha = (parse_challenge(v) for v in server.challenge_values(0.0))
    strongest = format_challenge(dataclasses.replace(sha, algorithm_token="SHA-512-256"))
    client, _ = make_client()
    assert client.on_challenge(401, [format_challenge(md5), strongest, format_challenge(sha)]).retry
    (hdr,) = client.authorization("REGISTER", URI)
    assert parse_credentials(hdr.value).algorithm is DigestAlgorithm.SHA_512_256


def test_nonce_reuse_counts_nc_and_a_replay_is_caught() -> None:
    server = make_server()
    client, lookup = make_client()
    client.on_challenge(401, server.challenge_values(0.0))
    first = client.authorization("REGISTER", URI)[0].value
    second = client.authorization("REGISTER", URI)[0].value
    c1, c2 = parse_credentials(first), parse_credentials(second)
    assert (c1.nc, c2.nc) == (1, 2) and c1.nonce == c2.nonce and c1.cnonce != c2.cnonce
    assert server.verify(first, method="REGISTER", uri=URI, now_s=1.0, lookup=secrets).ok
    assert server.verify(second, method="REGISTER", uri=URI, now_s=2.0, lookup=secrets).ok
    replay = server.verify(first, method="REGISTER", uri=URI, now_s=3.0, lookup=secrets)
    assert replay.status is VerifyStatus.REPLAYED_NC
    assert lookup.calls == 1


def test_cnonces_come_from_the_injected_source() -> None:
    server = make_server()
    values = server.challenge_values(0.0)
    runs = []
    for _ in range(2):
        client, _ = make_client(seed=9)
        client.on_challenge(401, values)
        runs.append(client.authorization("REGISTER", URI)[0].value)
    assert runs[0] == runs[1]
    other, _ = make_client(seed=10)
    other.on_challenge(401, values)
    assert other.authorization("REGISTER", URI)[0].value != runs[0]


def test_stale_nonce_retries_without_asking_for_credentials_again() -> None:
    server = make_server(nonce_lifetime_s=30.0)
    client, lookup = make_client()
    client.on_challenge(401, server.challenge_values(0.0))
    assert server.verify(client.authorization("REGISTER", URI)[0].value, method="REGISTER", uri=URI, now_s=1.0,
                         lookup=secrets).ok
    client.accepted()
    late = server.verify(client.authorization("REGISTER", URI)[0].value, method="REGISTER", uri=URI, now_s=60.0,
                         lookup=secrets)
    assert late.status is VerifyStatus.STALE_NONCE
    again = server.challenge_values(60.0, stale=True)
    assert all(parse_challenge(v).stale for v in again)
    assert client.on_challenge(401, again).retry
    assert server.verify(client.authorization("REGISTER", URI)[0].value, method="REGISTER", uri=URI, now_s=61.0,
                         lookup=secrets).ok
    assert lookup.calls == 1


def test_wrong_password_is_reported_and_not_resent() -> None:
    server = make_server()
    client, lookup = make_client(password="guess")
    client.on_challenge(401, server.challenge_values(0.0))
    res = server.verify(client.authorization("REGISTER", URI)[0].value, method="REGISTER", uri=URI, now_s=1.0,
                        lookup=secrets)
    assert res.status is VerifyStatus.WRONG_PASSWORD
    verdict = client.on_challenge(401, server.challenge_values(1.0))
    assert verdict.outcome is ChallengeOutcome.REJECTED and verdict.realm == REALM
    assert lookup.calls == 2  # asked once more; the same credentials are not sent again


def test_unknown_user_stored_ha1_and_server_restart() -> None:
    server = make_server(DigestAlgorithm.SHA_256)
    client, _ = make_client()
    client.on_challenge(401, server.challenge_values(0.0))
    value = client.authorization("REGISTER", URI)[0].value
    nobody = server.verify(value, method="REGISTER", uri=URI, now_s=1.0, lookup=lambda u, r, a: None)
    assert nobody.status is VerifyStatus.UNKNOWN_USER and nobody.username == "1001"

    def ha1s(u: str, r: str, a: DigestAlgorithm) -> Secret | None:
        return StoredHa1(password_ha1(a, u, r, USERS[u]))

    assert server.verify(value, method="REGISTER", uri=URI, now_s=1.0, lookup=ha1s).ok
    # A server with another secret did not issue this nonce: right password, so stale.
    other = DigestServer(server.config, bytes(32))
    fresh = client.authorization("REGISTER", URI)[0].value.replace(server.opaque, other.opaque)
    assert other.verify(fresh, method="REGISTER", uri=URI, now_s=1.0, lookup=secrets).status is VerifyStatus.STALE_NONCE


def test_malformed_credentials() -> None:
    server = make_server(DigestAlgorithm.SHA_256)
    client, _ = make_client()
    client.on_challenge(401, server.challenge_values(0.0))
    good = client.authorization("REGISTER", URI)[0].value
    md5_server = make_server(DigestAlgorithm.MD5)
    cases = {
        "garbage": "Digest username=",
        "basic": "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
        "realm": good.replace(f'realm="{REALM}"', 'realm="elsewhere"'),
        "opaque": good.replace(server.opaque, "0" * 32),
        "qop": good.replace("qop=auth, ", ""),
    }
    for name, value in cases.items():
        res = server.verify(value, method="REGISTER", uri=URI, now_s=1.0, lookup=secrets)
        assert res.status is VerifyStatus.MALFORMED, name
    wrong_uri = server.verify(good, method="REGISTER", uri="sip:other.example.net", now_s=1.0, lookup=secrets)
    assert wrong_uri.status is VerifyStatus.MALFORMED and "Request-URI" in wrong_uri.detail
    not_offered = md5_server.verify(good.replace(server.opaque, md5_server.opaque), method="REGISTER", uri=URI,
                                    now_s=1.0, lookup=secrets)
    assert not_offered.status is VerifyStatus.MALFORMED and "algorithm" in not_offered.detail


def test_endless_stale_challenges_are_bounded() -> None:
    server = make_server()
    client, lookup = make_client(max_attempts_per_realm=3)
    outcomes: list[ChallengeOutcome] = []
    t = 0.0
    for _ in range(10):
        res = client.on_challenge(401, server.challenge_values(t, stale=bool(outcomes)))
        outcomes.append(res.outcome)
        if not res.retry:
            break
        client.authorization("REGISTER", URI)
        t += 1.0
    assert outcomes == [ChallengeOutcome.RETRY] * 3 + [ChallengeOutcome.TOO_MANY]
    assert lookup.calls == 1


def test_proxy_and_registrar_realms_are_both_answered() -> None:
    registrar = make_server()
    proxy = DigestServer(DigestServerConfig("proxy.example.net", (DigestAlgorithm.MD5,)), SECRET)
    lookup = Lookup({REALM: UserCredentials("1001", "pa55word"), "proxy.example.net": UserCredentials("p", "q")})
    client = DigestClient(lookup, random.Random(3).randbytes)
    assert client.on_challenge(407, proxy.challenge_values(0.0)).retry
    assert client.on_challenge(401, registrar.challenge_values(0.0)).retry
    hdrs = {h.name: h.value for h in client.authorization("REGISTER", URI)}
    assert set(hdrs) == {"Authorization", "Proxy-Authorization"}
    assert registrar.verify(hdrs["Authorization"], method="REGISTER", uri=URI, now_s=1.0, lookup=secrets).ok
    proxy_ok = proxy.verify(hdrs["Proxy-Authorization"], method="REGISTER", uri=URI, now_s=1.0,
                            lookup=lambda u, r, a: Password("q") if u == "p" else None)
    assert proxy_ok.ok
    assert set(client.realms) == {REALM, "proxy.example.net"}


def test_client_failures_without_a_retry() -> None:
    client, _ = make_client()
    nobody = client.on_challenge(401, ['Digest realm="unknown.example", nonce="n"'])
    assert nobody.outcome is ChallengeOutcome.NO_CREDENTIALS and nobody.realm == "unknown.example"
    aka = client.on_challenge(401, [f'Digest realm="{REALM}", nonce="n", algorithm=AKAv1-MD5'])
    assert aka.outcome is ChallengeOutcome.UNSUPPORTED
    qop = client.on_challenge(401, [f'Digest realm="{REALM}", nonce="n", qop="auth-conf"'])
    assert qop.outcome is ChallengeOutcome.UNSUPPORTED
    assert client.on_challenge(401, ['Basic realm="x"', "Digest ,,="]).outcome is ChallengeOutcome.MALFORMED
    with pytest.raises(DigestError, match="403"):
        client.on_challenge(403, [])
    assert client.authorization("REGISTER", URI) == ()


def test_replay_table_eviction_never_admits_a_replay() -> None:
    server = make_server(max_tracked_nonces=2)
    clients = [make_client(seed=s)[0] for s in range(3)]
    first_values = []
    for i, client in enumerate(clients):
        client.on_challenge(401, server.challenge_values(float(i)))
        value = client.authorization("REGISTER", URI)[0].value
        first_values.append(value)
        assert server.verify(value, method="REGISTER", uri=URI, now_s=float(i) + 0.5, lookup=secrets).ok
    # The oldest nonce was evicted: replaying it is refused (as stale), never accepted.
    res = server.verify(first_values[0], method="REGISTER", uri=URI, now_s=3.0, lookup=secrets)
    assert res.status is VerifyStatus.STALE_NONCE
    assert server.verify(first_values[2], method="REGISTER", uri=URI, now_s=3.0, lookup=secrets).status is (
        VerifyStatus.REPLAYED_NC)


def test_server_config_is_checked() -> None:
    with pytest.raises(DigestError, match="no algorithm"):
        DigestServerConfig(REALM, ())
    with pytest.raises(DigestError, match="too short"):
        DigestServer(DigestServerConfig(REALM), b"short")
