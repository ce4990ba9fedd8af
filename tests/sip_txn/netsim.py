"""An in-memory datagram network in virtual time for SIP cores under test.

Every message goes through the serializer and the parser (``Transmit.data`` bytes in,
``UserAgent.receive`` parses).  Loss, duplication, delay and jitter (which reorders) are drawn
from a seeded generator; ``drop`` lets a test drop chosen datagrams.  ``run`` advances the
virtual clock from event to event: deliveries and the cores' own timer deadlines.
"""

from __future__ import annotations

import heapq
import itertools
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from pycti.sip.message import SipMessage, parse_message
from pycti.sip.session_agent import UserAgent
from pycti.sip.session_events import UaConfig, UaEvent
from pycti.sip.timers import Destination
from pycti.sip.transaction_table import Transmit

Drop = Callable[[SipMessage, "Node", Destination], bool]


@dataclass
class Sent:
    """One datagram put on the wire."""

    at_s: float
    src: str
    dst: Destination
    message: SipMessage
    dropped: bool

    @property
    def label(self) -> str:
        m = self.message
        return m.method if hasattr(m, "method") else str(m.status)  # type: ignore[union-attr]


@dataclass(eq=False)
class Node:
    """A UA on the network, with the events it produced."""

    name: str
    ua: UserAgent
    addr: Destination
    events: list[tuple[float, UaEvent]] = field(default_factory=list)
    react: Callable[[Node, UaEvent], None] | None = None

    def of(self, cls: type) -> list[UaEvent]:
        return [e for _, e in self.events if isinstance(e, cls)]


class Network:
    """Nodes keyed by address; a delivery queue; the virtual clock ``now_s``."""

    def __init__(self, seed: int = 1, *, loss: float = 0.0, dup: float = 0.0,
                 delay_s: float = 0.01, jitter_s: float = 0.0, transport: str = "UDP") -> None:
        self.rng = random.Random(seed)
        self.loss, self.dup, self.delay_s, self.jitter_s = loss, dup, delay_s, jitter_s
        self.transport = transport
        self.now_s = 0.0
        self.nodes: dict[tuple[str, int], Node] = {}
        self.log: list[Sent] = []
        self.drop: Drop | None = None
        self._queue: list[tuple[float, int, bytes, str, Destination]] = []
        self._seq = itertools.count()

    def add(self, name: str, host: str, port: int = 5060, seed: int | None = None,
            **config: object) -> Node:
        cfg = UaConfig(host=host, port=port, transport=self.transport, user=name,
                       **config)  # type: ignore[arg-type]
        ua = UserAgent(cfg, rng=random.Random(seed if seed is not None else zlib.crc32(name.encode())))
        node = Node(name, ua, Destination(host, port, self.transport))
        self.nodes[(host, port)] = node
        return node

    def add_ua(self, name: str, ua: UserAgent) -> Node:
        node = Node(name, ua, Destination(ua.config.host, ua.config.port, self.transport))
        self.nodes[(ua.config.host, ua.config.port)] = node
        return node

    def flush(self, node: Node) -> None:
        """Put a node's queued output on the wire and record its events."""
        for _ in range(1000):
            out = node.ua.drain()
            if not out:
                return
            for item in out:
                if isinstance(item, Transmit):
                    self._send(node, item)
                else:
                    node.events.append((self.now_s, item))
                    if node.react is not None:
                        node.react(node, item)

    def inject(self, node: Node, message: SipMessage, dest: Destination) -> None:
        """Put ``message`` on the wire as if ``node`` had sent it (a test-side peer)."""
        self._send(node, Transmit(message, dest))

    def _send(self, node: Node, item: Transmit) -> None:
        data = item.data
        dropped = self.drop is not None and self.drop(item.message, node, item.dest)
        reliable = self.transport != "UDP"
        if not reliable and not dropped and self.rng.random() < self.loss:
            dropped = True
        self.log.append(Sent(self.now_s, node.name, item.dest, parse_message(data), dropped))
        if dropped:
            return
        copies = 2 if (not reliable and self.rng.random() < self.dup) else 1
        for _ in range(copies):
            delay = self.delay_s + (0.0 if reliable else self.rng.random() * self.jitter_s)
            heapq.heappush(self._queue, (self.now_s + delay, next(self._seq), data,
                                         node.name, item.dest))

    def _deadline(self) -> tuple[float, Node | None]:
        best: tuple[float, Node | None] = (float("inf"), None)
        for node in self.nodes.values():
            t = node.ua.next_deadline_s()
            if t is not None and t < best[0]:
                best = (t, node)
        return best

    def run(self, until_s: float, *, max_steps: int = 100_000) -> None:
        """Advance to ``until_s`` delivering datagrams and firing timers in time order."""
        for _ in range(max_steps):
            t_timer, tnode = self._deadline()
            t_msg = self._queue[0][0] if self._queue else float("inf")
            t = min(t_timer, t_msg)
            if t > until_s:
                self.now_s = until_s
                return
            self.now_s = max(self.now_s, t)
            if t_msg <= t_timer:
                _, _, data, src_name, dest = heapq.heappop(self._queue)
                node = self.nodes.get((dest.host, dest.port))
                if node is None:
                    continue
                src = next(n for n in self.nodes.values() if n.name == src_name)
                source = Destination(src.addr.host, src.addr.port, self.transport)
                if self.transport == "UDP":
                    node.ua.receive(data, source, self.now_s)
                else:
                    node.ua.receive_message(parse_message(data, stream=True), source,
                                            self.now_s)
                self.flush(node)
            else:
                assert tnode is not None
                tnode.ua.on_timer(self.now_s)
                self.flush(tnode)
        raise AssertionError("simulation did not settle")

    def sent(self, src: str | None = None, label: str | None = None) -> list[Sent]:
        return [s for s in self.log if (src is None or s.src == src)
                and (label is None or s.label == label)]
