"""What a fax terminal (:mod:`pycti.fax.terminal`) is set up with and what it reports.

* :class:`FaxOptions`: the capabilities the terminal announces in DIS or may choose in DCS
  (T.30 Table 2): image modems, ECM (Annex A) with its frame size (64 or 256 octets,
  T.4 A.3.6), codings (T.4 MH/MR, T.6 MMR), the local
  identifier (CSI/TSI/CIG, T.30 5.3.6.2.4), the answer tone's length (CED, T.30 5.2.2:
  2.6 to 4 s), and polling (``poll``: the document goes from the answering terminal to the
  calling one, DIS bit 9 and DTC).
* Progress events, one per phase B negotiation and per page: :class:`Negotiated`,
  :class:`PageSent`, :class:`PageReceived`, :class:`PageIncomplete`; :class:`CallEnded` last.
* :class:`FaxResult`: how the call ended (the T.30 result code), pages, bit rate, ECM, coding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias

from pycti.fax.t30_dis import Modem
from pycti.fax.t30_io import T30Result
from pycti.fax.t4_types import Coding, Resolution
from pycti.fax.terminal_modems import DEFAULT_MODEMS, IMAGE_MODEMS, FaxTerminalError

__all__ = [
    "CallEnded",
    "FaxEvent",
    "FaxOptions",
    "FaxResult",
    "Negotiated",
    "PageIncomplete",
    "PageReceived",
    "PageSent",
]

CED_MIN_MS, CED_MAX_MS = 2600, 4000  # T.30 5.2.2: CED lasts 2.6 to 4 s


@dataclass(frozen=True, slots=True, kw_only=True)
class FaxOptions:
    """A terminal's capabilities; the defaults offer everything pycti has."""

    #: offered by default: V.27ter and V.29; V.17 when asked for (modems={..., Modem.V17})
    modems: frozenset[Modem] = field(default_factory=lambda: DEFAULT_MODEMS)
    ecm: bool = True
    codings: frozenset[Coding] = frozenset({Coding.MH, Coding.MR, Coding.MMR})
    local_id: str = ""
    ecm_frame_octets: int = 256
    ced_ms: int = 3000
    cng: bool = True
    #: polling (T.30 DIS bit 9, DTC): a calling terminal polls the far end (on a DIS with bit 9
    #: it sends CIG + DTC and receives; without bit 9 the call ends POLLING_NOT_OFFERED); an
    #: answering terminal offers its document to be polled (its DIS sets bit 9, a DTC makes
    #: it transmit), and still receives a caller that sends DCS
    poll: bool = False

    def __post_init__(self) -> None:
        if not CED_MIN_MS <= self.ced_ms <= CED_MAX_MS:
            raise FaxTerminalError(f"ced_ms {self.ced_ms} outside T.30's "
                                   f"{CED_MIN_MS}..{CED_MAX_MS} ms")
        if self.ecm_frame_octets not in (64, 256):
            raise FaxTerminalError(f"ecm_frame_octets {self.ecm_frame_octets} (T.4 A.3.6 "
                                   "allows 64 or 256)")
        bad = sorted(c.value for c in self.codings if c not in (Coding.MH, Coding.MR, Coding.MMR))
        if bad:
            raise FaxTerminalError(f"coding(s) {', '.join(bad)} cannot be used on a fax line")


@dataclass(frozen=True, slots=True, kw_only=True)
class Negotiated:
    """Phase B chose a mode (DCS sent or received)."""

    modem: Modem
    rate_bps: int
    coding: Coding
    resolution: Resolution
    ecm: bool
    remote_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PageSent:
    """A page went out; ``response`` is the far end's answer (MCF, RTP or RTN)."""

    page_number: int
    rate_bps: int
    coding: Coding
    response: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PageReceived:
    """A whole page came in and was decoded: ``lines`` scan lines, ``bad_lines`` of them
    in error; ``response`` is the terminal's answer."""

    page_number: int
    rate_bps: int
    coding: Coding
    lines: int
    bad_lines: int
    response: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PageIncomplete:
    """The call ended during page ``page_number``: the ``lines`` decoded so far are kept."""

    page_number: int
    lines: int
    bad_lines: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FaxResult:
    """How a call ended: ``result`` (its :attr:`code` is the T.30 result's name), pages sent
    or received whole, pages kept incomplete, the last bit rate, modem, ECM and coding, the
    number of trainings (DCS/TCF and CTC) and of ECM frames sent again after PPR."""

    result: T30Result
    pages: int
    incomplete_pages: int
    rate_bps: int
    modem: Modem | None
    ecm: bool
    coding: Coding | None
    remote_id: str
    trainings: int = 0
    ecm_frames_resent: int = 0

    @property
    def code(self) -> str:
        """The result code's name, e.g. ``"OK"``."""
        return self.result.name

    @property
    def ok(self) -> bool:
        """True when the call completed normally."""
        return self.result is T30Result.OK

    def summary(self) -> str:
        """One line: ``result=OK pages=2 rate=9600 modem=V.29 ecm=on coding=MMR``."""
        modem = self.modem.value if self.modem else "-"
        coding = self.coding.value if self.coding else "-"
        text = (f"result={self.code} pages={self.pages} rate={self.rate_bps} modem={modem} "
                f"ecm={'on' if self.ecm else 'off'} coding={coding}")
        if self.incomplete_pages:
            text += f" incomplete={self.incomplete_pages}"
        return text + (f" remote={self.remote_id!r}" if self.remote_id else "")


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEnded:
    """The call is over; ``result`` says how."""

    result: FaxResult


FaxEvent: TypeAlias = Negotiated | PageSent | PageReceived | PageIncomplete | CallEnded
