"""Faxes on the calls pycti carries: send or receive a Group 3 fax (ITU-T T.30) on a connected
call, and a desk that takes the calls that turn out to be fax machines.

The fax terminal (:class:`~pycti.fax.terminal.FaxTerminal`) is a lock-step frame program, so it
runs as a tap (:meth:`~pycti.provider.MediaProvider.run_tap`): it hears the far party of the
connection's call and replaces what that party hears, 20 ms at a time, on any call whose audio
pycti carries (sim board trunks and stations; G.711 pass-through).

* :meth:`FaxService.send` / :meth:`FaxService.receive` run one fax and return its
  :class:`~pycti.fax.terminal_events.FaxResult`; progress events (``Negotiated``, ``PageSent``,
  ``PageReceived``, ``PageIncomplete``, ``CallEnded``: frozen dataclasses of
  :mod:`pycti.fax.terminal_events`) go to an ``on_event`` callback.
  :meth:`FaxService.start_send` / :meth:`FaxService.start_receive` return a
  :class:`FaxSession` instead: ``async for event in session`` and ``await session.wait()``.
  The sender is the T.30 calling terminal (CNG, T.30 5.2.1; it sends the document, 5.3.6);
  the receiver is the answering terminal (CED, 5.2.2, then DIS).  A received fax is written as
  TIFF Class F (MH, RFC 2306) when at least one page (whole or cut short) came in.
* :class:`FaxDesk` watches route devices for ``ToneDetected(tone="CNG")`` -- the calling tone
  a fax machine plays (T.30 5.2.1), reported when the switch listens for fax tones
  (``SwitchConfig.detect_fax_tones``) -- and hands that call to a receiver that writes one TIFF
  file per fax into a folder; :attr:`FaxDesk.records` keeps a :class:`FaxRecord` per fax.

Everything that can be checked is checked before anything is sent: an unreadable or unusable
document, a folder that does not exist, bad options (:class:`FaxServiceError`, or the
:class:`~pycti.fax.document_page.DocumentError` / ``FaxTerminalError`` naming the file or page),
a connection with no one to talk to (``CstaError`` from ``run_tap``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from pycti.errors import PyctiError
from pycti.fax.document import load_document, write_tiff
from pycti.fax.document_page import FaxPage
from pycti.fax.t4_types import Coding
from pycti.fax.terminal import FaxTerminal, TerminalRole
from pycti.fax.terminal_events import CallEnded, FaxEvent, FaxOptions, FaxResult
from pycti.fax.terminal_pages import ReceivedFaxPage
from pycti.provider import MediaProvider, TapOutcome
from pycti.switch import events as ev
from pycti.switch.ids import ConnectionID

__all__ = [
    "FaxCallError",
    "FaxDesk",
    "FaxRecord",
    "FaxService",
    "FaxServiceError",
    "FaxSession",
]

log = logging.getLogger(__name__)

#: The tone that marks a calling fax machine (T.30 5.2.1), as ToneDetected names it.
CNG_TONE = "CNG"
EventCallback = Callable[[FaxEvent], None]
Document = str | Path | Sequence[FaxPage]


class FaxServiceError(PyctiError, ValueError):
    """A fax request that cannot start (the message names the offending value)."""


class FaxCallError(PyctiError):
    """The fax terminal failed during the call (the message says why); the call goes on."""


class _FaxTap:
    """A :class:`~pycti.media.taps.FrameTap` around a fax terminal: each frame's progress
    events go to ``sink``; an exception is kept for the session and raised on to the tap bank."""

    def __init__(self, terminal: FaxTerminal, sink: EventCallback) -> None:
        self.terminal = terminal
        self._sink = sink
        self.error: BaseException | None = None
        #: Set when the session is cancelled: the tap leaves the channel at the next tick.
        self.stopped = False

    @property
    def done(self) -> bool:
        """True once the terminal's call is over and its last signal sent (or stopped)."""
        return self.stopped or self.terminal.done

    def process(self, rx: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
        """One 20 ms frame through the terminal."""
        if self.stopped:
            return np.zeros_like(rx)
        try:
            tx = self.terminal.process(rx)
        except Exception as exc:
            self.error = exc
            raise
        self.flush()
        return tx

    def flush(self) -> None:
        """Hand the terminal's pending events to the sink."""
        for event in self.terminal.take_events():
            self._sink(event)


class FaxSession:
    """One fax under way on a call: iterate it for the progress events (the last one is
    ``CallEnded``), :meth:`wait` for the result; :attr:`received_pages` for a receiver."""

    def __init__(self, provider: MediaProvider, connection: ConnectionID, terminal: FaxTerminal,
                 on_event: EventCallback | None, out_path: Path | None) -> None:
        self.connection = connection
        self.terminal = terminal
        self.out_path = out_path
        #: Where the received fax was written (None until then, or when no page came in).
        self.written: Path | None = None
        self._on_event = on_event
        self._queue: asyncio.Queue[FaxEvent | None] = asyncio.Queue()
        self._tap = _FaxTap(terminal, self._event)
        self._task = asyncio.ensure_future(self._run(provider))
        self._task.add_done_callback(lambda t: None if t.cancelled() else t.exception())

    @property
    def received_pages(self) -> list[ReceivedFaxPage]:
        """The pages received so far (a receiving session), incomplete ones marked."""
        return self.terminal.received_pages

    def _event(self, event: FaxEvent) -> None:
        self._queue.put_nowait(event)
        if self._on_event is not None:
            try:
                self._on_event(event)
            except Exception:  # the application's callback never stops the fax
                log.exception("fax on %s: on_event callback failed", self.connection)

    async def _run(self, provider: MediaProvider) -> FaxResult:
        try:
            outcome = await provider.run_tap(self.connection, self._tap)
            if outcome is TapOutcome.FAILED:
                raise FaxCallError(f"fax on {self.connection.call_id}: the terminal failed: "
                                   f"{type(self._tap.error).__name__}: {self._tap.error}")
            if self.terminal.result is None:  # the call cleared or the provider closed first
                self.terminal.hang_up()
            self._tap.flush()
            result = self.terminal.result
            if result is None:
                raise FaxCallError(f"fax on {self.connection.call_id}: no T.30 result after {outcome.value}")
            self._write()
            return result
        except asyncio.CancelledError:  # the tap leaves the line at the next tick
            self._tap.stopped = True
            self.terminal.hang_up()
            raise
        finally:
            self._queue.put_nowait(None)

    def _write(self) -> None:
        pages = [p.page for p in self.terminal.received_pages]
        if self.out_path is not None and pages:
            write_tiff(self.out_path, pages, Coding.MH)
            self.written = self.out_path

    def cancel(self) -> None:
        """Stop the fax now: the terminal hangs up and leaves the line at the next tick
        (nothing is written); :meth:`wait` then raises ``CancelledError``."""
        self._task.cancel()

    async def wait(self) -> FaxResult:
        """The fax's result once the call's fax part is over (:class:`FaxCallError` if the
        terminal failed; ``CstaError`` if the call had no one to talk to)."""
        return await self._task

    async def __aiter__(self) -> AsyncIterator[FaxEvent]:
        """The progress events in order, until ``CallEnded`` (or the session ends)."""
        while True:
            event = await self._queue.get()
            if event is None:
                return
            yield event
            if isinstance(event, CallEnded):
                return


def _pages(document: Document) -> list[FaxPage]:
    if isinstance(document, (str, Path)):
        return load_document(document)
    pages = list(document)
    bad = next((i for i, p in enumerate(pages, 1) if not isinstance(p, FaxPage)), None)
    if bad is not None:
        raise FaxServiceError(f"document item {bad} is a {type(pages[bad - 1]).__name__}, not a FaxPage")
    return pages


def _options(options: FaxOptions | None) -> FaxOptions:
    if options is not None and not isinstance(options, FaxOptions):
        raise FaxServiceError(f"options must be FaxOptions, not {type(options).__name__}")
    return options or FaxOptions()


def _connection(connection: object) -> ConnectionID:
    if not isinstance(connection, ConnectionID):
        raise FaxServiceError(f"connection must be a ConnectionID, not {connection!r}")
    return connection


class FaxService:
    """Send and receive faxes on the calls of ``provider`` (see the module docstring)."""

    def __init__(self, provider: MediaProvider) -> None:
        self.provider = provider

    def start_send(self, connection: ConnectionID, document: Document,
                   options: FaxOptions | None = None, *,
                   on_event: EventCallback | None = None) -> FaxSession:
        """Start sending ``document`` (a TIFF-F, PDF or picture path, or pages) to the far
        party of ``connection``'s call as the T.30 calling terminal.  The document is read and
        checked first: ``DocumentError`` / ``FaxTerminalError`` / :class:`FaxServiceError`
        before anything is sent."""
        conn = _connection(connection)
        terminal = FaxTerminal(TerminalRole.CALLING, _options(options), document=_pages(document))
        return FaxSession(self.provider, conn, terminal, on_event, None)

    def start_receive(self, connection: ConnectionID, out_path: str | Path | None,
                      options: FaxOptions | None = None, *,
                      on_event: EventCallback | None = None) -> FaxSession:
        """Start receiving a fax from the far party of ``connection``'s call as the T.30
        answering terminal; the pages are written to ``out_path`` (TIFF-F) when the fax ends
        (None: kept in :attr:`FaxSession.received_pages` only).  :class:`FaxServiceError` if
        ``out_path``'s folder does not exist."""
        conn = _connection(connection)
        path = None if out_path is None else Path(out_path)
        if path is not None and not path.parent.is_dir():
            raise FaxServiceError(f"out_path {str(path)!r}: folder {str(path.parent)!r} does not exist")
        terminal = FaxTerminal(TerminalRole.ANSWERING, _options(options))
        return FaxSession(self.provider, conn, terminal, on_event, path)

    async def send(self, connection: ConnectionID, document: Document,
                   options: FaxOptions | None = None, *,
                   on_event: EventCallback | None = None) -> FaxResult:
        """Send a fax (:meth:`start_send`) and return its result."""
        return await self.start_send(connection, document, options, on_event=on_event).wait()

    async def receive(self, connection: ConnectionID, out_path: str | Path | None,
                      options: FaxOptions | None = None, *,
                      on_event: EventCallback | None = None) -> FaxResult:
        """Receive a fax (:meth:`start_receive`) and return its result."""
        return await self.start_receive(connection, out_path, options, on_event=on_event).wait()


@dataclass(frozen=True, slots=True, kw_only=True)
class FaxRecord:
    """One fax the desk took: the call, the route that had it, the far party's device, the
    file written (None when no page came in), the T.30 result, and switch times."""

    call_id: str
    route: str
    far_device: str
    path: Path | None
    result: FaxResult
    pages: int
    incomplete_pages: int
    started_s: float
    ended_s: float


class FaxDesk:
    """Receives the faxes that call ``routes``: on ``ToneDetected(tone="CNG")`` for a call at
    a route, a receiver takes the call and writes ``<folder>/fax-<call id>.tif``.  With
    ``answer`` the desk also answers every call offered to the routes (a fax-only number);
    otherwise something else answers (an IVR) and the desk steps in on CNG.

    The receiver's tap replaces whatever else plays to the caller.  ``on_take`` is called with
    the call id when the desk takes a call, before its receiver starts: pass an IVR's
    :meth:`~pycti.callcenter.flow_runner.FlowRunner.release` so the flow serving the call stops
    (else its menu timeout would later hang up or transfer the fax call).
    """

    def __init__(self, service: FaxService, routes: Sequence[str], folder: str | Path,
                 options: FaxOptions | None = None, *, answer: bool = False,
                 on_record: Callable[[FaxRecord], None] | None = None,
                 on_take: Callable[[str], object] | None = None) -> None:
        if isinstance(routes, str) or not routes or not all(isinstance(r, str) and r for r in routes):
            raise FaxServiceError(f"routes must be a non-empty sequence of device names, got {routes!r}")
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise FaxServiceError(f"folder {str(self.folder)!r} does not exist")
        self.service = service
        self.routes = tuple(routes)
        self.options = _options(options)
        self.answer = answer
        self.on_record = on_record
        self.on_take = on_take
        #: One record per fax taken, in the order they ended.
        self.records: list[FaxRecord] = []
        self._busy: dict[str, asyncio.Task[None]] = {}

    async def run(self) -> None:
        """Watch the routes until cancelled (the faxes under way are then cut off)."""
        try:
            await asyncio.gather(*(self._watch(route) for route in self.routes))
        finally:
            for task in list(self._busy.values()):
                task.cancel()

    async def _watch(self, route: str) -> None:
        async with self.service.provider.monitor(route) as events:
            async for e in events:
                if isinstance(e, ev.Delivered) and self.answer and e.connection.device_id == route:
                    try:
                        await self.service.provider.answer_call(e.connection)
                    except PyctiError as exc:  # the caller left before the answer
                        log.info("fax desk %s: cannot answer %s: %s", route, e.connection, exc)
                elif isinstance(e, ev.ToneDetected) and e.tone == CNG_TONE and e.device != route:
                    self._take(route, e)

    def _take(self, route: str, e: ev.ToneDetected) -> None:
        call_id = e.connection.call_id
        if call_id in self._busy:
            return  # CNG repeats every 3.5 s: one receiver per call
        if self.on_take is not None:
            try:
                self.on_take(call_id)
            except Exception:  # the application's callback: logged, the fax is still taken
                log.exception("fax desk %s: on_take for call %s failed", route, call_id)
        task = asyncio.ensure_future(self._receive(route, call_id, e.device))
        self._busy[call_id] = task
        task.add_done_callback(lambda _t: self._busy.pop(call_id, None))

    def _path(self, call_id: str) -> Path:
        path, n = self.folder / f"fax-{call_id}.tif", 1
        while path.exists():
            path, n = self.folder / f"fax-{call_id}-{n}.tif", n + 1
        return path

    async def _receive(self, route: str, call_id: str, far_device: str) -> None:
        provider = self.service.provider
        started = provider.now()
        try:
            session = self.service.start_receive(ConnectionID(call_id, route), self._path(call_id),
                                                 self.options)
            result = await session.wait()
        except PyctiError as exc:  # the call left before the receiver could start, or it failed
            log.warning("fax desk %s: call %s: %s", route, call_id, exc)
            return
        record = FaxRecord(call_id=call_id, route=route, far_device=far_device, path=session.written,
                           result=result, pages=result.pages, incomplete_pages=result.incomplete_pages,
                           started_s=started, ended_s=provider.now())
        self.records.append(record)
        if self.on_record is not None:
            self.on_record(record)
