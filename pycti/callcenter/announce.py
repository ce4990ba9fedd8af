"""Spoken queue announcements from recorded words: the caller's place in line and the wait.

:class:`QueueAnnouncer` is a ready-made ``render`` for
:class:`~pycti.callcenter.queue_rules.Announcements`: it joins recorded words into "you are
caller number seven; your estimated wait is about three minutes" in English, or
"您是第七位，预计等待时间约三分钟" in Mandarin, from a folder of prompt files that a call center
records once.  Every file is read and checked when the announcer is made (8 kHz mono
telephony audio, read by :func:`pycti.dsp.audiofile.read_audio`), so a missing or broken
word fails at start-up with the files named, never in front of a caller.

The folder holds one file per word, named by its key with any suffix ``read_audio`` takes
(``7.wav``, ``hundred.ul``, ``position.wav`` ...):

* the phrases: ``position`` ("you are caller number" / "您是第"), ``position-end`` (Mandarin
  only: "位"), ``wait`` ("your estimated wait is about" / "预计等待时间约"), ``minutes`` and
  ``minute`` ("minutes" / "分钟"; Mandarin needs only ``minutes``), ``wait-short`` ("your call
  will be answered in less than a minute" / "不到一分钟");
* English numbers: ``0`` to ``19``, ``20`` ``30`` ... ``90``, ``hundred``, ``thousand``
  (1,234 = one thousand two hundred thirty four);
* Mandarin numbers: ``0`` to ``10`` (零 ... 十), ``100`` (百), ``1000`` (千), ``10000`` (万)
  and ``liang`` (两: in a quantity, 2 before 百 and 千 and a 2 alone): 12 = 十二, 20 = 二十,
  105 = 一百零五, 210 = 两百一十, 2 minutes = 两分钟, 20,000 = 两万, 30,001 = 三万零一; a
  place is said with 二 (第二位, 第二百位).

The wait is said in whole minutes, rounded up (a caller is better pleased than let down);
under one minute ``wait-short`` is said instead, and with no estimate (nobody serving the
queue: ``estimated_wait_s`` None) only the position is said.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..dsp.audiofile import read_audio
from ..errors import PyctiError
from .queue_rules import Announcement

__all__ = ["AnnouncementError", "LANGUAGES", "QueueAnnouncer", "number_words", "words_needed"]

#: languages :func:`number_words` and :class:`QueueAnnouncer` speak
LANGUAGES = ("en", "zh")
#: the longest a recorded word may be (a word is short; a long file is a wrong file)
MAX_WORD_S = 10.0
_EN_SMALL = tuple(str(n) for n in range(20))
_EN_TENS = tuple(str(n) for n in range(20, 100, 10))
_NUMBER_WORDS = {
    "en": (*_EN_SMALL, *_EN_TENS, "hundred", "thousand"),
    "zh": (*(str(n) for n in range(11)), "100", "1000", "10000", "liang"),
}
_PHRASES = {
    "en": ("position", "wait", "minutes", "minute", "wait-short"),
    "zh": ("position", "position-end", "wait", "minutes", "wait-short"),
}
#: the largest number each language's words can say
_MAX_NUMBER = {"en": 999_999, "zh": 99_999_999}


class AnnouncementError(PyctiError, ValueError):
    """Words missing or unreadable, an unknown language, a number out of range (named)."""


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise AnnouncementError(f"language {language!r} is not one of {', '.join(LANGUAGES)}")


def number_words(n: int, language: str = "en", *, ordinal: bool = False) -> list[str]:
    """The word keys that say ``n`` (0 to 999,999 in English, to 99,999,999 in Mandarin).
    ``ordinal``: a place (第二位), where Mandarin says 二, never 两."""
    _check_language(language)
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= _MAX_NUMBER[language]:
        raise AnnouncementError(f"cannot say {n!r} in {language}: a whole number 0-{_MAX_NUMBER[language]:,} is needed")
    return _english(n) if language == "en" else _mandarin(n, ordinal)


def _english(n: int) -> list[str]:
    if n < 20:
        return [str(n)]
    if n < 100:
        return [str(n - n % 10)] + ([str(n % 10)] if n % 10 else [])
    if n < 1000:
        return [str(n // 100), "hundred"] + (_english(n % 100) if n % 100 else [])
    return _english(n // 1000) + ["thousand"] + (_english(n % 1000) if n % 1000 else [])


def _mandarin(n: int, ordinal: bool) -> list[str]:
    if n == 0:
        return ["0"]
    if n < 10_000:
        return _mandarin_group(n, head=True, ordinal=ordinal)
    high, low = divmod(n, 10_000)
    words = _mandarin_group(high, head=True, ordinal=ordinal) + ["10000"]
    if low:
        words += (["0"] if low < 1000 else []) + _mandarin_group(low, head=False, ordinal=ordinal)
    return words


def _mandarin_group(n: int, *, head: bool, ordinal: bool) -> list[str]:
    """1-9999 as 千 百 十 and units, one 零 for each run of missing places between digits;
    十 alone for 10-19 at the head of the number; in quantities 两 for 2 before 千 and 百 and
    for a 2 standing alone (两分钟, 两万)."""
    if n == 2 and head and not ordinal:
        return ["liang"]
    words: list[str] = []
    started = zero = False
    for d, unit in ((n // 1000, "1000"), (n // 100 % 10, "100"), (n // 10 % 10, "10"), (n % 10, "")):
        if d == 0:
            zero = started
            continue
        if zero:
            words.append("0")
            zero = False
        if unit == "10" and d == 1 and head and not started:
            words.append("10")
        else:
            digit = "liang" if d == 2 and unit in ("1000", "100") and not ordinal else str(d)
            words += [digit, unit] if unit else [digit]
        started = True
    return words


@dataclass(frozen=True, slots=True)
class QueueAnnouncer:
    """A ``render`` for :class:`~pycti.callcenter.queue_rules.Announcements`: the position and
    the estimated wait spoken from recorded ``words`` (key -> int16 samples at 8 kHz, see the
    module docstring), ``gap_ms`` of silence between words.  :meth:`from_folder` reads them."""

    words: Mapping[str, np.ndarray] = field(repr=False)
    language: str = "en"
    say_wait: bool = True
    gap_ms: int = 60

    def __post_init__(self) -> None:
        _check_language(self.language)
        missing = sorted(set(words_needed(self.language, self.say_wait)) - set(self.words))
        if missing:
            raise AnnouncementError(f"{self.language} announcements need the words {', '.join(missing)}")
        if not 0 <= self.gap_ms <= 1000:
            raise AnnouncementError(f"gap_ms must be 0-1000, got {self.gap_ms!r}")

    @classmethod
    def from_folder(cls, folder: str | Path, language: str = "en", *, say_wait: bool = True,
                    gap_ms: int = 60) -> QueueAnnouncer:
        """Read every word the language needs from ``folder`` (one file per word key, any
        suffix :func:`~pycti.dsp.audiofile.read_audio` reads).  :class:`AnnouncementError`
        names the folder, and every word missing, ambiguous or not valid telephony audio."""
        _check_language(language)
        base = Path(folder)
        if not base.is_dir():
            raise AnnouncementError(f"announcement words: {str(base)!r} is not a folder")
        words: dict[str, np.ndarray] = {}
        problems: list[str] = []
        for key in words_needed(language, say_wait):
            files = sorted(p for p in base.glob(f"{key}.*") if p.stem == key)
            if len(files) != 1:
                problems.append(f"{key}: {'no file' if not files else 'several files: ' + ', '.join(p.name for p in files)}")
                continue
            try:
                samples = read_audio(files[0], max_seconds=MAX_WORD_S)
            except (OSError, ValueError) as exc:
                problems.append(f"{files[0].name}: {exc}")
                continue
            if samples.size == 0:
                problems.append(f"{files[0].name}: holds no audio")
                continue
            samples.flags.writeable = False
            words[key] = samples
        if problems:
            raise AnnouncementError(f"announcement words in {str(base)!r}: " + "; ".join(problems))
        return cls(words, language, say_wait=say_wait, gap_ms=gap_ms)

    def phrase(self, a: Announcement) -> list[str]:
        """The word keys said for ``a``, in order."""
        words = ["position", *number_words(a.position, self.language, ordinal=True)]
        if self.language == "zh":
            words.append("position-end")
        if self.say_wait and a.estimated_wait_s is not None:
            minutes = math.ceil(a.estimated_wait_s / 60.0) if a.estimated_wait_s > 0 else 0
            if a.estimated_wait_s < 60.0:
                words.append("wait-short")
            else:
                unit = "minute" if minutes == 1 and self.language == "en" else "minutes"
                words += ["wait", *number_words(min(minutes, _MAX_NUMBER[self.language]), self.language), unit]
        return words

    def __call__(self, a: Announcement) -> np.ndarray:
        """The audio of ``a``: its words joined with ``gap_ms`` of silence between them."""
        gap = np.zeros(self.gap_ms * 8, np.int16)
        parts: list[np.ndarray] = []
        for i, key in enumerate(self.phrase(a)):
            if i:
                parts.append(gap)
            parts.append(self.words[key])
        return np.concatenate(parts).astype(np.int16, copy=False)


def words_needed(language: str, say_wait: bool = True) -> tuple[str, ...]:
    """The word keys an announcer in ``language`` needs (without the wait: the position's only)."""
    _check_language(language)
    phrases = _PHRASES[language] if say_wait else tuple(p for p in _PHRASES[language] if p.startswith("position"))
    return (*phrases, *_NUMBER_WORDS[language])
