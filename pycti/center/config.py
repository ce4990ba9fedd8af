"""A call center in one TOML file: what ``pycti serve CONFIG.toml`` runs.

The file (read with the standard library's :mod:`tomllib`) has these parts; every key is
checked, and a wrong file gets a :class:`CenterConfigError` naming the file, the key and its
line (``center.toml:34: queues[2].max_wait_s: must be a number > 0, got 'ten'``)::

    [center]
    name = "Example"            # shown in logs
    country = "CN"              # call-progress tone plan of analog lines
    cdr = "center.db"           # the CDR database (SQLite)

    [sip]                       # where pycti listens for SIP (trunks and phones)
    listen = "127.0.0.1:5060"
    transports = ["udp", "tcp"]
    domain = "pycti.local"      # the realm phones authenticate in
    digest_algorithms = ["SHA-256", "MD5"]  # challenges offered to phones, first preferred

    [[trunks]]                  # SIP trunks to providers
    name = "carrier"
    host = "127.0.0.1"
    port = 5070
    username = "pycti"          # with password and register = true: REGISTER to the provider
    password = "secret"
    register = true
    ip_auth = ["127.0.0.1"]     # or accept calls from these addresses without digest
    channels = 30               # at most this many calls at once
    numbers = ["+861012345678"] # the DNIS numbers it brings

    [sim]                       # simulated analog board (tests, demos, no hardware)
    trunks = 4
    stations = 4
    callers_per_min = 3         # simulated callers ring the sim trunks (0: nobody calls);
                                # the agents at sim stations are simulated too and answer

    [[phones]]                  # SIP phones that register to pycti (stations)
    extension = "8001"
    password = "8001pw"

    [[agents]]
    id = "1001"
    password = "4321"
    skills = { SALES = 7, SUPPORT = 3 }
    auto_answer = false
    wrap_up_s = 10

    [agent_rules]
    wrap_up_s = 5
    max_ring_outs = 2

    [[queues]]
    name = "SALES"
    strategy = "longestIdle"    # see pycti.callcenter.strategies
    offer_timeout_s = 15
    max_wait_s = 300
    overflow_to = "SUPPORT"
    # spoken place and wait, from recorded words (pycti.callcenter.announce)
    announcements = { words = "prompts/words-zh", language = "zh", first_after_s = 15, every_s = 30 }

    [dialplan]                  # called number (DNIS) or dialled digits -> where it goes
    "+861012345678" = "ivr:main"
    "4000" = "queue:SALES"
    default = "ivr:main"

    [voicemail]                 # a voicemail route (overflow_to / dial plan "route:VOICEMAIL")
    route = "VOICEMAIL"
    folder = "voicemail"        # messages (WAV) and their index
    greeting = "prompts/vm.wav"
    max_message_s = 120

    [ivr.main]                  # an IVR route: a flow file (pycti.callcenter.flow) ...
    flow = "flows/main.toml"

    [ivr.simple]                # ... or a one-menu IVR: prompt, digit -> destination
    prompt = "prompts/main.wav" # 8 kHz mono 16-bit WAV, checked when the file loads
    options = { "1" = "queue:SALES", "2" = "queue:SUPPORT" }
    default = "queue:SUPPORT"
    digit_timeout_s = 5
    attempts = 2

Relative paths (``cdr``, prompts) are relative to the file.  Destinations are ``kind:name``
as in :mod:`pycti.switch.dialplan` (``station``, ``queue``, ``ivr``, ``route``); every one
must name something the file defines.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ..callcenter.acd import AgentProfile
from ..callcenter.flow import Flow, FlowError, load_flow
from ..callcenter.announce import LANGUAGES, AnnouncementError, QueueAnnouncer
from ..callcenter.queue_rules import Announcements, QueueConfig
from ..callcenter.strategies import Strategy
from ..dsp.audiofile import read_audio
from ..errors import PyctiError
from ..switch.agents import AgentRules
from ..switch.dialplan import DialPlan, DialPlanError
from .tomlpos import KeyLines
from .tomlpos import Path as KeyPath

__all__ = [
    "CenterConfig", "CenterConfigError", "IvrFlow", "IvrMenu", "PhoneConfig", "SimConfig", "SipConfig",
    "TrunkConfig", "VoicemailConfig", "load_center",
]

T = TypeVar("T")


class CenterConfigError(PyctiError, ValueError):
    """A center file is wrong; the message names the file, the line and the key."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SipConfig:
    listen_host: str = "127.0.0.1"
    listen_port: int = 5060
    transports: tuple[str, ...] = ("udp",)
    domain: str = "pycti.local"
    #: the digest algorithms phones are challenged with, strongest first (some phones, e.g.
    #: baresip 1.0, answer only the first challenge and know only MD5: list "MD5" first)
    digest_algorithms: tuple[str, ...] = ("SHA-256", "MD5")


@dataclass(frozen=True, slots=True, kw_only=True)
class TrunkConfig:
    name: str
    host: str
    port: int = 5060
    transport: str = "udp"
    username: str | None = None
    password: str | None = None
    register: bool = False
    register_expires_s: int = 3600
    ip_auth: tuple[str, ...] = ()
    channels: int = 30
    numbers: tuple[str, ...] = ()
    refer: bool = True  #: transfer callers to external numbers by REFER when the carrier allows it


@dataclass(frozen=True, slots=True, kw_only=True)
class SimConfig:
    trunks: int = 0
    stations: int = 0
    #: simulated callers ring the sim trunks at this mean rate (Poisson; 0: nobody calls), key a
    #: menu digit (1 or 2, now and then none), wait, talk and hang up; simulated agents at the sim
    #: stations answer (the demo's people, :mod:`pycti.demo.people`)
    callers_per_min: float = 0.0
    seed: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class PhoneConfig:
    extension: str
    password: str
    name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IvrMenu:
    name: str
    prompt: Path
    options: Mapping[str, str]
    default: str
    digit_timeout_s: float = 5.0
    attempts: int = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class IvrFlow:
    """An IVR route that runs a declarative flow file (:mod:`pycti.callcenter.flow`)."""

    name: str
    flow: Flow


@dataclass(frozen=True, slots=True, kw_only=True)
class VoicemailConfig:
    """The voicemail route: its device name, the message folder, greeting and length limit."""

    route: str = "VOICEMAIL"
    folder: Path = Path("voicemail")
    greeting: Path | None = None
    max_message_s: float = 120.0


@dataclass(frozen=True, slots=True, kw_only=True)
class CenterConfig:
    """A whole center (see the module docstring)."""

    path: Path
    name: str = "pycti"
    country: str = "CN"
    cdr_path: Path = Path("pycti-center.db")
    sip: SipConfig | None = None
    trunks: tuple[TrunkConfig, ...] = ()
    sim: SimConfig = SimConfig()
    phones: tuple[PhoneConfig, ...] = ()
    agents: tuple[AgentProfile, ...] = ()
    agent_rules: AgentRules = AgentRules()
    queues: tuple[QueueConfig, ...] = ()
    dial_plan: DialPlan | None = None
    #: incoming called numbers (DNIS) -> the device they go to, from the dial plan's exact keys
    dnis: Mapping[str, str] = dataclasses.field(default_factory=dict)
    ivr: tuple[IvrMenu | IvrFlow, ...] = ()
    voicemail: VoicemailConfig | None = None
    #: agent id -> the station it is logged on at when the center starts (``station`` key)
    agent_stations: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def stations(self) -> tuple[str, ...]:
        """The directory numbers of the simulated stations (8001 up)."""
        return tuple(str(8001 + i) for i in range(self.sim.stations))


class _Reader:
    """Walks the parsed file, keeping the key path for error messages."""

    def __init__(self, path: Path, lines: KeyLines) -> None:
        self.path, self.lines = path, lines

    def fail(self, at: KeyPath, problem: str) -> CenterConfigError:
        line = self.lines.line(at)
        where = f"{self.path.name}:{line}" if line is not None else self.path.name
        key = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(at))
        return CenterConfigError(f"{where}: {key or 'file'}: {problem}")

    def table(self, data: Mapping[str, Any], at: KeyPath, known: set[str]) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            raise self.fail(at, f"must be a table, got {type(data).__name__}")
        for key in data:
            if key not in known:
                raise self.fail((*at, key), f"unknown key (expected one of {', '.join(sorted(known))})")
        return data

    def _value(self, data: Mapping[str, Any], at: KeyPath, key: str, kind: type[T],
               check: Callable[[T], bool] | None, what: str) -> T:
        value = data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
        if not ok or (check is not None and not check(value)):
            need = what or f"a {kind.__name__}"
            raise self.fail((*at, key), f"must be {need}, got {data[key]!r}")
        checked: T = value
        return checked

    def get(self, data: Mapping[str, Any], at: KeyPath, key: str, kind: type[T], default: T,
            check: Callable[[T], bool] | None = None, what: str = "") -> T:
        return default if key not in data else self._value(data, at, key, kind, check, what)

    def opt(self, data: Mapping[str, Any], at: KeyPath, key: str, kind: type[T],
            check: Callable[[T], bool] | None = None, what: str = "") -> T | None:
        return None if key not in data else self._value(data, at, key, kind, check, what)

    def need(self, data: Mapping[str, Any], at: KeyPath, key: str, kind: type[T], what: str = "") -> T:
        if key not in data:
            raise self.fail(at, f"needs '{key}'")
        return self._value(data, at, key, kind, None, what)

    def strings(self, data: Mapping[str, Any], at: KeyPath, key: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail((*at, key), f"must be a list of strings, got {value!r}")
        return tuple(value)


def _positive(x: float) -> bool:
    return x > 0


def load_center(path: str | Path) -> CenterConfig:
    """Read and check a center file (see the module docstring)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CenterConfigError(f"{path}: cannot read the center file: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CenterConfigError(f"{path.name}: not valid TOML: {exc}") from None
    r = _Reader(path, KeyLines(text))
    base = path.parent
    top = r.table(data, (), {"center", "sip", "trunks", "sim", "phones", "agents", "agent_rules", "queues",
                            "dialplan", "ivr", "voicemail"})
    c = r.table(top.get("center", {}), ("center",), {"name", "country", "cdr"})
    cfg: dict[str, Any] = {
        "path": path,
        "name": r.get(c, ("center",), "name", str, "pycti"),
        "country": r.get(c, ("center",), "country", str, "CN", lambda s: len(s) == 2, "a two-letter country code"),
        "cdr_path": base / r.get(c, ("center",), "cdr", str, "pycti-center.db"),
    }
    if "sip" in top:
        cfg["sip"] = _sip(r, top["sip"])
    cfg["trunks"] = tuple(_trunk(r, t, i) for i, t in enumerate(_array(r, top, "trunks")))
    s = r.table(top.get("sim", {}), ("sim",), {"trunks", "stations", "callers_per_min", "seed"})
    cfg["sim"] = SimConfig(trunks=r.get(s, ("sim",), "trunks", int, 0, lambda n: 0 <= n <= 512, "0-512"),
                           stations=r.get(s, ("sim",), "stations", int, 0, lambda n: 0 <= n <= 512, "0-512"),
                           callers_per_min=r.get(s, ("sim",), "callers_per_min", float, 0.0,
                                                 lambda x: 0 <= x <= 6000, "a number 0-6000"),
                           seed=r.get(s, ("sim",), "seed", int, 1))
    if cfg["sim"].callers_per_min and not cfg["sim"].trunks:
        raise r.fail(("sim", "callers_per_min"), "simulated callers need [sim] trunks to ring")
    cfg["phones"] = tuple(_phone(r, p, i) for i, p in enumerate(_array(r, top, "phones")))
    agents = _array(r, top, "agents")
    cfg["agents"] = tuple(_agent(r, a, i) for i, a in enumerate(agents))
    cfg["agent_stations"] = {a["id"]: r.need(a, ("agents", i), "station", str, "a station number")
                             for i, a in enumerate(agents) if "station" in a}
    ar = r.table(top.get("agent_rules", {}), ("agent_rules",), {"wrap_up_s", "max_ring_outs", "ready_on_login"})
    cfg["agent_rules"] = AgentRules(
        default_wrap_up_ms=int(1000 * r.get(ar, ("agent_rules",), "wrap_up_s", float, 0.0, lambda x: x >= 0, "a number >= 0")),
        max_ring_outs=r.get(ar, ("agent_rules",), "max_ring_outs", int, 0, lambda n: n >= 0, "an integer >= 0"),
        ready_on_login=r.get(ar, ("agent_rules",), "ready_on_login", bool, False),
    )
    cfg["queues"] = tuple(_queue(r, q, i, base) for i, q in enumerate(_array(r, top, "queues")))
    ivr = r.table(top.get("ivr", {}), ("ivr",), set(top.get("ivr", {})))
    cfg["ivr"] = tuple(_menu(r, name, m, base) for name, m in ivr.items())
    if "dialplan" in top:
        plan = r.table(top["dialplan"], ("dialplan",), set(top["dialplan"]))
        try:
            cfg["dial_plan"] = DialPlan.from_dict(plan)
        except DialPlanError as exc:
            raise r.fail(("dialplan",), str(exc)) from None
        cfg["dnis"] = {key: value.partition(":")[2] for key, value in plan.items()
                       if isinstance(value, str) and key.lstrip("+").isdigit() and ":" in value}
    if "voicemail" in top:
        cfg["voicemail"] = _voicemail(r, top["voicemail"], base)
    center = CenterConfig(**cfg)
    _check_references(r, center, top)
    return center


def _array(r: _Reader, top: Mapping[str, Any], key: str) -> list[Any]:
    value = top.get(key, [])
    if not isinstance(value, list):
        raise r.fail((key,), f"must be an array of tables ([[{key}]]), got {type(value).__name__}")
    return value


def _host_port(r: _Reader, at: KeyPath, text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536 or not host:
        raise r.fail(at, f"must be HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


def _sip(r: _Reader, data: Any) -> SipConfig:
    at: KeyPath = ("sip",)
    s = r.table(data, at, {"listen", "transports", "domain", "digest_algorithms"})
    host, port = _host_port(r, (*at, "listen"), r.get(s, at, "listen", str, "127.0.0.1:5060"))
    transports = r.strings(s, at, "transports") or ("udp",)
    for t in transports:
        if t not in ("udp", "tcp"):
            raise r.fail((*at, "transports"), f"transport must be 'udp' or 'tcp', got {t!r}")
    algorithms = r.strings(s, at, "digest_algorithms") or ("SHA-256", "MD5")
    for alg in algorithms:
        if alg not in ("SHA-256", "MD5", "SHA-512-256"):
            raise r.fail((*at, "digest_algorithms"), f"digest algorithm must be SHA-256, SHA-512-256 or MD5, got {alg!r}")
    return SipConfig(listen_host=host, listen_port=port, transports=transports,
                     domain=r.get(s, at, "domain", str, "pycti.local"), digest_algorithms=algorithms)


def _trunk(r: _Reader, data: Any, i: int) -> TrunkConfig:
    at: KeyPath = ("trunks", i)
    t = r.table(data, at, {f.name for f in dataclasses.fields(TrunkConfig)})
    trunk = TrunkConfig(
        name=r.need(t, at, "name", str), host=r.need(t, at, "host", str),
        port=r.get(t, at, "port", int, 5060, lambda p: 0 < p < 65536, "a port 1-65535"),
        transport=r.get(t, at, "transport", str, "udp", lambda x: x in ("udp", "tcp"), "'udp' or 'tcp'"),
        username=r.opt(t, at, "username", str), password=r.opt(t, at, "password", str),
        register=r.get(t, at, "register", bool, False),
        register_expires_s=r.get(t, at, "register_expires_s", int, 3600, lambda n: n >= 60, "an integer >= 60"),
        ip_auth=r.strings(t, at, "ip_auth"),
        channels=r.get(t, at, "channels", int, 30, lambda n: 1 <= n <= 10_000, "1-10000"),
        numbers=r.strings(t, at, "numbers"), refer=r.get(t, at, "refer", bool, True),
    )
    if trunk.register and (trunk.username is None or trunk.password is None):
        raise r.fail((*at, "register"), "registering needs username and password")
    if not trunk.register and not trunk.ip_auth and trunk.password is None:
        raise r.fail(at, "a trunk needs register = true (with username/password) or ip_auth addresses")
    return trunk


def _phone(r: _Reader, data: Any, i: int) -> PhoneConfig:
    at: KeyPath = ("phones", i)
    p = r.table(data, at, {"extension", "password", "name"})
    ext = r.need(p, at, "extension", str, "an extension number")
    if not ext.isdigit():
        raise r.fail((*at, "extension"), f"must be digits, got {ext!r}")
    return PhoneConfig(extension=ext, password=r.need(p, at, "password", str), name=r.opt(p, at, "name", str))


def _agent(r: _Reader, data: Any, i: int) -> AgentProfile:
    at: KeyPath = ("agents", i)
    a = r.table(data, at, {"id", "password", "skills", "auto_answer", "weight", "wrap_up_s", "station"})
    skills = r.get(a, at, "skills", dict, {})
    for queue, level in skills.items():
        if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 10:
            raise r.fail((*at, "skills", queue), f"skill level must be 1-10, got {level!r}")
    wrap = a.get("wrap_up_s")
    return AgentProfile(
        agent_id=r.need(a, at, "id", str), password=r.opt(a, at, "password", str),
        skills=dict(skills), auto_answer=r.get(a, at, "auto_answer", bool, False),
        weight=r.get(a, at, "weight", float, 1.0, _positive, "a number > 0"),
        wrap_up_ms=None if wrap is None else int(1000 * r.get(a, at, "wrap_up_s", float, 0.0, lambda x: x >= 0, "a number >= 0")),
    )


_QUEUE_NUMBERS = ("offer_timeout_s", "max_wait_s", "overflow_calls_per_agent", "default_aht_s")


def _queue(r: _Reader, data: Any, i: int, base: Path) -> QueueConfig:
    at: KeyPath = ("queues", i)
    q = r.table(data, at, {"name", "strategy", "min_skill_level", "max_length", "join_empty", "leave_empty",
                           "overflow_to", "closed_to", "exit_keys", "announcements", *_QUEUE_NUMBERS})
    strategies = {s.value: s for s in Strategy}
    strategy = r.get(q, at, "strategy", str, "longestIdle", lambda s: s in strategies,
                     f"one of {', '.join(strategies)}")
    kw: dict[str, Any] = {k: r.opt(q, at, k, float, _positive, "a number > 0")
                          for k in _QUEUE_NUMBERS if k in q}
    exit_keys = r.get(q, at, "exit_keys", dict, {})
    if "announcements" in q:
        kw["announcements"] = _announcements(r, q["announcements"], (*at, "announcements"), base)
    try:
        return QueueConfig(
            name=r.need(q, at, "name", str), strategy=strategies[strategy],
            min_skill_level=r.get(q, at, "min_skill_level", int, 1, lambda n: 1 <= n <= 10, "1-10"),
            max_length=r.opt(q, at, "max_length", int, lambda n: n >= 1, "an integer >= 1"),
            join_empty=r.get(q, at, "join_empty", bool, True), leave_empty=r.get(q, at, "leave_empty", bool, False),
            overflow_to=_target(r, q, at, "overflow_to"), closed_to=_target(r, q, at, "closed_to"),
            exit_keys={k: str(v) for k, v in exit_keys.items()}, **kw,
        )
    except ValueError as exc:
        raise r.fail(at, str(exc)) from None


def _announcements(r: _Reader, data: Any, at: KeyPath, base: Path) -> Announcements:
    """``announcements = { words = "prompts/en", language = "en", first_after_s = 15,
    every_s = 30, say_wait = true }``: position and estimated wait spoken from recorded words
    (:class:`~pycti.callcenter.announce.QueueAnnouncer`), read and checked now."""
    a = r.table(data, at, {"words", "language", "first_after_s", "every_s", "say_wait"})
    folder = base / r.need(a, at, "words", str, "the folder of the recorded words")
    language = r.get(a, at, "language", str, "en", lambda s: s in LANGUAGES, f"one of {', '.join(LANGUAGES)}")
    try:
        announcer = QueueAnnouncer.from_folder(folder, language, say_wait=r.get(a, at, "say_wait", bool, True))
    except AnnouncementError as exc:
        raise r.fail((*at, "words"), str(exc)) from None
    return Announcements(render=announcer, first_after_s=r.get(a, at, "first_after_s", float, 15.0, _positive, "a number > 0"),
                         every_s=r.get(a, at, "every_s", float, 30.0, _positive, "a number > 0"))


def _target(r: _Reader, data: Mapping[str, Any], at: KeyPath, key: str) -> str | None:
    value = r.get(data, at, key, str, None)
    if value is None:
        return None
    kind, _, name = value.partition(":")
    return name if kind in ("queue", "station", "ivr", "route") and name else value


def _menu(r: _Reader, name: str, data: Any, base: Path) -> IvrMenu | IvrFlow:
    at: KeyPath = ("ivr", name)
    if isinstance(data, Mapping) and "flow" in data:
        f = r.table(data, at, {"flow"})
        path = base / r.need(f, at, "flow", str, "the path of a flow file")
        try:
            return IvrFlow(name=name, flow=load_flow(path))
        except FlowError as exc:
            raise r.fail((*at, "flow"), f"flow file {path}:\n{exc}") from None
    m = r.table(data, at, {"prompt", "options", "default", "digit_timeout_s", "attempts"})
    options = r.need(m, at, "options", dict, "a table of digit = destination")
    for digit, dest in options.items():
        if len(digit) != 1 or digit not in "0123456789*#" or not isinstance(dest, str):
            raise r.fail((*at, "options", digit), f"must map one DTMF digit to a destination, got {digit!r} = {dest!r}")
    prompt = base / r.need(m, at, "prompt", str, "the path of a WAV prompt")
    try:
        read_audio(prompt)  # checked now, not when the first caller arrives
    except (OSError, ValueError) as exc:
        raise r.fail((*at, "prompt"), f"prompt {prompt}: {exc}") from None
    return IvrMenu(name=name, prompt=prompt, options=dict(options), default=r.need(m, at, "default", str),
                   digit_timeout_s=r.get(m, at, "digit_timeout_s", float, 5.0, _positive, "a number > 0"),
                   attempts=r.get(m, at, "attempts", int, 2, lambda n: 1 <= n <= 10, "1-10"))


def _voicemail(r: _Reader, data: Any, base: Path) -> VoicemailConfig:
    at: KeyPath = ("voicemail",)
    v = r.table(data, at, {"route", "folder", "greeting", "max_message_s"})
    greeting = r.opt(v, at, "greeting", str)
    if greeting is not None:
        try:
            read_audio(base / greeting)
        except (OSError, ValueError) as exc:
            raise r.fail((*at, "greeting"), f"greeting {base / greeting}: {exc}") from None
    return VoicemailConfig(route=r.get(v, at, "route", str, "VOICEMAIL"),
                           folder=base / r.get(v, at, "folder", str, "voicemail"),
                           greeting=None if greeting is None else base / greeting,
                           max_message_s=r.get(v, at, "max_message_s", float, 120.0, _positive, "a number > 0"))


def _check_references(r: _Reader, c: CenterConfig, top: Mapping[str, Any]) -> None:
    """Every destination names something the file defines."""
    queues = {q.name for q in c.queues}
    menus = {m.name for m in c.ivr}
    stations = {p.extension for p in c.phones}
    known = queues | menus | stations | ({c.voicemail.route} if c.voicemail is not None else set())
    for i, q in enumerate(c.queues):
        for key in ("overflow_to", "closed_to"):
            target = getattr(q, key)
            if target is not None and target not in known:
                raise r.fail(("queues", i, key), f"{target!r} is no queue, IVR or phone of this file")
    for i, a in enumerate(c.agents):
        for queue in a.skills:
            if queue not in queues:
                raise r.fail(("agents", i, "skills", queue), f"no queue {queue!r} in this file")
    for i, a in enumerate(c.agents):
        station = c.agent_stations.get(a.agent_id)
        if station is not None and station not in (*c.stations(), *stations):
            raise r.fail(("agents", i, "station"), f"no station {station!r} ([sim] stations are 8001 up)")
    for number, device in c.dnis.items():
        if device not in known:
            raise r.fail(("dialplan", number), f"{device!r} is no queue, IVR or phone of this file")
    for m in c.ivr:
        if isinstance(m, IvrFlow):
            continue  # a flow file names its own destinations, checked when it loaded
        for digit, dest in [*m.options.items(), ("default", m.default)]:
            kind, _, name = dest.partition(":")
            pool = {"queue": queues, "ivr": menus, "station": stations,
                    "route": {c.voicemail.route} if c.voicemail is not None else set()}.get(kind)
            if pool is None or name not in pool:
                at: KeyPath = ("ivr", m.name, "options", digit) if digit != "default" else ("ivr", m.name, "default")
                raise r.fail(at, f"{dest!r} is not queue:/ivr:/station: of something this file defines")
