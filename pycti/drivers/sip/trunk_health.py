"""Whether each SIP trunk answers: OPTIONS keep-alives (RFC 3261 §11) for the SIP driver.

Every trunk with ``keepalive_s`` gets an out-of-dialog OPTIONS keep-alive of the driver's
:class:`~pycti.sip.session_agent.UserAgent` (:meth:`~pycti.sip.session_agent.UserAgent.start_keepalive`)
towards ``sip:<host>:<port>``.  An OPTIONS left unanswered until its transaction times out
(Timer F, 64*T1, §17.1.2.2) or met by a transport error
(:class:`~pycti.sip.session_events.KeepAliveFailed`) marks the trunk *down*; any final
response to a later one (:class:`~pycti.sip.session_events.KeepAliveRestored`; a 4xx/5xx
still proves the peer is there, §11.2) marks it up again.  A trunk is up until it fails one.
"""

from __future__ import annotations

from ...sip.session_agent import UserAgent
from ...sip.session_events import KeepAliveFailed, KeepAliveRestored
from ...sip.timers import Destination
from .config import SipTrunkConfig

__all__ = ["TrunkHealth"]


class TrunkHealth:
    """The keep-alives of every trunk that asks for them, and which trunks are down."""

    def __init__(self, ua: UserAgent, trunks: tuple[SipTrunkConfig, ...]) -> None:
        self._ua = ua
        self._trunks = tuple(t for t in trunks if t.keepalive_s is not None)
        self._trunk_of: dict[int, str] = {}  #: keep-alive id -> trunk name
        self.down: set[str] = set()  #: names of the trunks that stopped answering
        self.changes = 0  #: how many times a trunk went down or came back

    def start(self, now_s: float) -> None:
        """Start one keep-alive per trunk (the first OPTIONS goes out after one interval)."""
        for t in self._trunks:
            assert t.keepalive_s is not None
            kid = self._ua.start_keepalive(now_s, interval_s=t.keepalive_s, target=f"sip:{t.host}:{t.port}",
                                           dest=Destination(t.host, t.port, t.transport.upper()))
            self._trunk_of[kid] = t.name

    def stop(self) -> None:
        """Stop every keep-alive."""
        for kid in self._trunk_of:
            self._ua.stop_keepalive(kid)
        self._trunk_of.clear()

    def on_event(self, event: KeepAliveFailed | KeepAliveRestored) -> bool:
        """A keep-alive failed or was answered again; False when it is not a trunk's."""
        name = self._trunk_of.get(event.keepalive_id)
        if name is None:
            return False
        before = name in self.down
        if isinstance(event, KeepAliveFailed):
            self.down.add(name)
        else:
            self.down.discard(name)
        self.changes += before != (name in self.down)
        return True
