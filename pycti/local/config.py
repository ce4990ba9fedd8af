"""Configuration of a local soft switch (frozen; units in names)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..switch.agents import AgentConfig, AgentRules
from ..switch.dialplan import DialPlan
from ..switch.timers import TimerConfig

__all__ = ["SwitchConfig"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SwitchConfig:
    """How to build a local switch over the simulated board.

    Trunk devices are named ``T00``, ``T01`` ...; station devices get directory numbers from
    ``first_station_number`` up.  ``routes`` are IVR / route-point devices an application answers;
    ``queues`` are ACD devices.  Incoming trunk calls go to ``default_route`` (or the first route).
    """

    driver: str = "sim"
    trunks: int = 24
    stations: int = 8
    first_station_number: int = 8001
    routes: tuple[str, ...] = ("IVR",)
    queues: tuple[str, ...] = ()
    default_route: str | None = None
    country: str = "CN"  #: call-progress tone plan used to detect far-end disconnect
    seed: int = 0
    realtime: bool = False  #: True: pace ticks in wall time; False: virtual time, as fast as the CPU allows
    tick_ms: int = 20
    report_loop_drop: bool = False  #: whether the simulated lines report loop-current drop
    caller_id: str = "fsk"  #: how trunks receive caller ID: "fsk", "dtmf" or "none"
    pickup_groups: dict[str, str] = field(default_factory=dict)  #: station -> pickup group
    #: DNIS routing: called number of an incoming call -> the device it goes to (a route,
    #: queue or station); numbers not listed go to ``default_route``
    dnis: dict[str, str] = field(default_factory=dict)
    #: what stations dial: extensions, routes, queues, trunk access codes (None: device ids,
    #: anything else as an external number at the inter-digit timeout)
    dial_plan: DialPlan | None = None
    timers: TimerConfig = field(default_factory=TimerConfig)  #: first/inter-digit, ring-no-answer
    no_answer_forward: str | None = None  #: where a station call goes after ring_no_answer_ms
    #: listen for fax and modem tones (CNG, CED, ANSam) on the ports without a DSP: a
    #: ToneDetected event on the call (costs a tone detector per port)
    detect_fax_tones: bool = False
    #: ACD agents the switch knows (they log on at any station with SetAgentState)
    agents: tuple[AgentConfig, ...] = ()
    agent_rules: AgentRules = field(default_factory=AgentRules)  #: wrap-up and ring-out rules
    #: False: signalling only, for staffing what-ifs.  Calls, queues, agents and timers run;
    #: the media plane does not tick (no audio between parties, no prompts, recordings or
    #: taps, no in-band DTMF detection) and drivers run no audio detectors: the sim board is
    #: only advanced in time.  Digits then come out of band (``DigitsReceived``) or as the
    #: number of a MakeCall.  On analog trunks: no FSK/DTMF caller ID (a call is offered after
    #: ``rings_before_offer`` rings with the caller unavailable), no busy/congestion/ringback
    #: (far-end disconnect needs ``report_loop_drop``; outgoing answer needs battery reversal).
    media: bool = True
    #: True: run the DTMF detector only on ports in a call or dialling (where the switch takes
    #: digits), each port reset when it is enabled again.  Digits are the same, but those
    #: of a bank built or resumed off the 100 ms analysis grid are reported up to 80 ms
    #: apart from the always-on detector, so a run's timings can differ slightly.
    dtmf_only_in_calls: bool = False

    def __post_init__(self) -> None:
        if self.trunks < 0 or self.stations < 0:
            raise ValueError("trunks and stations must be >= 0")
        if self.tick_ms <= 0 or (self.tick_ms * 8) != int(self.tick_ms * 8):
            raise ValueError(f"tick_ms must be a positive whole number of 1/8 ms, got {self.tick_ms}")
        if self.caller_id not in ("fsk", "dtmf", "none"):
            raise ValueError(f"caller_id must be 'fsk', 'dtmf' or 'none', got {self.caller_id!r}")

    @property
    def tick_samples(self) -> int:
        """Samples per media tick at 8 kHz."""
        return int(self.tick_ms * 8)

    def trunk_device(self, port: int) -> str:
        return f"T{port:02d}"

    def station_device(self, index: int) -> str:
        return str(self.first_station_number + index)
