"""An index of ready agents per queue and skill level, so that the ACD picks an agent in
O(levels x log n) instead of scanning every agent.

The ACD's rule (:mod:`pycti.callcenter.acd`, :mod:`pycti.callcenter.strategies`): a waiting
call may go to an agent who is ready, has no offer pending, is logged on to the queue, has a
skill level in it of at least the call's current minimum, and has not let this call ring out;
among those, the queue's :class:`~pycti.callcenter.strategies.Strategy` orders the candidates
and the first is offered the call.

For the strategies whose order depends only on what an agent brings when it becomes ready --
its idle-since time, its configured order, its calls and talk time so far, its skill level --
an agent's sort key does not change while it stays ready.  :class:`RoutingIndex` keeps, for each
queue and each skill level 1-10, a binary heap (Williams 1964; Knuth, *TAOCP* vol. 3, sec.
5.2.3) of the ready agents at that level, keyed by the strategy's key:

==================  ==========================================  =================================
strategy            key within a level heap                     next agent
==================  ==========================================  =================================
LONGEST_IDLE        (idle_since_s, order)                       least key over levels >= minimum
FEWEST_CALLS        (calls, idle_since_s, order)                least key over levels >= minimum
LEAST_TALK_TIME     (talk_s, idle_since_s, order)               least key over levels >= minimum
LINEAR              (order,)                                    least key over levels >= minimum
MOST_SKILLED        (-level, idle_since_s, order)               least key over levels >= minimum
LAST_AGENT          (idle_since_s, order)                       the last agent if a candidate,
                                                                else as LONGEST_IDLE
==================  ==========================================  =================================

These are exactly the keys :func:`~pycti.callcenter.strategies.rank` sorts by, so the answer is
the same agent (``tests/callcenter/test_routing_index.py`` checks it against ``rank`` on random
histories; agents' ``order`` values are unique, as the ACD numbers them).  ROUND_ROBIN, RANDOM
and WEIGHTED_RANDOM depend on state outside the agent (the last agent offered, a random draw),
and RING_ALL offers to every candidate: they are not indexed, :class:`RoutingIndex` refuses them.

:func:`next_offer` makes the ACD's whole choice with the index -- across queues, the waiting
call with the highest priority, then the longest wait, that has a candidate, and its agent --
visiting the queues oldest head first and stopping at the first head that cannot beat the
best pair found.

An agent leaving the ready set is removed lazily: its heap entries carry a stamp, and entries
whose stamp is no longer the agent's current one are dropped when they reach a heap's top (a
heap is rebuilt when stale entries outnumber live ones).  Agents excluded for one call (those
it rang out on) are skipped by popping them aside and pushing them back, so a lookup costs
O((10 + e) log n) for e excluded agents.
"""

from __future__ import annotations

import heapq
from operator import itemgetter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from ..errors import PyctiError
from .strategies import Strategy

__all__ = ["RoutingIndex", "RoutingIndexError", "ReadyAgent", "INDEXED_STRATEGIES", "WaitingLike", "next_offer"]

#: The strategies :class:`RoutingIndex` can serve (see the module docstring).
INDEXED_STRATEGIES = frozenset({Strategy.LONGEST_IDLE, Strategy.FEWEST_CALLS, Strategy.LEAST_TALK_TIME,
                                Strategy.LINEAR, Strategy.MOST_SKILLED, Strategy.LAST_AGENT})

_LEVELS = range(1, 11)
_Key = tuple[float, ...]
_Entry = tuple[_Key, int, str]  # (strategy key, stamp, agent id)


class RoutingIndexError(PyctiError, ValueError):
    """A strategy the index cannot serve, a skill level outside 1-10, or an unknown queue."""


@dataclass(frozen=True, slots=True)
class ReadyAgent:
    """An agent as it becomes ready: what the strategies sort by, and its levels per queue
    (only the queues it is logged on to)."""

    agent_id: str
    order: int
    idle_since_s: float
    calls: int
    talk_s: float
    levels: Mapping[str, int]


def _key(strategy: Strategy, a: ReadyAgent, level: int) -> _Key:
    if strategy is Strategy.MOST_SKILLED:
        return (-level, a.idle_since_s, a.order)
    if strategy is Strategy.FEWEST_CALLS:
        return (a.calls, a.idle_since_s, a.order)
    if strategy is Strategy.LEAST_TALK_TIME:
        return (a.talk_s, a.idle_since_s, a.order)
    if strategy is Strategy.LINEAR:
        return (a.order,)
    return (a.idle_since_s, a.order)  # LONGEST_IDLE, LAST_AGENT


class _QueueHeaps:
    """The level heaps of one queue and the count of live agents in each."""

    __slots__ = ("strategy", "heaps", "live", "total")

    def __init__(self, strategy: Strategy) -> None:
        self.strategy = strategy
        self.heaps: list[list[_Entry]] = [[] for _ in range(11)]  # index = level (0 unused)
        self.live = [0] * 11
        self.total = 0  # live agents over all levels


class RoutingIndex:
    """Ready agents per queue and skill level (see the module docstring)."""

    def __init__(self, strategies: Mapping[str, Strategy]) -> None:
        """``strategies``: each queue's strategy; every one must be in
        :data:`INDEXED_STRATEGIES`."""
        self._queues: dict[str, _QueueHeaps] = {}
        for queue, strategy in strategies.items():
            if strategy not in INDEXED_STRATEGIES:
                raise RoutingIndexError(f"queue {queue}: strategy {strategy.name} cannot be indexed "
                                        f"(it depends on more than the agent); rank() it instead")
            self._queues[queue] = _QueueHeaps(strategy)
        self._ready: dict[str, tuple[int, ReadyAgent]] = {}  # agent id -> (stamp, agent)
        self._stamp = 0

    def __len__(self) -> int:
        """The number of ready agents."""
        return len(self._ready)

    def __contains__(self, agent_id: object) -> bool:
        return agent_id in self._ready

    def add(self, agent: ReadyAgent) -> None:
        """``agent`` is ready (again): enter it under its current figures, replacing any entry."""
        for queue, level in agent.levels.items():
            if not isinstance(level, int) or level not in _LEVELS:
                raise RoutingIndexError(f"agent {agent.agent_id}: skill level for {queue} must be 1-10, got {level!r}")
        self.discard(agent.agent_id)
        self._stamp += 1
        self._ready[agent.agent_id] = (self._stamp, agent)
        for queue, level in agent.levels.items():
            qh = self._queues.get(queue)
            if qh is None:
                continue  # a queue this index does not route
            heap = qh.heaps[level]
            heapq.heappush(heap, (_key(qh.strategy, agent, level), self._stamp, agent.agent_id))
            qh.live[level] += 1
            qh.total += 1
            if len(heap) > 2 * qh.live[level] + 32:
                self._compact(heap)

    def discard(self, agent_id: str) -> None:
        """``agent_id`` is no longer ready (offered a call, busy, not ready, logged off); no-op
        if it was not in the index."""
        entry = self._ready.pop(agent_id, None)
        if entry is None:
            return
        for queue, level in entry[1].levels.items():
            qh = self._queues.get(queue)
            if qh is not None:
                qh.live[level] -= 1
                qh.total -= 1

    def _valid(self, e: _Entry) -> bool:
        current = self._ready.get(e[2])
        return current is not None and current[0] == e[1]

    def _compact(self, heap: list[_Entry]) -> None:
        heap[:] = [e for e in heap if self._valid(e)]
        heapq.heapify(heap)

    def has_ready(self, queue: str, min_level: int = 1) -> bool:
        """Whether any agent is ready in ``queue`` at ``min_level`` or above (O(10))."""
        return self.top_level(queue) >= max(min_level, 1)

    def ready_in(self, queue: str) -> int:
        """How many agents are ready in ``queue`` (O(1))."""
        return self._queue(queue).total

    def top_level(self, queue: str) -> int:
        """The highest skill level of a ready agent in ``queue`` (0: nobody ready; O(10))."""
        qh = self._queue(queue)
        if not qh.total:
            return 0
        live = qh.live
        for level in range(10, 0, -1):
            if live[level]:
                return level
        return 0

    def _queue(self, queue: str) -> _QueueHeaps:
        qh = self._queues.get(queue)
        if qh is None:
            raise RoutingIndexError(f"queue {queue!r} is not in this routing index")
        return qh

    def _top(self, heap: list[_Entry], exclude: Collection[str]) -> _Entry | None:
        """The least live entry of ``heap`` not in ``exclude`` (stale tops are dropped)."""
        aside: list[_Entry] = []
        found = None
        while heap:
            e = heap[0]
            if not self._valid(e):
                heapq.heappop(heap)
            elif e[2] in exclude:
                aside.append(heapq.heappop(heap))
            else:
                found = e
                break
        for e in aside:
            heapq.heappush(heap, e)
        return found

    def best(self, queue: str, *, min_level: int = 1, exclude: Collection[str] = (),
             last_agent: str | None = None) -> str | None:
        """The agent the queue's strategy offers a call to now: ready, at ``min_level`` or above
        in ``queue``, not in ``exclude``; None when there is none.  ``last_agent``: for
        LAST_AGENT, who served this caller before."""
        qh = self._queue(queue)
        low = max(min_level, 1)
        if qh.strategy is Strategy.LAST_AGENT and last_agent is not None and last_agent not in exclude:
            entry = self._ready.get(last_agent)
            if entry is not None and entry[1].levels.get(queue, 0) >= low:
                return last_agent
        best: _Entry | None = None
        for level in range(low, 11):
            if not qh.live[level]:
                continue
            top = self._top(qh.heaps[level], exclude)
            if top is not None and (best is None or top[0] < best[0]):
                best = top
        return None if best is None else best[2]

    def ready_agents(self) -> Iterable[ReadyAgent]:
        """The ready agents, in no particular order."""
        return (a for _, a in self._ready.values())


class WaitingLike(Protocol):
    """What :func:`next_offer` needs of a waiting call (the ACD's ``WaitingCall`` has it)."""

    @property
    def offered_to(self) -> str | None: ...

    @property
    def rang_out(self) -> Collection[str]: ...

    def key(self) -> tuple[int, float, int]: ...


W = TypeVar("W", bound=WaitingLike)


def next_offer(index: RoutingIndex, queues: Iterable[tuple[str, Sequence[W]]], level_of: Callable[[str, W], int],
               last_agent_of: Callable[[W], str | None] = lambda w: None) -> tuple[str, W, str] | None:
    """The ACD's choice across queues with the index: the waiting call with the least key
    (highest priority, then longest waiting) that has a candidate, and its agent.

    ``queues``: each queue's name and its waiting calls in key order; ``level_of(queue, call)``:
    the call's current minimum skill level; ``last_agent_of``: for LAST_AGENT.  Queues with
    nobody ready cost O(1); a call needing a level above every ready agent's costs O(1); the
    chosen agent costs O((10 + rang-out) log n).  Same answer as ``Acd._next_offer`` (see
    ``bench/acd_routing.py``, which checks it on every decision it times)."""
    # visit the queues oldest head first: once a head is no better than the best pair found,
    # neither is any call behind it nor any later queue
    heads = []
    indexed = index._queues
    for name, waiting in queues:
        qh = indexed.get(name)
        if qh is None:
            raise RoutingIndexError(f"queue {name!r} is not in this routing index")
        if waiting and qh.total:
            heads.append((waiting[0].key(), name, waiting))
    heads.sort(key=itemgetter(0))
    best: tuple[tuple[int, float, int], str, W, str] | None = None
    for head_key, name, waiting in heads:
        if best is not None and head_key >= best[0]:
            break
        top = index.top_level(name)
        for w in waiting:
            if w.offered_to is not None:
                continue
            key = w.key()
            if best is not None and key >= best[0]:
                break
            level = level_of(name, w)
            if level > top:
                continue
            agent = index.best(name, min_level=level, exclude=w.rang_out, last_agent=last_agent_of(w))
            if agent is not None:
                best = (key, name, w, agent)
                break
    return None if best is None else best[1:]
