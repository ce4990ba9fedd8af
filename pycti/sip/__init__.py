"""SIP message layer, sans-I/O: URIs, header fields, requests and responses (RFC 3261 §7,
§19-§20, §25; RFC 5118 IPv6 references), parse errors that know whether to answer 400 or drop
(RFC 4475), a stream framer and a datagram entry point (§18.3).
"""

from pycti.sip.header_values import CSeq, NameAddr, Via, parse_name_addr, parse_via, split_commas
from pycti.sip.headers import COMPACT_FORMS, Headers, canonical_name
from pycti.sip.message import (
    REASON_PHRASES, SipMessage, SipRequest, SipResponse, make_ack_for_failure, make_cancel,
    make_request, make_response, parse_message,
)
from pycti.sip.message_errors import ReplyMaterial, SipFramingError, SipParseError
from pycti.sip.message_framing import (
    DatagramVerdict, Framed, StreamFramer, error_response, judge_datagram,
)
from pycti.sip.uri import AbsoluteUri, SipUri, Uri, parse_uri

__all__ = [
    "AbsoluteUri", "COMPACT_FORMS", "CSeq", "DatagramVerdict", "Framed", "Headers", "NameAddr",
    "REASON_PHRASES", "ReplyMaterial", "SipFramingError", "SipMessage", "SipParseError",
    "SipRequest", "SipResponse", "SipUri", "StreamFramer", "Uri", "Via", "canonical_name",
    "error_response", "judge_datagram", "make_ack_for_failure", "make_cancel", "make_request", "make_response", "parse_message",
    "parse_name_addr", "parse_uri", "parse_via", "split_commas",
]
