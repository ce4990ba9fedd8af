"""Digest header values: RFC 3261 §25.1 auth-param parsing/formatting and the RFC 7616 /
RFC 2617 hash computation against the published examples."""

from __future__ import annotations

import hashlib

import pytest

from pycti.errors import PyctiError
from pycti.sip.digest import (
    DigestAlgorithm,
    DigestChallenge,
    DigestCredentials,
    DigestError,
    Qop,
    format_challenge,
    format_credentials,
    parse_challenge,
    parse_challenges,
    parse_credentials,
    password_ha1,
    request_digest,
)

# RFC 7616 §3.9.1: the HTTP example (GET /dir/index.html) with its MD5 and SHA-256 responses.
RFC7616_REALM = "http-auth@example.org"
RFC7616_NONCE = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
RFC7616_CNONCE_MD5 = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
RFC7616_OPAQUE = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"


@pytest.mark.parametrize(
    ("algorithm", "cnonce", "expected"),
    [
        (DigestAlgorithm.MD5, RFC7616_CNONCE_MD5, "8ca523f5e9506fed4657c9700eebdbec"),
        (DigestAlgorithm.SHA_256, RFC7616_CNONCE_MD5, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_rfc7616_examples(algorithm: DigestAlgorithm, cnonce: str, expected: str) -> None:
    ha1 = password_ha1(algorithm, "Mufasa", RFC7616_REALM, "Circle of Life")
    got = request_digest(algorithm, ha1, nonce=RFC7616_NONCE, method="GET", uri="/dir/index.html", qop=Qop.AUTH, nc=1,
                         cnonce=cnonce)
    assert got == expected


def test_rfc2617_example() -> None:
    """RFC 2617 §3.5: Mufasa / "Circle Of Life" at testrealm@host.com."""
    ha1 = password_ha1(DigestAlgorithm.MD5, "Mufasa", "testrealm@host.com", "Circle Of Life")
    got = request_digest(DigestAlgorithm.MD5, ha1, nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", method="GET",
                         uri="/dir/index.html", qop=Qop.AUTH, nc=1, cnonce="0a4f113b")
    assert got == "6629fae49393a05397450978507c4ef1"


def _h(name: str, text: str) -> str:
    return hashlib.new(name, text.encode()).hexdigest()


def test_sess_auth_int_and_rfc2069_follow_the_rfc_formulas() -> None:
    """The -sess A1, the auth-int A2 and the no-qop response, each written out from RFC 7616
    §3.4.2/§3.4.3 and RFC 2069 with hashlib directly."""
    alg = DigestAlgorithm.SHA_512_256_SESS
    base = password_ha1(alg, "alice", "atlanta.com", "s3cret")
    assert base == _h("sha512_256", "alice:atlanta.com:s3cret")
    body = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n"
    a1 = _h("sha512_256", f"{base}:n1:c1")
    a2 = _h("sha512_256", "INVITE:sip:bob@biloxi.com:" + hashlib.new("sha512_256", body).hexdigest())
    want = _h("sha512_256", f"{a1}:n1:0000002a:c1:auth-int:{a2}")
    got = request_digest(alg, base, nonce="n1", method="INVITE", uri="sip:bob@biloxi.com", qop=Qop.AUTH_INT, nc=42,
                         cnonce="c1", body=body)
    assert got == want
    md5 = password_ha1(DigestAlgorithm.MD5, "alice", "atlanta.com", "s3cret")
    old = request_digest(DigestAlgorithm.MD5, md5, nonce="n2", method="REGISTER", uri="sip:atlanta.com", qop=None)
    assert old == _h("md5", f"{md5}:n2:" + _h("md5", "REGISTER:sip:atlanta.com"))


def test_sess_without_cnonce_and_qop_without_nc_are_refused() -> None:
    with pytest.raises(DigestError, match="cnonce"):
        request_digest(DigestAlgorithm.MD5_SESS, "00", nonce="n", method="REGISTER", uri="sip:a", qop=None)
    with pytest.raises(DigestError, match="nc and cnonce"):
        request_digest(DigestAlgorithm.MD5, "00", nonce="n", method="REGISTER", uri="sip:a", qop=Qop.AUTH)


def test_parse_challenge_with_lws_escapes_case_and_unknown_params() -> None:
    value = (
        'DIGEST Realm = "atlanta.com" ,\r\n  NONCE="84a4cc6f3082121f32b42a2187831a9e",qop="auth,auth-int, foo",\t'
        'algorithm=sha-256, stale=TRUE, opaque="a\\"b\\\\c", domain="sip:ss1.carrier.com", x-vendor=abc, y="q q"'
    )
    ch = parse_challenge(value)
    assert ch.realm == "atlanta.com"
    assert ch.nonce == "84a4cc6f3082121f32b42a2187831a9e"
    assert ch.algorithm is DigestAlgorithm.SHA_256
    assert ch.qop == ("auth", "auth-int", "foo")
    assert ch.qop_options == (Qop.AUTH, Qop.AUTH_INT)
    assert ch.stale is True
    assert ch.opaque == 'a"b\\c'
    assert ch.domain == "sip:ss1.carrier.com"
    assert ch.extra == (("x-vendor", "abc"), ("y", "q q"))
    # Formatting and parsing again gives the same challenge.
    assert parse_challenge(format_challenge(ch)) == ch


def test_absent_algorithm_means_md5_and_unknown_is_none() -> None:
    assert parse_challenge('Digest realm="r", nonce="n"').algorithm is DigestAlgorithm.MD5
    unknown = parse_challenge('Digest realm="r", nonce="n", algorithm=AKAv1-MD5')
    assert unknown.algorithm is None and unknown.algorithm_token == "AKAv1-MD5"


def test_several_challenges_in_values_and_other_schemes_skipped() -> None:
    values = [
        'Digest realm="a.example", nonce="1", algorithm=SHA-256',
        'Basic realm="a.example", Digest realm="a.example", nonce="1", algorithm=MD5',
        'Newauth realm="apps", type=1',
    ]
    found = parse_challenges(values)
    assert [c.algorithm for c in found] == [DigestAlgorithm.SHA_256, DigestAlgorithm.MD5]


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ('Digest realm="r", nonce="n', "offset"),
        ('Digest realm="r" nonce="n"', "','"),
        ('Digest nonce="n"', "'realm' missing"),
        ('Digest realm="r", realm="s", nonce="n"', "twice"),
        ('Digest realm="r", nonce="n", stale=maybe', "stale"),
        ('Digest realm=, nonce="n"', "offset"),
        ('realm="r"', "before any scheme"),
    ],
)
def test_malformed_challenges_raise_a_named_error(value: str, needle: str) -> None:
    with pytest.raises(DigestError, match=needle) as info:
        parse_challenges([value])
    assert isinstance(info.value, PyctiError) and isinstance(info.value, ValueError)


def test_credentials_round_trip_and_nc_is_8_hex() -> None:
    cred = DigestCredentials("bob", "biloxi.com", "dcd98b", "sip:bob@biloxi.com", "245f23415f11432b3434341c022",
                             "MD5", "0a4f113b", "5ccc069c403ebaf9f0171e9517f40e41", "auth", 1, (("x", "y z"),))
    text = format_credentials(cred)
    assert "nc=00000001" in text and "qop=auth" in text and 'cnonce="0a4f113b"' in text
    assert parse_credentials(text) == cred
    # A quoted qop (old clients) and upper-case hex nc are accepted.
    alt = parse_credentials('Digest username="u", realm="r", nonce="n", uri="sip:r", response="00", '
                            'qop="AUTH", nc=0000000A, cnonce="c"')
    assert alt.qop == "auth" and alt.nc == 10
    for bad in ('Digest username="u", realm="r", nonce="n", uri="sip:r", response="00", nc=1',
                'Digest username="u", realm="r", nonce="n", uri="sip:r"'):
        with pytest.raises(DigestError):
            parse_credentials(bad)


def test_formatting_refuses_header_injection_and_non_tokens() -> None:
    with pytest.raises(DigestError, match="CR/LF"):
        format_challenge(DigestChallenge("r\r\nX: y", "n"))
    with pytest.raises(DigestError, match="not a token"):
        format_challenge(DigestChallenge("r", "n", algorithm_token="SHA 256"))
