"""A small runner for baresip (the Debian package) as a SIP phone against pycti on 127.0.0.1.

:class:`Baresip` writes a temporary config dir (``-f DIR``): ``accounts`` with one account
registering to pycti (digest password, auto-answer), ``config`` with only the modules the
tests need -- g711 (PCMU/PCMA), aufile as the audio source (a WAV the test writes: what the
phone "says"), aubridge as a silent player, sndfile (writes what the phone hears, decoded, to
``DIR/snd/*-dec.wav``), account and ctrl_tcp.  ``menu`` provides the ``dial``/``hangup`` commands; ctrl_tcp speaks JSON in netstrings (a
netstring is ``<length>:<bytes>,``): commands go there (``dial``, ``hangup``, ``accept``),
and baresip's events (``REGISTER_OK``, ``CALL_ESTABLISHED``, ...) come back on the same
socket.  Every wait is bounded; the process is killed when the runner is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import wave
from pathlib import Path
from typing import Any

import numpy as np

BARESIP = shutil.which("baresip")
MODULES = next((p for p in (Path("/usr/lib/baresip/modules"), Path("/usr/lib64/baresip/modules"),
                            Path("/usr/local/lib/baresip/modules")) if p.is_dir()), None)
WAIT_S = 10.0
SR = 8000


def free_tcp_port() -> int:
    """A TCP port on 127.0.0.1 free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_wav(path: Path, samples: np.ndarray) -> None:
    """16-bit mono 8 kHz WAV of int16 ``samples``."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(samples.astype("<i2").tobytes())


def read_wav(path: Path) -> np.ndarray:
    """The first channel of a 16-bit WAV, as int16 (any rate: the caller checks ``SR``)."""
    with wave.open(str(path), "rb") as w:
        assert w.getsampwidth() == 2, f"{path}: {w.getsampwidth()}-byte samples"
        n = w.getnchannels()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return data.reshape(-1, n)[:, 0].astype(np.int16) if n > 1 else data.astype(np.int16)


def tone(freq_hz: float, seconds: float, amplitude: int = 8000) -> np.ndarray:
    """A sine of ``freq_hz`` at 8 kHz, int16."""
    t = np.arange(int(seconds * SR)) / SR
    return (amplitude * np.sin(2 * np.pi * freq_hz * t)).astype(np.int16)


def netstring(data: bytes) -> bytes:
    """``<len>:<data>,`` (the framing of baresip's ctrl_tcp)."""
    return str(len(data)).encode() + b":" + data + b","


class Baresip:
    """One baresip process: ``async with Baresip(tmp, "6001", "6001pw", sip_port) as phone``."""

    def __init__(self, root: Path, user: str, password: str, registrar_port: int, *,
                 say: np.ndarray, register: bool = True) -> None:
        self.dir = root / f"baresip-{user}"
        self.snd = self.dir / "snd"
        self.user = user
        self.password = password
        self.registrar_port = registrar_port
        self.say = say
        self.register = register
        self.ctrl_port = free_tcp_port()
        self.events: list[dict[str, Any]] = []
        self._responses: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._changed = asyncio.Event()
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._pump: asyncio.Task[None] | None = None
        self._token = 0

    def _write_config(self) -> None:
        self.snd.mkdir(parents=True, exist_ok=True)
        write_wav(self.dir / "say.wav", self.say)
        reg = "regint=60" if self.register else "regint=0"
        (self.dir / "accounts").write_text(
            f"<sip:{self.user}@127.0.0.1:{self.registrar_port}>;auth_pass={self.password};"
            f"answermode=auto;{reg};audio_codecs=PCMU\n")
        (self.dir / "config").write_text("\n".join([
            f"module_path {MODULES}",
            "sip_listen 127.0.0.1:0",
            "net_interface 127.0.0.1",
            f"audio_source aufile,{self.dir / 'say.wav'}",
            "audio_player aubridge,player",
            "audio_alert aubridge,alert",
            "module g711.so", "module aufile.so", "module aubridge.so", "module sndfile.so",
            "module_app account.so", "module_app menu.so", "module_app ctrl_tcp.so",
            f"snd_path {self.snd}",
            f"ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}",
            "",
        ]))
        (self.dir / "contacts").write_text("")

    async def __aenter__(self) -> Baresip:
        assert BARESIP is not None and MODULES is not None
        self._write_config()
        log = open(self.dir / "log.txt", "wb")  # noqa: SIM115 -- closed with the process
        self._proc = await asyncio.create_subprocess_exec(
            BARESIP, "-f", str(self.dir), "-t", "60", stdin=asyncio.subprocess.DEVNULL,
            stdout=log, stderr=asyncio.subprocess.STDOUT)
        log.close()
        loop = asyncio.get_running_loop()
        end = loop.time() + WAIT_S
        while True:
            try:
                self._reader, self._writer = await asyncio.open_connection("127.0.0.1", self.ctrl_port)
                break
            except OSError:
                if loop.time() > end or self._proc.returncode is not None:
                    await self.__aexit__()
                    raise AssertionError(f"baresip's ctrl_tcp did not come up:\n{self.log()}") from None
                await asyncio.sleep(0.05)
        self._pump = asyncio.ensure_future(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._pump
        if self._writer is not None:
            self._writer.close()
        if self._proc is not None and self._proc.returncode is None:
            self._proc.kill()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._proc.wait(), 5)

    def log(self) -> str:
        """What baresip printed."""
        path = self.dir / "log.txt"
        return path.read_text(errors="replace") if path.exists() else ""

    async def _read(self) -> None:
        assert self._reader is not None
        while True:
            head = await self._reader.readuntil(b":")
            body = await self._reader.readexactly(int(head[:-1]) + 1)
            msg = json.loads(body[:-1])
            if msg.get("response"):
                await self._responses.put(msg)
            else:
                self.events.append(msg)
                self._changed.set()

    async def command(self, name: str, params: str = "") -> dict[str, Any]:
        """Run a baresip command through ctrl_tcp; its response (``ok``, ``data``)."""
        assert self._writer is not None
        self._token += 1
        self._writer.write(netstring(json.dumps(
            {"command": name, "params": params, "token": str(self._token)}).encode()))
        await self._writer.drain()
        return await asyncio.wait_for(self._responses.get(), WAIT_S)

    async def event(self, kind: str, *, timeout_s: float = WAIT_S) -> dict[str, Any]:
        """The first event of type ``kind`` (e.g. ``CALL_ESTABLISHED``), waiting at most ``timeout_s``."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout_s
        while True:
            for e in self.events:
                if e.get("type") == kind:
                    return e
            left = end - loop.time()
            if left <= 0:
                raise AssertionError(f"no {kind} from baresip; events {[e.get('type') for e in self.events]}"
                                     f"\n{self.log()}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)

    def heard(self) -> np.ndarray:
        """What the phone heard in its calls (sndfile's decoded stream), int16 at 8 kHz.

        Read it after the phone's ``CALL_CLOSED``: sndfile completes the WAV header when the
        call's audio stops.  Its files are named by the second they were opened in, so a
        stream restarted by a re-INVITE within the same second replaces the earlier file."""
        files = sorted(self.snd.glob("*-dec.wav"))
        assert files, f"sndfile wrote nothing in {self.snd}: {list(self.snd.iterdir())}"
        return np.concatenate([read_wav(f) for f in files])
