"""Call-center figures from call detail records: offered, answered, abandoned, ASA, service level.

Definitions (the usual contact-center ones, stated so figures can be compared):

* offered: calls that reached a queue (answered + abandoned in queue);
* ASA (average speed of answer): mean queue wait of answered calls, seconds;
* service level: calls answered within ``sl_threshold_s`` / calls answered (the issue's
  definition; some centers divide by offered instead — ``service_level_offered`` gives that);
* abandon rate: abandoned / offered;
* AHT (average handle time): mean talk time of answered calls (wrap-up not included);
* occupancy of an agent: talk time / the report's period (first arrival to last call end).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .cdr import CallRecord

__all__ = ["GroupStats", "Report", "summarize", "format_report", "write_csv"]


@dataclass(slots=True)
class GroupStats:
    """Figures for one queue, one agent, or the whole center."""

    name: str
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    answered_in_sl: int = 0
    wait_answered_s: float = 0.0
    talk_s: float = 0.0

    @property
    def asa_s(self) -> float:
        return self.wait_answered_s / self.answered if self.answered else 0.0

    @property
    def service_level(self) -> float:
        """Answered within the threshold / answered (0 when none answered)."""
        return self.answered_in_sl / self.answered if self.answered else 0.0

    @property
    def service_level_offered(self) -> float:
        return self.answered_in_sl / self.offered if self.offered else 0.0

    @property
    def abandon_rate(self) -> float:
        return self.abandoned / self.offered if self.offered else 0.0

    @property
    def aht_s(self) -> float:
        return self.talk_s / self.answered if self.answered else 0.0

    def add(self, r: CallRecord, sl_threshold_s: float) -> None:
        if r.outcome == "answered":
            self.offered += 1
            self.answered += 1
            wait = r.wait_s or 0.0
            self.wait_answered_s += wait
            self.answered_in_sl += wait <= sl_threshold_s
            self.talk_s += r.talk_s or 0.0
        elif r.outcome == "abandoned":
            self.offered += 1
            self.abandoned += 1


@dataclass(slots=True)
class Report:
    """The whole center, then per queue and per agent."""

    sl_threshold_s: float
    period_s: float = 0.0  #: from the first arrival to the end of the last call
    calls: int = 0
    ivr_only: int = 0
    transferred: int = 0  #: sent on out of the IVR without reaching a queue or an agent
    blocked: int = 0
    total: GroupStats = field(default_factory=lambda: GroupStats("all"))
    queues: dict[str, GroupStats] = field(default_factory=dict)
    agents: dict[str, GroupStats] = field(default_factory=dict)


def summarize(records: Iterable[CallRecord], *, sl_threshold_s: float = 20.0) -> Report:
    """Fold call records into a :class:`Report`."""
    rep = Report(sl_threshold_s=sl_threshold_s)
    first, last = float("inf"), float("-inf")
    for r in records:
        rep.calls += 1
        first, last = min(first, r.arrived_s), max(last, r.ended_s)
        if r.outcome == "ivr":
            rep.ivr_only += 1
            continue
        if r.outcome == "blocked":
            rep.blocked += 1
            continue
        if r.outcome == "transferred":
            rep.transferred += 1
            continue
        rep.total.add(r, sl_threshold_s)
        if r.queue:
            rep.queues.setdefault(r.queue, GroupStats(r.queue)).add(r, sl_threshold_s)
        if r.agent and r.outcome == "answered":
            rep.agents.setdefault(r.agent, GroupStats(r.agent)).add(r, sl_threshold_s)
    rep.queues = dict(sorted(rep.queues.items()))
    rep.agents = dict(sorted(rep.agents.items()))
    rep.period_s = max(0.0, last - first) if rep.calls else 0.0
    return rep


def _row(g: GroupStats) -> str:
    return (
        f"{g.name:<12}{g.offered:>8}{g.answered:>9}{g.abandoned:>10}"
        f"{g.abandon_rate * 100:>9.1f}%{g.asa_s:>8.1f}{g.service_level * 100:>8.1f}%{g.aht_s:>8.1f}"
    )


def _agent_row(g: GroupStats, period_s: float) -> str:
    occupancy = g.talk_s / period_s if period_s > 0 else 0.0
    return (
        f"{g.name:<12}{g.answered:>9}{g.asa_s:>8.1f}{g.service_level * 100:>8.1f}%{g.aht_s:>8.1f}"
        f"{g.talk_s:>10.0f}{occupancy * 100:>11.1f}%"
    )


def format_report(rep: Report) -> str:
    """The report as text: totals, then per queue and per agent."""
    head = f"{'':<12}{'offered':>8}{'answered':>9}{'abandoned':>10}{'aband.':>10}{'ASA s':>8}{'SL':>9}{'AHT s':>8}"
    agent_head = f"{'':<12}{'answered':>9}{'ASA s':>8}{'SL':>9}{'AHT s':>8}{'talk s':>10}{'occupancy':>12}"
    lines = [
        f"calls arrived: {rep.calls}   ended in IVR: {rep.ivr_only}   transferred out: {rep.transferred}"
        f"   blocked (no trunk): {rep.blocked}",
        f"service level = answered within {rep.sl_threshold_s:g} s / answered; "
        f"period {rep.period_s / 60:.1f} min",
        "",
        head,
        _row(rep.total),
        "",
        "per queue",
        head,
        *(_row(g) for g in rep.queues.values()),
        "",
        "per agent (occupancy = talk time / period)",
        agent_head,
        *(_agent_row(g, rep.period_s) for g in rep.agents.values()),
    ]
    return "\n".join(lines)


def write_csv(rep: Report, path: str | Path) -> None:
    """Write the report's rows (scope, name, figures) as CSV."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["scope", "name", "offered", "answered", "abandoned", "abandon_rate", "asa_s",
                    "service_level", "aht_s", "occupancy"])
        for scope, groups in (("total", [rep.total]), ("queue", rep.queues.values()), ("agent", rep.agents.values())):
            for g in groups:
                w.writerow([scope, g.name, g.offered, g.answered, g.abandoned,
                            round(g.abandon_rate, 4), round(g.asa_s, 3), round(g.service_level, 4), round(g.aht_s, 3),
                            round(g.talk_s / rep.period_s, 4) if scope == "agent" and rep.period_s else ""])
