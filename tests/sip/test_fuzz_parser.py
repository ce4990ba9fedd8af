"""Mutated messages: nothing but SipParseError may escape the parser, framer or verdict.

Seeds are the valid RFC 4475 / RFC 5118 messages; mutations are byte flips, truncation,
insertion of random or SIP-significant octets, and shuffling, duplicating or dropping header
lines.  A mutant that still parses must serialize to bytes that parse again.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pycti.sip import SipFramingError, SipParseError, StreamFramer, judge_datagram, parse_message

DATA = Path(__file__).parent / "data"
SEEDS = sorted(p.read_bytes() for p in DATA.glob("rfc*/*.dat"))
SIGNIFICANT = [b"\r\n", b" ", b"\t", b":", b";", b",", b"<", b">", b'"', b"\\", b"%", b"[", b"]",
               b"@", b"=", b"?", b"\x00", b"\xff", b"\r\n ", b"\r\n\r\n", b"-1", b"99999999999"]


@st.composite
def mutants(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "shuffle", "dup", "drop"]))
        if not data:
            break
        pos = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate":
            del data[pos:]
        elif kind == "insert":
            chunk = draw(st.one_of(st.sampled_from(SIGNIFICANT), st.binary(min_size=1, max_size=8)))
            data[pos:pos] = chunk
        else:
            head, sep, body = bytes(data).partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            start, fields = lines[0], lines[1:]
            if not fields:
                continue
            if kind == "shuffle":
                fields = draw(st.permutations(fields))
            elif kind == "dup":
                fields.insert(draw(st.integers(0, len(fields))), draw(st.sampled_from(fields)))
            else:
                del fields[draw(st.integers(0, len(fields) - 1))]
            data = bytearray(b"\r\n".join([start, *fields]) + sep + body)
    return bytes(data)


@settings(max_examples=1500, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(mutants())
def test_only_sip_parse_error_escapes(data: bytes) -> None:
    try:
        msg = parse_message(data)
    except SipParseError as exc:
        assert exc.problem
        assert exc.is_request is not None
    else:
        again = parse_message(msg.to_bytes())
        assert again.body == msg.body
    verdict = judge_datagram(data, to_tag="fuzz")
    if verdict.reply is not None:
        assert verdict.reply.status in (400, 501, 505)
        verdict.reply.to_bytes()
    framer = StreamFramer(max_message_bytes=4096)
    try:
        for i in range(0, len(data), 97):
            for frame in framer.feed(data[i:i + 97]):
                assert (frame.message is None) != (frame.error is None)
    except SipFramingError:
        pass
