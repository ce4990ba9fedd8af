"""The Provider API: one asyncio interface to call control, whatever is underneath.

``async with pycti.open(config) as provider:`` gives a :class:`Provider`.  Its services are
coroutines named after the ECMA-269 services; each returns once the switch has accepted the
request (the outcome then arrives as events), and raises :class:`pycti.errors.CstaError` with
the ECMA-269 error value when the switch refuses it — in which case nothing changed.
``provider.monitor(device)`` is an async iterator of the CSTA events of that device's calls.

Call control (:class:`Provider`) stands apart from the media extension
(:class:`MediaProvider`: play, record): a provider for an external PBX implements only the first.

:class:`pycti.local.provider.LocalProvider` runs pycti's own soft switch over a driver; a
CSTA client provider (ECMA-323 over TCP) implements the same class for an external PBX.
"""

from __future__ import annotations

import abc
import enum
import os
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from .media.taps import FrameTap
from .monitor import EventStream
from .switch.agent_states import PendingAgentState, RequestedAgentState
from .switch.agents import AgentStateEntry
from .switch.ids import ConnectionID
from .switch.states import ConnectionState

__all__ = ["Provider", "MediaProvider", "DeviceSnapshotEntry", "CallSnapshotEntry", "PlayOutcome", "Recording"]


class DeviceSnapshotEntry(NamedTuple):
    """One connection of a SnapshotDevice result."""

    connection: ConnectionID
    state: ConnectionState


class CallSnapshotEntry(NamedTuple):
    """One party of a SnapshotCall result."""

    device: str
    connection: ConnectionID
    state: ConnectionState


class PlayOutcome(enum.Enum):
    """How a ``play(wait=True)`` ended."""

    COMPLETED = "completed"  #: every sample was played
    STOPPED = "stopped"  #: stop_playing, or a later play replaced it
    CALL_CLEARED = "call_cleared"  #: the parties left the call mid-prompt


class TapOutcome(enum.Enum):
    """How :meth:`MediaProvider.run_tap` ended."""

    DONE = "done"  #: the tap said it was done
    FAILED = "failed"  #: the tap raised (the error is logged; the call goes on)
    CALL_CLEARED = "callCleared"  #: the call ended first
    DETACHED = "detached"  #: taken off (provider closing)


class Recording(abc.ABC):
    """A recording bound to a call: it stops by itself when the call ends."""

    path: os.PathLike[str] | str

    @property
    @abc.abstractmethod
    def active(self) -> bool:
        """True while audio is being written."""

    @property
    @abc.abstractmethod
    def paused(self) -> bool:
        """True while paused."""


class Provider(abc.ABC):
    """Call control over one switch (ECMA-269 services and event monitors)."""

    # -- time -----------------------------------------------------------------------------
    @abc.abstractmethod
    def now(self) -> float:
        """The switch's current time in seconds (virtual or real)."""

    @abc.abstractmethod
    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of switch time (virtual time passes as fast as the CPU allows)."""

    # -- monitoring -------------------------------------------------------------------------
    @abc.abstractmethod
    def monitor(self, device: str, *, maxsize: int = 10_000) -> EventStream[Any]:
        """MonitorStart on ``device``: an async iterator of the events of every call at it.

        Closing the stream (``aclose()``, or leaving ``async with``) is MonitorStop.
        """

    # -- basic call control -----------------------------------------------------------------
    @abc.abstractmethod
    async def make_call(self, calling_device: str, called_number: str) -> ConnectionID:
        """MakeCall: originate from ``calling_device`` to ``called_number``; returns the
        calling device's connection (initiated; Originated/Delivered follow)."""

    @abc.abstractmethod
    async def answer_call(self, connection: ConnectionID) -> None:
        """AnswerCall: answer an alerting connection (the line goes off-hook)."""

    @abc.abstractmethod
    async def clear_connection(self, connection: ConnectionID) -> None:
        """ClearConnection: release one device from its call (the line goes on-hook)."""

    @abc.abstractmethod
    async def clear_call(self, call_id: str) -> None:
        """ClearCall: release every device from the call."""

    @abc.abstractmethod
    async def hold_call(self, connection: ConnectionID) -> None:
        """HoldCall: put a connected connection on hold (it stops hearing the call)."""

    @abc.abstractmethod
    async def retrieve_call(self, connection: ConnectionID) -> None:
        """RetrieveCall: reconnect a held connection."""

    @abc.abstractmethod
    async def alternate_call(self, held: ConnectionID, active: ConnectionID) -> None:
        """AlternateCall: hold ``active`` and retrieve ``held`` in one step."""

    @abc.abstractmethod
    async def reconnect_call(self, active: ConnectionID, held: ConnectionID) -> None:
        """ReconnectCall: clear ``active`` and retrieve ``held``."""

    # -- consultation, transfer, conference -------------------------------------------------
    @abc.abstractmethod
    async def consultation_call(self, existing: ConnectionID, consulted_device: str) -> ConnectionID:
        """ConsultationCall: hold ``existing`` and call ``consulted_device``; returns the new
        connection of the consulting device."""

    @abc.abstractmethod
    async def transfer_call(self, held: ConnectionID, active: ConnectionID) -> ConnectionID:
        """TransferCall: join the held and active calls' other parties and drop the
        transferring device; returns the resulting call's connection of the held call's party."""

    @abc.abstractmethod
    async def conference_call(self, held: ConnectionID, active: ConnectionID) -> ConnectionID:
        """ConferenceCall: merge the held and active calls into one conference; returns the
        conferencing device's connection in it."""

    @abc.abstractmethod
    async def single_step_transfer_call(self, active: ConnectionID, transferred_to: str) -> ConnectionID:
        """SingleStepTransferCall: move ``active``'s call to ``transferred_to`` without consultation."""

    @abc.abstractmethod
    async def deflect_call(self, connection: ConnectionID, new_destination: str) -> None:
        """DeflectCall: send an alerting or queued call on to ``new_destination``."""

    @abc.abstractmethod
    async def single_step_conference_call(self, active: ConnectionID, device_to_join: str, *,
                                          participation: str = "active") -> ConnectionID:
        """SingleStepConferenceCall: join idle station ``device_to_join`` (off-hook hands-free)
        to ``active``'s call -- ``active`` (barge-in), ``silent`` (monitoring: it hears the
        call, nobody hears it) or ``whisper`` (pycti extension: only ``active``'s device hears
        it, coaching an agent).  Event: Conferenced."""

    @abc.abstractmethod
    async def set_participation(self, joined: ConnectionID, participation: str) -> None:
        """pycti extension: change how a station that joined by single-step conference takes
        part (monitoring, whisper, barge-in); the audio follows at once."""

    @abc.abstractmethod
    async def deflect_call_to_all(self, connection: ConnectionID, new_destinations: Sequence[str]) -> None:
        """pycti extension (ring-all): divert an alerting or queued call to several stations at
        once; the first to answer gets it and the others stop ringing (ConnectionCleared,
        cause distributed)."""

    @abc.abstractmethod
    async def alert_also(self, alerting: ConnectionID, destination: str) -> ConnectionID:
        """pycti extension (ring progressively): ring one more station for a call alerting at
        ``alerting``'s device; the first to answer gets it, as with
        :meth:`deflect_call_to_all`."""

    @abc.abstractmethod
    async def directed_pickup_call(self, picked_device: str, requesting_device: str) -> ConnectionID:
        """DirectedPickupCall: ``requesting_device`` takes the call alerting at ``picked_device``."""

    @abc.abstractmethod
    async def group_pickup_call(self, requesting_device: str) -> ConnectionID:
        """GroupPickupCall: ``requesting_device`` takes a call alerting in its pickup group."""

    @abc.abstractmethod
    async def generate_digits(self, connection: ConnectionID, digits: str) -> None:
        """GenerateDigits: send DTMF ``digits`` from the connection's device into its call."""

    # -- agents (ECMA-269 clause 22.2) --------------------------------------------------------
    @abc.abstractmethod
    async def set_agent_state(
        self, device: str, requested: RequestedAgentState, *, agent_id: str | None = None,
        password: str | None = None, group: str | None = None, reason: str | None = None,
    ) -> PendingAgentState | None:
        """SetAgentState at station ``device``: log an agent on (``agent_id``, ``password``,
        to ``group`` or all its groups) or off, make it ready, not ready (with a ``reason``
        code) or working after call.  Agent events follow on the monitors of the station and
        of the agent's groups.  Returns the pending state when the change waits for the
        agent's call to end."""

    @abc.abstractmethod
    async def get_agent_state(self, device: str) -> AgentStateEntry:
        """GetAgentState: the agent logged on at ``device``, its state, groups and reason."""

    # -- snapshots --------------------------------------------------------------------------
    @abc.abstractmethod
    async def snapshot_device(self, device: str) -> Sequence[DeviceSnapshotEntry]:
        """SnapshotDevice: the device's connections and their states."""

    @abc.abstractmethod
    async def snapshot_call(self, call_id: str) -> Sequence[CallSnapshotEntry]:
        """SnapshotCall: the call's devices, connections and states."""



class MediaProvider(Provider):
    """A Provider that also plays and records audio (pycti's extension for IVR and recording)."""

    @abc.abstractmethod
    async def play(self, connection: ConnectionID, audio: np.ndarray | str, *, wait: bool = True,
                   loop: bool = False) -> PlayOutcome | None:
        """Play int16 8 kHz ``audio`` (or a WAV/raw file path) to the other parties of the
        connection's call, replacing what played there; with ``wait`` return when it has been
        played and return how it ended (:class:`PlayOutcome`); without ``wait`` return None at
        once.  ``loop`` repeats it until :meth:`stop_playing` (and never waits).  Audio must be a
        1-D int16 array (or a file path); anything else is a ValueError before anything plays."""

    @abc.abstractmethod
    async def run_tap(self, connection: ConnectionID, tap: FrameTap) -> TapOutcome:
        """Let ``tap`` talk with the other party of ``connection``'s call, frame by frame in
        lock-step (it hears that party and replaces what that party hears: a fax terminal, a
        modem), until it is done, fails or the call ends.  The call must have exactly one
        other party with audio."""

    @abc.abstractmethod
    async def stop_playing(self, connection: ConnectionID) -> None:
        """Stop whatever is playing to the connection's call (CstaError for an unknown connection)."""

    @abc.abstractmethod
    async def record(self, call_id: str, path: str | os.PathLike[str], *,
                     devices: Sequence[str] | None = None) -> Recording:
        """Record call ``call_id`` to a WAV at ``path``: one channel per party (every party of a
        conference), or per device of ``devices``.  The recording follows the call and stops
        by itself when the call clears."""

    @abc.abstractmethod
    async def stop_recording(self, recording: Recording) -> None:
        """Stop ``recording`` and close its file (idempotent)."""

    @abc.abstractmethod
    async def pause_recording(self, recording: Recording, paused: bool = True) -> None:
        """Pause (silence is not written) or resume ``recording``."""
