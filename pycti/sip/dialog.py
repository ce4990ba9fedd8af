"""SIP dialogs (RFC 3261 §12): creation on both sides, state, in-dialog requests, checks.

* A UAC creates a dialog from a 1xx carrying a To tag (early) or a 2xx (confirmed) to its
  INVITE (§12.1.2); a UAS from the request when it sends a 1xx/2xx with its tag (§12.1.1).
  Forking gives several early dialogs for one INVITE, one per remote tag: a dialog is
  identified by Call-ID, local tag and remote tag (:class:`DialogId`).
* Route set: the Record-Route of the request (UAS, in order) or of the response (UAC,
  reversed); remote target from the Contact; both kept from the early dialog until the 2xx,
  which fixes the route set; a target refresh request (re-INVITE, UPDATE) or its 2xx updates
  the remote target (§12.2.1.2, §12.2.2, RFC 3311 §5).
* Requests within a dialog (§12.2.1.1): To/From with the tags, Call-ID, local CSeq + 1,
  Request-URI and Route from the route set: loose routing when the first route has ``lr``,
  strict routing (Request-URI = first route, remote target last in Route) otherwise.
* Requests received (§12.2.2): a CSeq below the remote one is answered 500; an empty remote
  CSeq takes the request's.

:func:`destination_for` maps a URI to a :class:`~pycti.sip.timers.Destination` for numeric or
already resolved hosts (DNS per RFC 3263 is the caller's business).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from pycti.errors import PyctiError
from pycti.sip.header_values import NameAddr
from pycti.sip.headers import Headers
from pycti.sip.message import SipRequest, SipResponse
from pycti.sip.table_enum import TableEnum
from pycti.sip.timers import Destination
from pycti.sip.uri import SipUri, Uri

__all__ = ["DialogError", "DialogState", "DialogId", "Dialog", "destination_for", "new_tag",
           "new_branch", "new_call_id", "CSEQ_START_MAX"]

CSEQ_START_MAX = 2**31 - 1
"""An initial local CSeq is chosen below 2**31 (§8.1.1.5)."""


class DialogError(PyctiError, ValueError):
    """A message that cannot create or be sent in a dialog (names the missing field)."""


class DialogState(TableEnum):
    """§12: early (1xx with tag), confirmed (2xx), terminated."""

    EARLY = "early"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


@dataclass(frozen=True, slots=True)
class DialogId:
    """Call-ID, local tag, remote tag (§12)."""

    call_id: str
    local_tag: str
    remote_tag: str


def new_tag(rng: random.Random) -> str:
    """A tag with 64 random bits (§19.3 asks for at least 32)."""
    return f"{rng.getrandbits(64):016x}"


def new_branch(rng: random.Random) -> str:
    """A branch beginning with the magic cookie ``z9hG4bK`` (§8.1.1.7)."""
    return f"z9hG4bK{rng.getrandbits(80):020x}"


def new_call_id(rng: random.Random, host: str) -> str:
    """A globally unique Call-ID: 96 random bits ``@`` our host (§8.1.1.4)."""
    return f"{rng.getrandbits(96):024x}@{host}"


def destination_for(uri: Uri, transport: str = "UDP") -> Destination:
    """The next hop for a SIP URI: its host and port (5060, 5061 for sips), its
    ``transport`` parameter or ``transport``."""
    if not isinstance(uri, SipUri) or uri.scheme == "tel":
        raise DialogError(f"no host to send to in URI {uri}")
    maddr = uri.param("maddr")
    host = maddr if maddr else uri.host_address
    port = uri.port or (5061 if uri.scheme == "sips" else 5060)
    return Destination(host, port, (uri.transport or transport).upper())


def _routable(uri: Uri, what: str) -> Uri:
    """``uri`` if a request can be sent to it (a sip/sips URI with a host), else raise."""
    if not isinstance(uri, SipUri) or uri.scheme not in ("sip", "sips") or not uri.host:
        raise DialogError(f"{what} {uri} is not a SIP URI a request can be sent to")
    return uri


def _tag(value: NameAddr | None, what: str) -> tuple[NameAddr, str | None]:
    if value is None:
        raise DialogError(f"message has no {what} header field")
    return value, value.tag


class Dialog:
    """The state of one dialog as §12 lists it, seen from our side."""

    __slots__ = ("id", "state", "local_uri", "remote_uri", "local_seq", "remote_seq",
                 "remote_target", "route_set", "secure", "is_uac", "transport",
                 "_route_fixed")

    def __init__(self, *, dialog_id: DialogId, state: DialogState, local_uri: NameAddr,
                 remote_uri: NameAddr, local_seq: int | None, remote_seq: int | None,
                 remote_target: Uri, route_set: tuple[NameAddr, ...], secure: bool,
                 is_uac: bool, transport: str) -> None:
        self.id = dialog_id
        self.state = state
        self.local_uri = local_uri
        self.remote_uri = remote_uri
        self.local_seq = local_seq
        self.remote_seq = remote_seq
        self.remote_target = remote_target
        self.route_set = route_set
        self.secure = secure
        self.is_uac = is_uac
        self.transport = transport
        self._route_fixed = state is DialogState.CONFIRMED

    def __repr__(self) -> str:
        return f"Dialog({self.id}, {self.state.value}, uac={self.is_uac})"

    # -- creation ---------------------------------------------------------------------

    @classmethod
    def from_uac(cls, request: SipRequest, response: SipResponse, transport: str) -> Dialog:
        """The dialog a 1xx-with-tag or 2xx ``response`` to our ``request`` creates
        (§12.1.2): route set = reversed Record-Route, remote target = Contact."""
        from_, local_tag = _tag(request.from_(), "From")
        to, remote_tag = _tag(response.to(), "To")
        cseq = request.cseq()
        if local_tag is None or remote_tag is None or cseq is None or request.call_id is None:
            raise DialogError(f"response {response.status} has no To tag or the request no "
                              f"From tag/CSeq/Call-ID: To={response.headers.get('To')!r}")
        contacts = response.headers.contact()
        target = _routable(contacts[0].uri if contacts else request.uri, "remote target")
        routes = tuple(reversed(response.headers.record_route()))
        if routes:
            _routable(routes[0].uri, "first route")
        state = DialogState.CONFIRMED if 200 <= response.status < 300 else DialogState.EARLY
        return cls(dialog_id=DialogId(request.call_id, local_tag, remote_tag), state=state,
                   local_uri=from_, remote_uri=to, local_seq=cseq.seq, remote_seq=None,
                   remote_target=target, route_set=routes,
                   secure=isinstance(request.uri, SipUri) and request.uri.scheme == "sips",
                   is_uac=True, transport=transport)

    @classmethod
    def from_uas(cls, request: SipRequest, local_tag: str, *, confirmed: bool,
                 transport: str) -> Dialog:
        """The dialog we create answering ``request`` with our ``local_tag`` (§12.1.1)."""
        from_, remote_tag = _tag(request.from_(), "From")
        to, _ = _tag(request.to(), "To")
        cseq = request.cseq()
        contacts = request.headers.contact()
        if cseq is None or request.call_id is None or not contacts:
            raise DialogError(f"{request.method} lacks CSeq, Call-ID or Contact "
                              f"(Contact={request.headers.get('Contact')!r})")
        target = _routable(contacts[0].uri, "Contact")
        routes = request.headers.record_route()
        if routes:
            _routable(routes[0].uri, "first Record-Route")
        return cls(dialog_id=DialogId(request.call_id, local_tag, remote_tag or ""),
                   state=DialogState.CONFIRMED if confirmed else DialogState.EARLY,
                   local_uri=to.with_param("tag", local_tag), remote_uri=from_,
                   local_seq=None, remote_seq=cseq.seq, remote_target=target,
                   route_set=routes,
                   secure=isinstance(request.uri, SipUri) and request.uri.scheme == "sips",
                   is_uac=False, transport=transport)

    # -- updates ----------------------------------------------------------------------

    def update_from_response(self, response: SipResponse) -> None:
        """A 1xx/2xx of the dialog-creating INVITE arrived (UAC): the 2xx confirms the dialog
        and fixes the route set (§12.1.2, §13.2.2.4); each may carry a new Contact."""
        self.refresh_target(response)
        if not self._route_fixed:
            routes = tuple(reversed(response.headers.record_route()))
            if routes:
                _routable(routes[0].uri, "first route")
            self.route_set = routes
        if 200 <= response.status < 300:
            self.state = DialogState.CONFIRMED
            self._route_fixed = True

    def confirm(self) -> None:
        """Our 2xx to the dialog-creating request went out (UAS)."""
        self.state = DialogState.CONFIRMED
        self._route_fixed = True

    def refresh_target(self, message: SipRequest | SipResponse) -> None:
        """Take the Contact of a target refresh request or its 2xx (§12.2); raises
        :class:`DialogError` for a Contact no request can be sent to."""
        contacts = message.headers.contact()
        if contacts:
            self.remote_target = _routable(contacts[0].uri, "Contact")

    def check_request(self, request: SipRequest) -> int | None:
        """Apply the §12.2.2 CSeq rule to a received in-dialog request.

        Returns ``500`` for a CSeq lower than the remote CSeq (ACK and CANCEL excepted),
        otherwise ``None`` after recording the new remote CSeq.
        """
        cseq = request.cseq()
        if cseq is None:
            return 400
        if request.method in ("ACK", "CANCEL"):
            return None
        if self.remote_seq is not None and cseq.seq < self.remote_seq:
            return 500
        self.remote_seq = cseq.seq
        return None

    def next_cseq(self, rng: random.Random) -> int:
        """Increment and return the local CSeq (chosen at random when empty, §12.2.1.1)."""
        if self.local_seq is None:
            self.local_seq = rng.randint(1, CSEQ_START_MAX)
        else:
            self.local_seq += 1
        return self.local_seq

    # -- requests ---------------------------------------------------------------------

    def next_hop(self) -> Uri:
        """The URI of the first hop: the first route, or the remote target without routes."""
        return self.route_set[0].uri if self.route_set else self.remote_target

    def destination(self) -> Destination:
        """The first hop as a destination (§12.2.1.1, §8.1.2)."""
        return destination_for(self.next_hop(), self.transport)

    def request(self, method: str, *, cseq: int, via: str, contact: NameAddr | None,
                extra: tuple[tuple[str, str], ...] = (), body: bytes = b"",
                content_type: str | None = None, max_forwards: int = 70) -> SipRequest:
        """A request within this dialog with the given CSeq number (§12.2.1.1)."""
        routes = list(self.route_set)
        uri: Uri = self.remote_target
        if routes and isinstance(routes[0].uri, SipUri) and not routes[0].uri.has_param("lr"):
            # Strict routing: the first route becomes the Request-URI (§12.2.1.1).
            first = routes.pop(0).uri
            routes.append(NameAddr(None, self.remote_target))
            uri = first.without_headers() if isinstance(first, SipUri) else first
        fields: list[tuple[str, str]] = [
            ("Via", via), ("Max-Forwards", str(max_forwards)), ("From", str(self.local_uri)),
            ("To", str(self.remote_uri.with_param("tag", self.id.remote_tag)
                       if self.id.remote_tag else self.remote_uri)),
            ("Call-ID", self.id.call_id), ("CSeq", f"{cseq} {method}"),
        ]
        fields += [("Route", str(r)) for r in routes]
        if contact is not None:
            fields.append(("Contact", str(contact)))
        fields += list(extra)
        if content_type is not None:
            fields.append(("Content-Type", content_type))
        return SipRequest(method, uri, Headers(fields), bytes(body))
