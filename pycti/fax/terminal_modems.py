"""The image modems a fax terminal can offer, behind one registry (T.30 clause 5.3.1).

T.30 carries the training check and the page data on an image modem: V.27ter (2400 and
4800 bit/s, T.30 clause 5.3.1 "mandatory" for Group 3), V.29 (7200 and 9600 bit/s) and V.17
(7200 to 14400 bit/s).  DIS bits 11-14 (Table 2/T.30) can only announce certain sets of
them; :func:`dis_modems` maps the set a terminal implements onto that announcement.

:data:`IMAGE_MODEMS` names every modem pycti has: V.27ter (:mod:`pycti.dsp.v27ter`), V.29
(:mod:`pycti.dsp.v29`) and V.17 (:mod:`pycti.dsp.v17`, with its short training for the page
data that follows a TCF at the same rate).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pycti.dsp.modem import ModemReceiver, ModemTransmitter
from pycti.dsp.v17 import V17Receiver, V17Transmitter
from pycti.dsp.v27ter import V27terReceiver, V27terTransmitter
from pycti.dsp.v29 import V29Receiver, V29Transmitter
from pycti.errors import PyctiError
from pycti.fax.t30_dis import DisModems, Modem, ModemRate

__all__ = [
    "DEFAULT_MODEMS",
    "IMAGE_MODEMS",
    "FaxTerminalError",
    "ImageModem",
    "dis_modems",
    "image_modem",
    "parse_modems",
]


class FaxTerminalError(PyctiError, ValueError):
    """A fax terminal option or document the terminal cannot use (the message names it)."""


@dataclass(frozen=True, slots=True)
class ImageModem:
    """One image modem: its name on the command line and its two halves, built per
    transmission at a data signalling rate.

    A modem with a short training (V.17) sends the TCF with the long one and the image data
    that follows at the same rate with the short one (``short_transmitter``); its receiver
    keeps the equalizer it trained on the TCF and is ``resume``d for the short training."""

    modem: Modem
    name: str
    transmitter: Callable[[int], ModemTransmitter]
    receiver: Callable[[int], ModemReceiver]
    short_transmitter: Callable[[int], ModemTransmitter] | None = None
    resume: Callable[[ModemReceiver], None] | None = None


def _v17_resume(receiver: ModemReceiver) -> None:
    """Make a V.17 receiver that trained on a TCF ready for the short training of the page."""
    if not isinstance(receiver, V17Receiver):
        raise FaxTerminalError(f"only a V.17 receiver resumes with the short training, got {type(receiver).__name__}")
    receiver.reset(short_training=True)


#: Every image modem pycti implements, keyed by the T.30 modem.
IMAGE_MODEMS: dict[Modem, ImageModem] = {
    Modem.V27TER: ImageModem(Modem.V27TER, "V27ter", V27terTransmitter, V27terReceiver),
    Modem.V29: ImageModem(Modem.V29, "V29", V29Transmitter, V29Receiver),
    Modem.V17: ImageModem(
        Modem.V17, "V17", V17Transmitter, V17Receiver,
        short_transmitter=lambda rate: V17Transmitter(rate, short_training=True),
        resume=lambda rx: _v17_resume(rx),
    ),
}

#: What a terminal offers unless told otherwise: V.27ter and V.29.  V.17 is offered on request:
#: it interoperates with spandsp, but its behaviour at the edge of the noise it copes with and
#: on retrains has been tried less than the others'.
DEFAULT_MODEMS: frozenset[Modem] = frozenset({Modem.V27TER, Modem.V29})

#: What DIS bits 11-14 can announce, as the set of modems each code stands for.
_DIS_SETS: dict[frozenset[Modem], DisModems] = {
    frozenset(r.modem for r in m.rates): m for m in DisModems if m is not DisModems.V27TER_FALLBACK
}


def image_modem(rate: ModemRate) -> ImageModem:
    """The registry entry of ``rate``'s modem; :class:`FaxTerminalError` if pycti has none."""
    try:
        return IMAGE_MODEMS[rate.modem]
    except KeyError:
        raise FaxTerminalError(f"image modem {rate.modem.value} is not implemented") from None


def dis_modems(modems: Iterable[Modem]) -> DisModems:
    """The DIS/DCS modem announcement for ``modems`` (each must be in :data:`IMAGE_MODEMS`)."""
    chosen = frozenset(modems)
    missing = sorted(m.value for m in chosen if m not in IMAGE_MODEMS)
    if missing:
        raise FaxTerminalError(f"image modem(s) {', '.join(missing)} not implemented; "
                               f"choose from {', '.join(e.name for e in IMAGE_MODEMS.values())}")
    try:
        return _DIS_SETS[chosen]
    except KeyError:
        names = ", ".join(sorted(m.value for m in chosen)) or "none"
        raise FaxTerminalError(f"T.30 DIS cannot offer the modem set {{{names}}}") from None


def parse_modems(text: str) -> frozenset[Modem]:
    """Modem names separated by commas (``"V27ter,V29"``, case-insensitive) as a set."""
    have = ", ".join(e.name for e in IMAGE_MODEMS.values())
    names = {m.value.lower(): m for m in Modem if m is not Modem.V21}
    names.update({m.value.lower().replace(".", ""): m for m in Modem if m is not Modem.V21})
    chosen = set()
    for part in (p.strip().lower() for p in text.split(",")):
        modem = names.get(part)
        if modem is None:
            raise FaxTerminalError(f"unknown image modem {part!r}; choose from {have}")
        if modem not in IMAGE_MODEMS:
            raise FaxTerminalError(f"image modem {modem.value} is not implemented; "
                                   f"choose from {have}")
        chosen.add(modem)
    return frozenset(chosen)
