"""Queue announcements from recorded words: numbers said as English and Mandarin say them,
the phrase for each announcement, the words checked when read, the ACD playing them, and the
center file naming a bad words folder with its key and line."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

import pycti
from pycti.callcenter.acd import Acd, AgentProfile
from pycti.callcenter.announce import AnnouncementError, QueueAnnouncer, number_words, words_needed
from pycti.callcenter.queue_rules import Announcement, Announcements, QueueConfig
from pycti.center.config import CenterConfigError, load_center
from pycti.dsp.audiofile import write_wav
from pycti.local.config import SwitchConfig

from ..center.test_config import GOOD, _line_of, _write
from ..local.conftest import ticks

HANZI = dict(zip(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "100", "1000", "10000", "liang"],
                 "零一二三四五六七八九十百千万两"))


@pytest.mark.parametrize(("n", "quantity", "place"), [
    (0, "零", "零"), (2, "两", "二"), (10, "十", "十"), (12, "十二", "十二"), (20, "二十", "二十"),
    (105, "一百零五", "一百零五"), (110, "一百一十", "一百一十"), (210, "两百一十", "二百一十"),
    (1005, "一千零五", "一千零五"), (1050, "一千零五十", "一千零五十"), (2000, "两千", "二千"),
    (10010, "一万零一十", "一万零一十"), (12000, "一万两千", "一万二千"), (20000, "两万", "二万"),
    (30001, "三万零一", "三万零一"), (100000, "十万", "十万"),
])
def test_mandarin_numbers(n: int, quantity: str, place: str) -> None:
    assert "".join(HANZI[w] for w in number_words(n, "zh")) == quantity
    assert "".join(HANZI[w] for w in number_words(n, "zh", ordinal=True)) == place


@pytest.mark.parametrize(("n", "words"), [
    (0, "0"), (7, "7"), (13, "13"), (40, "40"), (42, "40 2"), (100, "1 hundred"), (305, "3 hundred 5"),
    (1234, "1 thousand 2 hundred 30 4"), (20000, "20 thousand"), (999999, "9 hundred 90 9 thousand 9 hundred 90 9"),
])
def test_english_numbers(n: int, words: str) -> None:
    assert number_words(n) == words.split()


@pytest.mark.parametrize(("n", "language"), [(-1, "en"), (1_000_000, "en"), (True, "en"), (2.5, "zh"),
                                             (100_000_000, "zh"), (3, "fr")])
def test_what_cannot_be_said_is_refused_by_name(n: object, language: str) -> None:
    with pytest.raises(AnnouncementError, match=repr(n) if language != "fr" else "'fr' is not one of en, zh"):
        number_words(n, language)  # type: ignore[arg-type]


def _word(i: int) -> np.ndarray:
    """A distinct 'recording' per word: i + 1 cycles of a tone, 40 ms."""
    t = np.arange(320)
    return (3000 * np.sin(2 * np.pi * (i + 1) * t / 320)).astype(np.int16)


def _folder(path: Path, language: str) -> dict[str, np.ndarray]:
    path.mkdir(exist_ok=True)
    words = {key: _word(i) for i, key in enumerate(words_needed(language))}
    for key, samples in words.items():
        write_wav(path / f"{key}.wav", samples)
    return words


def _said(announcer: QueueAnnouncer, audio: np.ndarray, words: dict[str, np.ndarray]) -> list[str]:
    """Split the announcement back into its words (each word, then a gap)."""
    gap = announcer.gap_ms * 8
    out, pos = [], 0
    while pos < audio.size:
        key = next(k for k, w in words.items() if np.array_equal(audio[pos:pos + w.size], w)
                   and (pos + w.size == audio.size or not audio[pos + w.size:pos + w.size + gap].any()))
        out.append(key)
        pos += words[key].size + gap
    return out


def test_english_announcements_say_the_place_and_the_wait_in_whole_minutes(tmp_path: Path) -> None:
    words = _folder(tmp_path / "en", "en")
    ann = QueueAnnouncer.from_folder(tmp_path / "en")
    cases = [(7, 125.0, "position 7 wait 3 minutes"), (21, 60.0, "position 20 1 wait 1 minute"),
             (1, 20.0, "position 1 wait-short"), (3, None, "position 3")]
    for position, wait_s, said in cases:
        a = Announcement("C1", "QA", position, wait_s)
        assert ann.phrase(a) == said.split()
        assert _said(ann, ann(a), words) == said.split()


def test_mandarin_announcements(tmp_path: Path) -> None:
    words = _folder(tmp_path / "zh", "zh")
    ann = QueueAnnouncer.from_folder(tmp_path / "zh", "zh")
    a = Announcement("C1", "QA", 2, 100.0)  # 第二位, 约两分钟
    assert ann.phrase(a) == ["position", "2", "position-end", "wait", "liang", "minutes"]
    assert _said(ann, ann(a), words) == ann.phrase(a)


def test_missing_and_broken_words_are_named_when_the_folder_is_read(tmp_path: Path) -> None:
    _folder(tmp_path / "en", "en")
    (tmp_path / "en" / "7.wav").unlink()
    (tmp_path / "en" / "hundred.wav").write_bytes(b"RIFF junk")
    (tmp_path / "en" / "wait.ul").write_bytes(b"\x7f" * 80)  # a second 'wait'
    with pytest.raises(AnnouncementError) as err:
        QueueAnnouncer.from_folder(tmp_path / "en")
    text = str(err.value)
    assert "7: no file" in text and "hundred.wav:" in text and "wait: several files: wait.ul, wait.wav" in text
    with pytest.raises(AnnouncementError, match="is not a folder"):
        QueueAnnouncer.from_folder(tmp_path / "none")
    with pytest.raises(AnnouncementError, match="need the words .*minute"):
        QueueAnnouncer({"position": _word(1)})


async def test_the_acd_plays_the_announcer_to_a_waiting_caller(tmp_path: Path) -> None:
    words = _folder(tmp_path / "en", "en")
    ann = QueueAnnouncer.from_folder(tmp_path / "en")
    played: list[np.ndarray] = []

    def render(a: Announcement) -> np.ndarray:
        played.append(ann(a))
        return played[-1]

    agents = (AgentProfile(agent_id="A1", skills={"QA": 3}),)
    cfg = SwitchConfig(trunks=0, stations=2, routes=(), queues=("QA",), agents=tuple(a.switch_agent() for a in agents))
    async with pycti.open(cfg) as p:
        queue = QueueConfig(name="QA", announcements=Announcements(render=render, first_after_s=1.0, every_s=5.0))
        acd = Acd(p, (queue,), agents)
        task = asyncio.ensure_future(acd.run())
        await asyncio.sleep(0)
        await p.make_call("8002", "QA")
        await ticks(p, 300)
        assert played and _said(ann, played[0], words) == ["position", "1"]  # nobody serving: no wait
        assert not acd.errors
        task.cancel()


def test_a_center_file_names_a_bad_words_folder(tmp_path: Path) -> None:
    _folder(tmp_path / "words", "en")
    good = GOOD.replace("max_wait_s = 300", 'max_wait_s = 300\nannouncements = { words = "words", every_s = 45 }', 1)
    center = load_center(_write(tmp_path, good))
    sales = center.queues[0].announcements
    assert sales is not None and isinstance(sales.render, QueueAnnouncer) and sales.every_s == 45.0
    (tmp_path / "words" / "9.wav").unlink()
    with pytest.raises(CenterConfigError) as err:
        load_center(_write(tmp_path, good))
    assert f"center.toml:{_line_of(good, 'announcements')}:" in str(err.value) and "9: no file" in str(err.value)
    bad = good.replace('words = "words"', 'words = "words", language = "fr"')
    with pytest.raises(CenterConfigError, match="language: must be one of en, zh"):
        load_center(_write(tmp_path, bad))
