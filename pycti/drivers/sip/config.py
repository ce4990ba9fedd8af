"""Configuration of the SIP driver: where it listens, its trunks and their channels.

A trunk (RFC 3261 §8: a peer UA or proxy of a carrier) is trusted by source address
(``ip_auth``, the usual way carriers authenticate a customer's PBX) for calls it offers, and
answers our INVITEs with a digest challenge the trunk's ``username``/``password`` satisfy
(RFC 3261 §22.2).  Each trunk contributes ``channels`` trunk ports to the switch; calls
beyond that are refused with 503 (RFC 3261 §21.5.4).

Bad values raise :class:`SipDriverConfigError` naming the field and the value.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import quote

from ...errors import PyctiError

__all__ = ["SipDriverConfigError", "SipDriverClosedError", "SipTrunkConfig", "SipPhoneConfig", "SipDriverConfig"]


class SipDriverConfigError(PyctiError, ValueError):
    """A SIP driver setting that cannot be used; the message names it."""


class SipDriverClosedError(PyctiError, RuntimeError):
    """The SIP driver was asked for something that needs it open (entered, not closed)."""


def _check_ip(field: str, value: str) -> None:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise SipDriverConfigError(f"{field}={value!r} is not a numeric IP address") from None


def _check_port(field: str, value: int, *, zero_ok: bool) -> None:
    low = 0 if zero_ok else 1
    if not isinstance(value, int) or not low <= value <= 65535:
        raise SipDriverConfigError(f"{field}={value!r} is outside {low}-65535")


@dataclass(frozen=True, slots=True, kw_only=True)
class SipTrunkConfig:
    """One SIP trunk.

    ``host``/``port``: where our INVITEs go (numeric address); requests from exactly there are
    the trunk's.  ``ip_auth``: addresses whose requests from any port are the trunk's too.
    ``username``/``password``: the credentials for its 401/407 challenges (``realm`` limits
    them to one realm; ``None``: whatever realm the trunk names).  ``channels``: how many
    simultaneous calls (trunk ports).  ``numbers``: the DNIS numbers it may deliver (empty:
    any; another is refused with 404).  ``register``: keep a registration with the trunk
    (RFC 3261 §10.2, :mod:`.trunk_registration`) asking ``register_expires_s``, retrying a
    failure after ``register_retry_base_s * 2**n`` (RFC 5626 §4.5).  ``keepalive_s``: send
    OPTIONS every so many seconds (RFC 3261 §11; ``None``: never); a trunk that leaves one
    unanswered is down (its channels refuse :meth:`~.driver.SipDriver.dial`) until it
    answers one.  ``transport``: ``"udp"`` or ``"tcp"`` for what we send it (RFC 3261 §18;
over TCP, the trunk's requests come from any port of its address: give it in ``ip_auth``).
    ``refer``: a single-step transfer of a caller on this trunk to an external number asks
    the trunk to make the new call itself (REFER, RFC 3515, ``sip:<number>@host:port``) when
    the far end's Allow lists REFER, freeing the channel; False: pycti always calls out on a
    second channel and bridges the two.
    """

    name: str
    host: str
    port: int = 5060
    ip_auth: tuple[str, ...] = ()
    username: str | None = None
    password: str | None = None
    realm: str | None = None
    channels: int = 1
    numbers: tuple[str, ...] = ()
    register: bool = False
    register_expires_s: int = 3600
    register_retry_base_s: float = 30.0
    keepalive_s: float | None = None
    transport: str = "udp"
    refer: bool = True

    def uri(self, number: str) -> str:
        """The SIP URI that reaches ``number`` through this trunk (our INVITEs' Request-URI and
        the Refer-To of a transfer it makes): ``sip:<number>@<host>:<port>``."""
        return f"sip:{quote(number, safe='+*')}@{self.host}:{self.port}"

    def __post_init__(self) -> None:
        if not self.name or any(c.isspace() for c in self.name):
            raise SipDriverConfigError(f"trunk name {self.name!r} must be non-empty without spaces")
        _check_ip(f"trunk {self.name} host", self.host)
        _check_port(f"trunk {self.name} port", self.port, zero_ok=False)
        for addr in self.ip_auth:
            _check_ip(f"trunk {self.name} ip_auth", addr)
        if not isinstance(self.channels, int) or not 1 <= self.channels <= 10_000:
            raise SipDriverConfigError(f"trunk {self.name} channels={self.channels!r} is outside 1-10000")
        if (self.username is None) != (self.password is None):
            raise SipDriverConfigError(f"trunk {self.name}: username and password go together "
                                       f"(username={self.username!r})")
        if not isinstance(self.register_expires_s, int) or not 1 <= self.register_expires_s <= 86400:
            raise SipDriverConfigError(f"trunk {self.name} register_expires_s={self.register_expires_s!r} "
                                       f"is outside 1-86400")
        if not 0 < self.register_retry_base_s <= 1800:
            raise SipDriverConfigError(f"trunk {self.name} register_retry_base_s={self.register_retry_base_s!r} "
                                       f"is outside (0, 1800]")
        if self.keepalive_s is not None and not 1 <= self.keepalive_s <= 3600:
            raise SipDriverConfigError(f"trunk {self.name} keepalive_s={self.keepalive_s!r} is outside 1-3600")
        if self.transport not in ("udp", "tcp"):
            raise SipDriverConfigError(f"trunk {self.name} transport={self.transport!r}: use 'udp' or 'tcp'")

    def accepts(self, host: str, port: int) -> bool:
        """Whether a request from ``host``:``port`` comes from this trunk: from its own
        ``host``:``port``, or from any port of an ``ip_auth`` address."""
        return (host, port) == (self.host, self.port) or host in self.ip_auth


@dataclass(frozen=True, slots=True, kw_only=True)
class SipPhoneConfig:
    """One SIP phone: its ``extension`` (the station's directory number and digest user
    name) and its digest ``password``."""

    extension: str
    password: str

    def __post_init__(self) -> None:
        if not self.extension or not all(c.isalnum() or c in "-_.+*#" for c in self.extension):
            raise SipDriverConfigError(f"phone extension {self.extension!r} must be a SIP user name")
        if not self.password:
            raise SipDriverConfigError(f"phone {self.extension}: empty password")


@dataclass(frozen=True, slots=True, kw_only=True)
class SipDriverConfig:
    """The SIP driver: ``listen_host``/``listen_port`` (0: any free port, read it back with
    :attr:`SipDriver.sip_port`) for SIP over UDP, ``rtp_host`` where RTP sockets bind
    (default: ``listen_host``), ``tcp`` to listen on TCP as well, ``domain`` (the phones' realm), the trunks, the phones, and ``seed`` for tags,
    branches, SSRCs (``None``: the system's randomness)."""

    listen_host: str = "127.0.0.1"
    listen_port: int = 5060
    rtp_host: str | None = None
    domain: str | None = None
    trunks: tuple[SipTrunkConfig, ...] = ()
    phones: tuple[SipPhoneConfig, ...] = ()
    #: algorithms the phones are challenged with, one WWW-Authenticate each, preferred first
    #: (RFC 8760 §2.4); ("MD5",) for phones that read only the first challenge
    digest_algorithms: tuple[str, ...] = ("SHA-256", "MD5")
    user: str = "pycti"
    seed: int | None = None
    session_expires_s: int | None = None
    #: RFC 3261 §17.1.1.1 T1, the round-trip estimate every retransmission and timeout (Timer
    #: F = 64*T1) scales with; 0.5 s by default, less on a LAN
    t1_s: float = 0.5
    #: listen for SIP over TCP too, on ``listen_port``'s number (RFC 3261 §18: a UA that
    #: serves UDP and TCP on one port); on as well when a trunk's transport is ``tcp``
    tcp: bool = False
    #: send each tick's RTP on the pump's own thread (:meth:`RtpPump.send_start`): the
    #: kernel's work of the packets runs beside the SIP and switch code instead of inside the
    #: tick; a tick's packets are out before the next tick's (off: sent within the exchange)
    rtp_send_thread: bool = True

    def __post_init__(self) -> None:
        _check_ip("listen_host", self.listen_host)
        if not 0.01 <= self.t1_s <= 4.0:
            raise SipDriverConfigError(f"t1_s={self.t1_s!r} is outside 0.01-4 s")
        _check_port("listen_port", self.listen_port, zero_ok=True)
        if self.rtp_host is not None:
            _check_ip("rtp_host", self.rtp_host)
        names = [t.name for t in self.trunks]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise SipDriverConfigError(f"trunk names repeat: {dup}")
        if not self.trunks and not self.phones:
            raise SipDriverConfigError("a SIP driver needs at least one trunk or phone")
        known = {"MD5", "MD5-sess", "SHA-256", "SHA-256-sess", "SHA-512-256", "SHA-512-256-sess"}
        bad = [a for a in self.digest_algorithms if a not in known]
        if bad or not self.digest_algorithms:
            raise SipDriverConfigError(f"digest_algorithms={self.digest_algorithms!r}: use some of {sorted(known)}")
        exts = [p.extension for p in self.phones]
        dup = sorted({e for e in exts if exts.count(e) > 1})
        if dup:
            raise SipDriverConfigError(f"phone extensions repeat: {dup}")

    @property
    def realm(self) -> str:
        """The digest realm and registrar domain of the phones (``domain`` or ``listen_host``)."""
        return self.domain or self.listen_host

    @property
    def listens_tcp(self) -> bool:
        """Whether the driver opens a TCP listener (``tcp`` or a ``tcp`` trunk)."""
        return self.tcp or any(t.transport == "tcp" for t in self.trunks)

    @property
    def media_host(self) -> str:
        """Where RTP sockets bind and what the SDP's c= line says."""
        return self.rtp_host or self.listen_host
