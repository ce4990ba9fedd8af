"""Property tests: any challenge or credentials pycti formats parses back to itself, whatever
the quoted values hold (quotes, backslashes, commas, equals signs, non-ASCII)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from pycti.sip.digest import (
    DigestAlgorithm,
    DigestChallenge,
    DigestClient,
    DigestCredentials,
    DigestServer,
    DigestServerConfig,
    Password,
    Qop,
    UserCredentials,
    format_challenge,
    format_credentials,
    parse_challenge,
    parse_credentials,
)

TEXT = st.text(st.characters(exclude_characters="\r\n", exclude_categories=["Cs"]), max_size=24)
TOKEN = st.from_regex(r"[A-Za-z0-9\-.!%*_+`'~]{1,12}", fullmatch=True)
EXTRA = st.lists(st.tuples(st.from_regex(r"x-[a-z0-9]{1,8}", fullmatch=True), TEXT), max_size=4,
                 unique_by=lambda kv: kv[0]).map(tuple)
FAST = settings(max_examples=150, deadline=None, derandomize=True)


@FAST
@given(realm=TEXT, nonce=TEXT, alg=st.none() | TOKEN, qop=st.lists(TOKEN.map(str.lower), max_size=3).map(tuple),
       opaque=st.none() | TEXT, stale=st.booleans(), domain=st.none() | TEXT, extra=EXTRA)
def test_challenge_round_trip(realm: str, nonce: str, alg: str | None, qop: tuple[str, ...], opaque: str | None,
                              stale: bool, domain: str | None, extra: tuple[tuple[str, str], ...]) -> None:
    ch = DigestChallenge(realm, nonce, alg, qop, opaque, stale, domain, extra)
    assert parse_challenge(format_challenge(ch)) == ch


@FAST
@given(user=TEXT, realm=TEXT, uri=TEXT, cnonce=st.none() | TEXT, nc=st.none() | st.integers(0, 0xFFFFFFFF),
       qop=st.none() | st.sampled_from(["auth", "auth-int"]), extra=EXTRA)
def test_credentials_round_trip(user: str, realm: str, uri: str, cnonce: str | None, nc: int | None, qop: str | None,
                                extra: tuple[tuple[str, str], ...]) -> None:
    cred = DigestCredentials(user, realm, "n", uri, "ab12", "SHA-256", cnonce, "op", qop, nc, extra)
    assert parse_credentials(format_credentials(cred)) == cred


@settings(max_examples=60, deadline=None, derandomize=True)
@given(user=TEXT.filter(bool), password=TEXT, realm=TEXT.filter(bool), alg=st.sampled_from(list(DigestAlgorithm)),
       qop=st.sampled_from([Qop.AUTH, Qop.AUTH_INT]), body=st.binary(max_size=64), requests=st.integers(1, 4))
def test_any_user_password_and_realm_authenticate(user: str, password: str, realm: str, alg: DigestAlgorithm,
                                                  qop: Qop, body: bytes, requests: int) -> None:
    """Usernames and realms with quotes or backslashes survive the header round trip and
    verify, for every request reusing the nonce (the -sess cnonce is kept, nc counts up)."""
    server = DigestServer(DigestServerConfig(realm, (alg,), (qop,)), bytes(range(16)))
    client = DigestClient(lambda r: UserCredentials(user, password), random.Random(0).randbytes)
    assert client.on_challenge(401, server.challenge_values(10.0)).retry
    cnonces = set()
    for i in range(requests):
        (hdr,) = client.authorization("INVITE", "sip:x@y", body)
        cred = parse_credentials(hdr.value)
        assert cred.nc == i + 1
        cnonces.add(cred.cnonce)
        res = server.verify(hdr.value, method="INVITE", uri="sip:x@y", body=body, now_s=11.0,
                            lookup=lambda u, r, a: Password(password) if u == user else None)
        assert res.ok, res.detail
    assert len(cnonces) == (1 if alg.session else requests)
