"""SIP/SIPS/tel URI parsing and the RFC 3261 §19.1.4 comparison rules."""

from __future__ import annotations

import pytest

from pycti.errors import PyctiError
from pycti.sip import AbsoluteUri, SipParseError, SipUri, parse_uri


def test_full_sip_uri_components() -> None:
    uri = parse_uri("sips:alice:secret@atlanta.example.com:5061;transport=tcp;lr?subject=x&a=b")
    assert isinstance(uri, SipUri)
    assert (uri.scheme, uri.user, uri.password, uri.host, uri.port) == (
        "sips", "alice", "secret", "atlanta.example.com", 5061)
    assert uri.params == (("transport", "tcp"), ("lr", None))
    assert uri.headers == (("subject", "x"), ("a", "b"))
    assert uri.transport == "tcp" and uri.has_param("LR") and uri.param("lr") == ""
    assert str(uri) == "sips:alice:secret@atlanta.example.com:5061;transport=tcp;lr?subject=x&a=b"


def test_scheme_is_case_insensitive_and_host_only_uri() -> None:
    uri = parse_uri("SIP:biloxi.example.com")
    assert isinstance(uri, SipUri)
    assert uri.scheme == "sip" and uri.user is None and uri.port is None


@pytest.mark.parametrize("text,host,port", [
    ("sip:[2001:db8::10]", "[2001:db8::10]", None),
    ("sip:[2001:db8::10]:5070", "[2001:db8::10]", 5070),
    ("sip:[2001:db8::10:5070]", "[2001:db8::10:5070]", None),  # RFC 5118 §4.3: no port
    ("sip:user@[::ffff:192.0.2.2]", "[::ffff:192.0.2.2]", None),
    ("sip:user@[2001:db8:::192.0.2.1]", "[2001:db8:::192.0.2.1]", None),  # RFC 5118 §4.10
])
def test_ipv6_references(text: str, host: str, port: int | None) -> None:
    uri = parse_uri(text)
    assert isinstance(uri, SipUri)
    assert (uri.host, uri.port) == (host, port)
    assert uri.host_address == host[1:-1]


@pytest.mark.parametrize("text", [
    "sip:2001:db8::10",            # RFC 5118 §4.2: IPv6 without brackets
    "sip:[2001:db8::zz]",
    "sip:user@256.1.1.1",
    "sip:user@example.com:99999",
    "sip:user@-bad.example.com",
    "sip:us er@example.com",
    "sip:user@example.com;lr=a b",
    "sip:%zzuser@example.com",
    "<sip:user@example.com>",
    "sip:",
    "nosuchthing",
])
def test_bad_uris_raise_naming_the_uri(text: str) -> None:
    with pytest.raises(SipParseError) as info:
        parse_uri(text)
    assert isinstance(info.value, PyctiError) and isinstance(info.value, ValueError)
    assert info.value.value is not None and text.strip("<>")[:6] in info.value.value


def test_tel_and_opaque_schemes() -> None:
    tel = parse_uri("tel:+1-201-555-0123;phone-context=example.com")
    assert isinstance(tel, SipUri)
    assert tel.user == "+1-201-555-0123" and tel.param("phone-context") == "example.com"
    assert str(tel) == "tel:+1-201-555-0123;phone-context=example.com"
    other = parse_uri("soap.beep://192.0.2.103:3002")
    assert other == AbsoluteUri("soap.beep", "//192.0.2.103:3002")
    assert str(parse_uri("isbn:2983792873")) == "isbn:2983792873"


def test_escapes_kept_as_written_and_decoded_on_request() -> None:
    uri = parse_uri("sip:null-%00-null@example.com")
    assert isinstance(uri, SipUri)
    assert uri.user == "null-%00-null" and uri.user_unescaped == "null-\x00-null"


# RFC 3261 §19.1.4: the listed equivalent and non-equivalent pairs.
EQUIVALENT = [
    ("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"),
    ("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"),
    ("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"),
    ("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"),
    ("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
     "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"),
    ("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
     "sip:alice@atlanta.com?priority=urgent&subject=project%20x"),
]
NOT_EQUIVALENT = [
    ("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"),
    ("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"),
    ("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"),
    ("sip:alice@atlanta.com", "sips:alice@atlanta.com"),
    ("sip:alice@atlanta.com;maddr=239.255.255.1", "sip:alice@atlanta.com"),
    ("sip:alice@atlanta.com;user=phone", "sip:alice@atlanta.com"),
    ("sip:a%40b@atlanta.com", "sip:a@b@atlanta.com"),
]


@pytest.mark.parametrize("a,b", EQUIVALENT)
def test_rfc3261_equivalent_uris(a: str, b: str) -> None:
    ua, ub = parse_uri(a), parse_uri(b)
    assert ua == ub and ub == ua
    assert hash(ua) == hash(ub)


@pytest.mark.parametrize("a,b", NOT_EQUIVALENT)
def test_rfc3261_non_equivalent_uris(a: str, b: str) -> None:
    try:
        ub = parse_uri(b)
    except SipParseError:
        return  # "sip:a@b@atlanta.com" is not even a URI
    assert parse_uri(a) != ub


def test_sip_uri_rejects_bad_scheme_and_port_on_construction() -> None:
    with pytest.raises(SipParseError):
        SipUri("http", None, "example.com")
    with pytest.raises(SipParseError):
        SipUri("sip", None, "example.com", 70000)
