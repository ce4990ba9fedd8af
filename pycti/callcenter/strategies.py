"""ACD distribution strategies: which ready agent a waiting call is offered to.

Each strategy orders the candidates -- the agents who are ready, logged on to the queue, skilled
enough and have not let this call ring out -- and the ACD offers the call to the first.  The
names other systems give the same rule:

====================  ===================  ==========================  ==========================
pycti                 Asterisk app_queue   FreeSWITCH mod_callcenter   Avaya ACD
====================  ===================  ==========================  ==========================
LONGEST_IDLE          leastrecent          longest-idle-agent          UCD-MIA (most idle agent)
FEWEST_CALLS          fewestcalls          agent-with-fewest-calls     (equal distribution)
LEAST_TALK_TIME       --                   agent-with-least-talk-time  UCD-LOA (least occupied)
ROUND_ROBIN           rrmemory             round-robin                 circular hunting
LINEAR                linear               top-down                    direct / linear hunting
RANDOM                random               random                      --
WEIGHTED_RANDOM       wrandom              --                          --
MOST_SKILLED          --                   --                          EAD-MIA (expert agent)
LAST_AGENT            --                   --                          (last agent routing)
RING_ALL              ringall              ring-all                    (group ringing)
RING_PROGRESSIVELY    --                   ring-progressively          --
====================  ===================  ==========================  ==========================

Ties are broken by the longest idle time, then by the agents' configured order, so every
strategy is deterministic given its random generator.  ``LAST_AGENT`` offers the call to the
agent who last served this caller when that agent is a candidate, and otherwise falls back to
``LONGEST_IDLE``.  ``RING_ALL`` offers the call to every candidate at once (the switch's
forked alerting, :meth:`~pycti.provider.Provider.deflect_call_to_all`): the first to answer
gets it and the other phones stop at once; its ranking is the longest-idle order.
``RING_PROGRESSIVELY`` rings the first agent (longest-idle order), then adds one more ready
agent's phone every ``QueueConfig.progressive_step_s`` while the earlier ones keep ringing.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Candidate", "Choice", "Strategy", "rank"]


class Strategy(enum.Enum):
    """The distribution strategies (see the module docstring for their equivalents)."""

    LONGEST_IDLE = "longestIdle"
    FEWEST_CALLS = "fewestCalls"
    LEAST_TALK_TIME = "leastTalkTime"
    ROUND_ROBIN = "roundRobin"
    LINEAR = "linear"
    RANDOM = "random"
    WEIGHTED_RANDOM = "weightedRandom"
    MOST_SKILLED = "mostSkilled"
    LAST_AGENT = "lastAgent"
    RING_ALL = "ringAll"
    RING_PROGRESSIVELY = "ringProgressively"


@dataclass(frozen=True, slots=True)
class Candidate:
    """What a strategy knows of one ready agent."""

    agent_id: str
    order: int  #: position in the ACD's configured agent list
    idle_since_s: float  #: when the agent last became ready
    calls: int  #: ACD calls answered so far
    talk_s: float  #: time spent on ACD calls so far
    skill_level: int  #: level in the queue's skill, 1-10
    weight: float = 1.0  #: WEIGHTED_RANDOM's weight


@dataclass(frozen=True, slots=True)
class Choice:
    """The inputs a strategy may use beside the candidates."""

    rng: random.Random
    last_offered_order: int = -1  #: ROUND_ROBIN: order of the agent offered last in this queue
    last_agent: str | None = None  #: LAST_AGENT: who served this caller before


def _idle(c: Candidate) -> tuple[float, int]:
    return (c.idle_since_s, c.order)


def _longest_idle(cs: Sequence[Candidate], ch: Choice) -> list[Candidate]:
    return sorted(cs, key=_idle)


def _fewest_calls(cs: Sequence[Candidate], ch: Choice) -> list[Candidate]:
    return sorted(cs, key=lambda c: (c.calls, *_idle(c)))


def _least_talk(cs: Sequence[Candidate], ch: Choice) -> list[Candidate]:
    return sorted(cs, key=lambda c: (c.talk_s, *_idle(c)))


def _round_robin(cs: Sequence[Candidate], ch: Choice) -> list[Candidate]:
    # the next agent after the last one offered, wrapping round the configured order
    return sorted(cs, key=lambda c: (c.order <= ch.last_offered_order, c.order))


def _linear(cs: Sequence[Candidate], ch: Choice) -> list[Candidate]:
    return sorted(cs, key=lambda c: c.order)


def _random(cs: Sequence[Candidate], ch: Choice) -> list[Candidate]:
    out = sorted(cs, key=lambda c: c.order)
    ch.rng.shuffle(out)
    return out


def _weighted_random(cs: Sequence[Candidate], ch: Choice) -> list[Candidate]:
    # Efraimidis-Spirakis: order by u**(1/w), u uniform -- each draw picks with probability w/sum
    keyed = [(ch.rng.random() ** (1.0 / c.weight) if c.weight > 0 else 0.0, c) for c in sorted(cs, key=lambda c: c.order)]
    return [c for _, c in sorted(keyed, key=lambda kc: -kc[0])]


def _most_skilled(cs: Sequence[Candidate], ch: Choice) -> list[Candidate]:
    return sorted(cs, key=lambda c: (-c.skill_level, *_idle(c)))


def _last_agent(cs: Sequence[Candidate], ch: Choice) -> list[Candidate]:
    return sorted(cs, key=lambda c: (c.agent_id != ch.last_agent, *_idle(c)))


_RANKERS: dict[Strategy, Callable[[Sequence[Candidate], Choice], list[Candidate]]] = {
    Strategy.LONGEST_IDLE: _longest_idle,
    Strategy.FEWEST_CALLS: _fewest_calls,
    Strategy.LEAST_TALK_TIME: _least_talk,
    Strategy.ROUND_ROBIN: _round_robin,
    Strategy.LINEAR: _linear,
    Strategy.RANDOM: _random,
    Strategy.WEIGHTED_RANDOM: _weighted_random,
    Strategy.MOST_SKILLED: _most_skilled,
    Strategy.LAST_AGENT: _last_agent,
    Strategy.RING_ALL: _longest_idle,
    Strategy.RING_PROGRESSIVELY: _longest_idle,
}


def rank(strategy: Strategy, candidates: Sequence[Candidate], choice: Choice) -> list[Candidate]:
    """``candidates`` in the order ``strategy`` offers the call to them (first = next)."""
    return _RANKERS[strategy](candidates, choice)
