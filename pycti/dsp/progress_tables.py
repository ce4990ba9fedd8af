"""Call-progress tones by country, as data: one row per (country, tone).

Each row gives the frequencies that sound together (Hz), an optional amplitude modulation in
the ``f*m`` notation of ITU-T E.180 (carrier ``f`` modulated by ``m`` Hz), the cadence as
on/off durations in milliseconds repeating from the start (an empty cadence is a continuous
tone), the nominal level per frequency component in dBm0, and the document the row comes from.

The special information tone (SIT) changes frequency from one on segment to the next:
``sequence_hz`` lists the frequencies of each on segment in turn, and its cadence may hold
zero-length off segments where the segments follow each other without a gap.

Sources:

* ITU-T E.180 Supplement 2 (1998), "Various tones used in national networks", which collects
  the national administrations' declarations (China, USA, UK, Germany, Australia).
* ITU-T Q.35 / E.180 clause 4: SIT is 950 +/- 50, 1400 +/- 50, 1800 +/- 50 Hz, each
  330 +/- 70 ms, up to 30 ms between them, then 1 s silence.
* YD/T 1124 (China, signal tones): 450 +/- 25 Hz for dial, ringback, busy, congestion and call
  waiting; China uses the ITU-T Q.35 SIT.
* Telcordia GR-506 / ANSI T1.401 (North America): precise tone plan 350+440, 440+480, 480+620
  Hz; SIT segments 913.8 or 985.2 / 1370.6 or 1428.5 / 1776.7 Hz of 274 or 380 ms (the
  intercept code, short-short-long, is given here).
* BT SIN 350 (UK): dial 350+440, ringing 400+450, busy and congestion 400 Hz.
* ETSI ES 201 970 (recommended European tones, 425 Hz) and Deutsche Telekom 1TR110 (Germany).
* ACIF S002 (Australia): dial tone 425 Hz modulated at 25 Hz.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pycti.errors import PyctiError

__all__ = [
    "COUNTRIES",
    "PROGRESS_TONES",
    "TONE_NAMES",
    "ProgressToneRow",
    "ToneTableError",
    "check_countries",
    "lookup",
    "rows_for",
]


class ToneTableError(PyctiError, KeyError, ValueError):
    """A country code, or a tone of a country, that the table does not have.

    Both a ``KeyError`` (a failed table look-up, what :func:`lookup` always raised) and a
    ``ValueError`` (a bad argument, what the detectors' constructors promise).  Its text is the
    plain message, not ``KeyError``'s quoted repr.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProgressToneRow:
    """One call-progress tone of one country.

    ``freqs_hz`` sound together during every on segment (unless ``sequence_hz`` is given);
    ``modulation_hz`` > 0 means ``freqs_hz[0]`` is amplitude-modulated at that rate with depth
    ``modulation_depth`` (E.180 ``f*m``); ``cadence_ms`` alternates on, off, on, off ... and
    repeats, ``()`` meaning continuous; ``level_dbm0`` is the nominal level of each component.
    """

    country: str
    tone: str
    freqs_hz: tuple[float, ...]
    cadence_ms: tuple[int, ...] = ()
    modulation_hz: float = 0.0
    modulation_depth: float = 0.5
    sequence_hz: tuple[tuple[float, ...], ...] = ()
    level_dbm0: float
    source: str

    @property
    def continuous(self) -> bool:
        """True for a tone without cadence (dial tone)."""
        return not self.cadence_ms

    @property
    def cycle_ms(self) -> int:
        """Length of one cadence cycle in ms (0 for a continuous tone)."""
        return sum(self.cadence_ms)

    def on_components(self, index: int = 0) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """Frequencies (Hz) and relative amplitudes sounding in on segment ``index``.

        A modulated carrier ``f*m`` at depth ``d`` is ``(1 + d cos 2 pi m t) sin 2 pi f t``:
        the carrier plus sidebands ``f - m`` and ``f + m`` of amplitude ``d / 2``.
        """
        freqs = self.sequence_hz[index] if self.sequence_hz else self.freqs_hz
        if self.modulation_hz <= 0.0:
            return freqs, (1.0,) * len(freqs)
        f, m, d = freqs[0], self.modulation_hz, self.modulation_depth
        return ((f - m, f, f + m) + freqs[1:],
                (d / 2.0, 1.0, d / 2.0) + (1.0,) * (len(freqs) - 1))


_CN = "YD/T 1124 / ITU-T E.180 Suppl. 2 (China)"
_CN_SIT = "ITU-T Q.35 (China uses the ITU-T SIT) / ITU-T E.180 Suppl. 2 (China)"
_US = "Telcordia GR-506 precise tone plan / ITU-T E.180 Suppl. 2 (USA)"
_UK = "BT SIN 350 / ITU-T E.180 Suppl. 2 (United Kingdom)"
_DE = "ETSI ES 201 970 / Deutsche Telekom 1TR110 / ITU-T E.180 Suppl. 2 (Germany)"
_AU = "ACIF S002 / ITU-T E.180 Suppl. 2 (Australia)"
_Q35 = "ITU-T Q.35 / ITU-T E.180 clause 4"

_SIT_Q35 = ((950.0,), (1400.0,), (1800.0,))
_SIT_Q35_CADENCE = (330, 0, 330, 0, 330, 1000)

#: Every row, China first.  Add a country by adding rows; nothing else needs to change.
PROGRESS_TONES: tuple[ProgressToneRow, ...] = (
    # --- China -------------------------------------------------------------------------------
    ProgressToneRow(country="CN", tone="DIAL", freqs_hz=(450.0,), level_dbm0=-10.0, source=_CN),
    ProgressToneRow(country="CN", tone="RINGBACK", freqs_hz=(450.0,), cadence_ms=(1000, 4000),
                    level_dbm0=-10.0, source=_CN),
    ProgressToneRow(country="CN", tone="BUSY", freqs_hz=(450.0,), cadence_ms=(350, 350),
                    level_dbm0=-10.0, source=_CN),
    ProgressToneRow(country="CN", tone="CONGESTION", freqs_hz=(450.0,), cadence_ms=(700, 700),
                    level_dbm0=-10.0, source=_CN),
    ProgressToneRow(country="CN", tone="CALL_WAITING", freqs_hz=(450.0,),
                    cadence_ms=(400, 4000), level_dbm0=-20.0, source=_CN),
    ProgressToneRow(country="CN", tone="SIT", freqs_hz=(950.0, 1400.0, 1800.0),
                    sequence_hz=_SIT_Q35, cadence_ms=_SIT_Q35_CADENCE, level_dbm0=-20.0,
                    source=_CN_SIT),
    # --- USA (precise tone plan) -------------------------------------------------------------
    ProgressToneRow(country="US", tone="DIAL", freqs_hz=(350.0, 440.0), level_dbm0=-13.0,
                    source=_US),
    ProgressToneRow(country="US", tone="RINGBACK", freqs_hz=(440.0, 480.0),
                    cadence_ms=(2000, 4000), level_dbm0=-19.0, source=_US),
    ProgressToneRow(country="US", tone="BUSY", freqs_hz=(480.0, 620.0), cadence_ms=(500, 500),
                    level_dbm0=-24.0, source=_US),
    ProgressToneRow(country="US", tone="CONGESTION", freqs_hz=(480.0, 620.0),
                    cadence_ms=(250, 250), level_dbm0=-24.0, source=_US),
    ProgressToneRow(country="US", tone="SIT", freqs_hz=(913.8, 1370.6, 1776.7),
                    sequence_hz=((913.8,), (1370.6,), (1776.7,)),
                    cadence_ms=(274, 0, 274, 0, 380, 4000), level_dbm0=-24.0,
                    source="Telcordia SR-2275 (SIT intercept code) / ANSI T1.401"),
    # --- United Kingdom ----------------------------------------------------------------------
    ProgressToneRow(country="UK", tone="DIAL", freqs_hz=(350.0, 440.0), level_dbm0=-22.0,
                    source=_UK),
    ProgressToneRow(country="UK", tone="RINGBACK", freqs_hz=(400.0, 450.0),
                    cadence_ms=(400, 200, 400, 2000), level_dbm0=-19.0, source=_UK),
    ProgressToneRow(country="UK", tone="BUSY", freqs_hz=(400.0,), cadence_ms=(375, 375),
                    level_dbm0=-24.0, source=_UK),
    ProgressToneRow(country="UK", tone="CONGESTION", freqs_hz=(400.0,),
                    cadence_ms=(400, 350, 225, 525), level_dbm0=-24.0, source=_UK),
    ProgressToneRow(country="UK", tone="SIT", freqs_hz=(950.0, 1400.0, 1800.0),
                    sequence_hz=_SIT_Q35, cadence_ms=_SIT_Q35_CADENCE, level_dbm0=-19.0,
                    source=_Q35),
    # --- Germany (ETSI 425 Hz) ---------------------------------------------------------------
    ProgressToneRow(country="DE", tone="DIAL", freqs_hz=(425.0,), level_dbm0=-10.0, source=_DE),
    ProgressToneRow(country="DE", tone="RINGBACK", freqs_hz=(425.0,), cadence_ms=(1000, 4000),
                    level_dbm0=-10.0, source=_DE),
    ProgressToneRow(country="DE", tone="BUSY", freqs_hz=(425.0,), cadence_ms=(480, 480),
                    level_dbm0=-10.0, source=_DE),
    ProgressToneRow(country="DE", tone="CONGESTION", freqs_hz=(425.0,), cadence_ms=(240, 240),
                    level_dbm0=-10.0, source=_DE),
    ProgressToneRow(country="DE", tone="SIT", freqs_hz=(950.0, 1400.0, 1800.0),
                    sequence_hz=_SIT_Q35, cadence_ms=_SIT_Q35_CADENCE, level_dbm0=-10.0,
                    source=_Q35),
    # --- Australia (modulated dial tone) -----------------------------------------------------
    ProgressToneRow(country="AU", tone="DIAL", freqs_hz=(425.0,), modulation_hz=25.0,
                    level_dbm0=-10.0, source=_AU),
    ProgressToneRow(country="AU", tone="RINGBACK", freqs_hz=(400.0, 450.0),
                    cadence_ms=(400, 200, 400, 2000), level_dbm0=-13.0, source=_AU),
    ProgressToneRow(country="AU", tone="BUSY", freqs_hz=(425.0,), cadence_ms=(375, 375),
                    level_dbm0=-13.0, source=_AU),
)

#: Country codes present in the table, in table order.
COUNTRIES: tuple[str, ...] = tuple(dict.fromkeys(r.country for r in PROGRESS_TONES))
#: Tone names used by the table, in table order.
TONE_NAMES: tuple[str, ...] = tuple(dict.fromkeys(r.tone for r in PROGRESS_TONES))


def _unknown_country(country: object) -> ToneTableError:
    return ToneTableError(f"unknown country {country!r}: no call-progress tones for it; "
                               f"known: {', '.join(COUNTRIES)}")


def check_countries(countries: object) -> tuple[str, ...]:
    """The upper-cased codes of ``countries``, one code or a sequence of them.

    Raises :class:`ToneTableError` (a ``ValueError`` and a ``KeyError``) naming an unknown
    code and the known ones, and ``ValueError`` for something that is not a code or a non-empty
    sequence of codes.
    """
    if isinstance(countries, str):
        wanted: tuple[object, ...] = (countries,)
    elif isinstance(countries, Sequence) and not isinstance(countries, (bytes, bytearray)):
        wanted = tuple(countries)
        if not wanted:
            raise ValueError(f"country must be a country code or a non-empty sequence of codes "
                             f"({', '.join(COUNTRIES)}), got an empty {type(countries).__name__}")
    else:
        raise ValueError(f"country must be a country code ({', '.join(COUNTRIES)}) or a sequence "
                         f"of them, got {countries!r}")
    out: list[str] = []
    for c in wanted:
        if not isinstance(c, str):
            raise ValueError(f"country codes must be strings ({', '.join(COUNTRIES)}), got {c!r}")
        if c.upper() not in COUNTRIES:
            raise _unknown_country(c)
        out.append(c.upper())
    return tuple(out)


def lookup(country: str, tone: str) -> ProgressToneRow:
    """Return the row for ``country`` (``"CN"``, ``"US"`` ...) and ``tone`` (``"BUSY"`` ...).

    Raises :class:`ToneTableError` (a ``KeyError`` and a ``ValueError``) naming what is
    missing.
    """
    (c,) = check_countries(country)
    t = tone.upper() if isinstance(tone, str) else tone
    for row in PROGRESS_TONES:
        if row.country == c and row.tone == t:
            return row
    raise ToneTableError(f"country {c} has no {tone!r} tone; known: "
                              f"{tuple(r.tone for r in PROGRESS_TONES if r.country == c)}")


def rows_for(countries: str | Sequence[str]) -> tuple[ProgressToneRow, ...]:
    """All rows of the given country or countries.

    Raises :class:`ToneTableError` (a ``KeyError`` and a ``ValueError``) on an unknown
    one, ``ValueError`` on something that is not a code or a sequence of codes.
    """
    out: list[ProgressToneRow] = []
    for c in check_countries(countries):
        out.extend(r for r in PROGRESS_TONES if r.country == c)
    return tuple(out)
