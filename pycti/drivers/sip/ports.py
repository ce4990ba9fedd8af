"""The SIP driver's port table: which port is which trunk channel or phone, which call and
media each has, which channel an incoming call gets, and the per-tick audio masks.

Ports: each configured trunk gives ``channels`` trunk ports (``<trunk>-<n>``, group = the
trunk's name), then each phone one station port named by its extension.

An incoming trunk call takes the trunk channel freed longest ago (channels never used first,
lowest first), not the lowest free one, so a channel the switch is still releasing is not
handed a new call.  The free channels of each trunk are kept in freeing order, so choosing
one is O(1) whatever the number of channels.

The audio masks (:attr:`PortTable.send_mask`, :attr:`PortTable.heard_mask`) say per port
whether audio goes out / is heard this tick: the call is talking and the negotiated direction
sends / receives (RFC 3264 §6.1).  They are updated when a call or its media changes
(:meth:`PortTable.refresh`), so the per-tick exchange does no Python work per call; only ports
with RFC 4733 events to send or to time out (:attr:`PortTable.events_out`,
:attr:`PortTable.events_in`) are visited each tick.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from ..base import PortInfo, PortKind
from .calls import PortCall, PortState
from .config import SipDriverConfig, SipTrunkConfig
from .media import PortMedia

__all__ = ["PortTable"]


class PortTable:
    """The ports of one SIP driver, their calls and media, free channels and audio masks."""

    def __init__(self, config: SipDriverConfig) -> None:
        self.ports: list[PortInfo] = []
        self.trunk_of: list[SipTrunkConfig | None] = []  #: port -> its trunk (None: a phone)
        self.trunk_index: list[int] = []  #: port -> index of its trunk in config.trunks (-1: a phone)
        #: per trunk index: its free channels, freed longest ago first (value: sample clock when freed)
        self._free: list[OrderedDict[int, int]] = []
        for k, trunk in enumerate(config.trunks):
            free: OrderedDict[int, int] = OrderedDict()
            for i in range(trunk.channels):
                port = len(self.ports)
                self.ports.append(PortInfo(port=port, kind=PortKind.TRUNK, has_dsp=False,
                                           name=f"{trunk.name}-{i + 1}", group=trunk.name))
                self.trunk_of.append(trunk)
                self.trunk_index.append(k)
                free[port] = -1
            self._free.append(free)
        self.station_of: dict[str, int] = {}  #: phone extension -> its station port
        for phone in config.phones:
            self.station_of[phone.extension] = len(self.ports)
            self.ports.append(PortInfo(port=len(self.ports), kind=PortKind.STATION, has_dsp=False,
                                       name=phone.extension))
            self.trunk_of.append(None)
            self.trunk_index.append(-1)
        self.calls: dict[int, PortCall] = {}
        self.media: dict[int, PortMedia] = {}
        self.port_of_session: dict[int, int] = {}
        n = len(self.ports)
        self.send_mask = np.zeros(n, dtype=np.bool_)  #: talking and the negotiated direction sends
        self.heard_mask = np.zeros(n, dtype=np.bool_)  #: talking and the negotiated direction receives
        self.events_out: set[int] = set()  #: ports with RFC 4733 events queued or in progress
        self.events_in: set[int] = set()  #: ports whose RFC 4733 receiver has an event in progress

    def __len__(self) -> int:
        return len(self.ports)

    def free_channel(self, trunks: list[int]) -> int | None:
        """The free channel freed longest ago among trunks (indices) ``trunks``, None: all busy."""
        best: int | None = None
        best_key = (0, 0)
        for k in trunks:
            free = self._free[k]
            if free:
                port, freed = next(iter(free.items()))
                if best is None or (freed, port) < best_key:
                    best, best_key = port, (freed, port)
        return best

    def attach(self, port: int, sid: int, state: PortState, media: PortMedia) -> None:
        """Port ``port`` has call ``sid`` in ``state`` with ``media``."""
        self.calls[port] = PortCall(sid, state)
        self.media[port] = media
        self.port_of_session[sid] = port
        k = self.trunk_index[port]
        if k >= 0:
            self._free[k].pop(port, None)
        self.refresh(port)

    def detach(self, port: int, freed_sample: int) -> tuple[PortCall | None, PortMedia | None]:
        """Take port ``port``'s call and media off it (the caller closes the media); the port
        becomes the trunk's most recently freed channel."""
        call = self.calls.pop(port, None)
        media = self.media.pop(port, None)
        if call is not None:
            self.port_of_session.pop(call.session_id, None)
        k = self.trunk_index[port]
        if k >= 0 and (call is not None or port not in self._free[k]):
            free = self._free[k]
            free.pop(port, None)
            free[port] = freed_sample
        self.events_out.discard(port)
        self.events_in.discard(port)
        self.send_mask[port] = self.heard_mask[port] = False
        return call, media

    def set_state(self, port: int, state: PortState) -> None:
        """Port ``port``'s call moves to ``state``."""
        self.calls[port].state = state
        self.refresh(port)

    def refresh(self, port: int) -> None:
        """Recompute port ``port``'s audio masks (after its call state or its media changed)."""
        call = self.calls.get(port)
        media = self.media.get(port)
        talking = call is not None and media is not None and call.state is PortState.TALKING
        self.send_mask[port] = talking and media is not None and media.sending
        self.heard_mask[port] = talking and media is not None and media.receiving
