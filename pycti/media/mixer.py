"""Who hears whom: bridges as one index gather, conferences as one grouped sum minus self.

A *group* is a set of channels that hear each other.  Two-party groups (bridges) are compiled
into one pair of index arrays, so routing every bridge of the switch is ``out[dst] = in[src]``.
Groups of three or more (conferences) are compiled into one member array sorted by group, so
all conferences are mixed with one ``np.add.reduceat`` and one subtraction: each member hears
the sum of the others, clipped to int16.  Routing tables are rebuilt only when groups change.

A group may have *listeners* (a supervisor monitoring a call): a listener hears every speaking
member, and is heard by nobody -- or, whispering, by one member only (coaching an agent).  The
few groups with listeners are mixed again after the batched pass, one group at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["Router"]

_INT16_MIN = -32768
_INT16_MAX = 32767
_EMPTY = np.zeros(0, dtype=np.intp)


def _rows(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``a[idx]`` (rows), by ``take`` where that is cheaper: on a C-contiguous array."""
    return a.take(idx, axis=0) if a.flags.c_contiguous else a[idx]


class Router:
    """The groups of a media plane of ``channels`` channels and their compiled routing tables."""

    __slots__ = (
        "channels",
        "_groups",
        "_owner",
        "_dirty",
        "_bridge_src",
        "_bridge_dst",
        "_conf_members",
        "_conf_starts",
        "_conf_of_member",
        "_listeners",
    )

    def __init__(self, channels: int) -> None:
        self.channels = int(channels)
        self._groups: dict[str, tuple[int, ...]] = {}
        self._owner: dict[int, str] = {}
        self._dirty = True
        self._bridge_src = _EMPTY
        self._bridge_dst = _EMPTY
        self._conf_members = _EMPTY
        self._conf_starts = _EMPTY
        self._conf_of_member = _EMPTY
        self._listeners: dict[str, dict[int, int | None]] = {}  # group -> listener -> heard by

    @property
    def groups(self) -> Mapping[str, tuple[int, ...]]:
        """Read-only view: group id -> its channels."""
        return dict(self._groups)

    def group_of(self, channel: int) -> str | None:
        """The id of the group ``channel`` belongs to, or ``None``."""
        return self._owner.get(channel)

    def listeners_of(self, group_id: str) -> Mapping[int, int | None]:
        """The group's listeners and who hears each (read-only copy)."""
        return dict(self._listeners.get(group_id, {}))

    def set_parties(self, group_id: str, channels: Sequence[int],
                    listeners: Mapping[int, int | None] | None = None) -> None:
        """Make ``channels`` hear each other as group ``group_id``, replacing its previous members.

        An empty sequence removes the group.  ``listeners`` maps member channels that only
        listen to the one member who hears them (None: nobody).  Raises ``ValueError`` (and
        changes nothing) if a channel is out of range, repeated, or already in another group,
        or a listener or whisper target is not a member.
        """
        members = tuple(int(c) for c in channels)
        if len(set(members)) != len(members):
            raise ValueError(f"group {group_id!r}: repeated channel in {members}")
        for c in members:
            if not 0 <= c < self.channels:
                raise ValueError(f"group {group_id!r}: channel {c} out of range 0..{self.channels - 1}")
            other = self._owner.get(c)
            if other is not None and other != group_id:
                raise ValueError(f"group {group_id!r}: channel {c} is already in group {other!r}")
        heard: dict[int, int | None] = {int(k): (None if v is None else int(v)) for k, v in (listeners or {}).items()}
        for lis, target in heard.items():
            if lis not in members or (target is not None and (target not in members or target == lis)):
                raise ValueError(f"group {group_id!r}: listener {lis} -> {target} must be members")
        for c in self._groups.pop(group_id, ()):
            del self._owner[c]
        self._listeners.pop(group_id, None)
        if heard and members:
            self._listeners[group_id] = heard
        if members:
            self._groups[group_id] = members
            for c in members:
                self._owner[c] = group_id
        self._dirty = True

    def _compile(self) -> None:
        bridges = [g for g in self._groups.values() if len(g) == 2]
        confs = [g for g in self._groups.values() if len(g) >= 3]
        if bridges:
            pairs = np.asarray(bridges, dtype=np.intp)
            self._bridge_dst = pairs.reshape(-1)
            self._bridge_src = pairs[:, ::-1].reshape(-1)
        else:
            self._bridge_src = self._bridge_dst = _EMPTY
        if confs:
            sizes = np.fromiter((len(g) for g in confs), dtype=np.intp, count=len(confs))
            self._conf_members = np.fromiter(
                (c for g in confs for c in g), dtype=np.intp, count=int(sizes.sum())
            )
            self._conf_starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.intp)
            self._conf_of_member = np.repeat(np.arange(len(confs), dtype=np.intp), sizes)
        else:
            self._conf_members = self._conf_starts = self._conf_of_member = _EMPTY
        self._dirty = False

    def route(self, inbound: np.ndarray) -> np.ndarray:
        """Outbound int16 ``(channels, samples)``: what every channel hears from its group.

        Channels in no group (or alone in one) get silence.
        """
        if self._dirty:
            self._compile()
        out = np.zeros(inbound.shape, dtype=inbound.dtype)  # (cheaper than zeros_like)
        if self._bridge_dst.size:
            out[self._bridge_dst] = _rows(inbound, self._bridge_src)
        if self._conf_members.size:
            member_in = _rows(inbound, self._conf_members).astype(np.int32)
            sums = np.add.reduceat(member_in, self._conf_starts, axis=0)
            mixed = sums[self._conf_of_member] - member_in
            np.clip(mixed, _INT16_MIN, _INT16_MAX, out=mixed)
            out[self._conf_members] = mixed
        for group_id, heard in self._listeners.items():
            self._mix_with_listeners(self._groups[group_id], heard, inbound, out)
        return out

    @staticmethod
    def _mix_with_listeners(members: tuple[int, ...], heard: Mapping[int, int | None],
                            inbound: np.ndarray, out: np.ndarray) -> None:
        speakers = [c for c in members if c not in heard]
        total = inbound[speakers].astype(np.int32).sum(axis=0) if speakers else np.zeros(inbound.shape[1], np.int32)
        for c in members:
            own = inbound[c].astype(np.int32) if c not in heard else 0
            mix = total - own
            for lis, target in heard.items():
                if target == c:
                    mix = mix + inbound[lis].astype(np.int32)
            out[c] = np.clip(mix, _INT16_MIN, _INT16_MAX)
