"""The base of the enums the SIP state machines key their tables on.

Every machine here (transactions, calls, offers, dialogs, the SIP driver's ports) looks its
step up in a dict keyed by ``(state, input)``, several times per message.  :class:`enum.Enum`
hashes a member by hashing its name in Python code (``Enum.__hash__``); members are singletons
compared by identity, so the identity hash of :class:`object` (C, no Python frame) is
equivalent and what :class:`TableEnum` uses.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["TableEnum"]


class TableEnum(Enum):
    """An :class:`~enum.Enum` hashed by identity (members are singletons, equal only to themselves)."""

    __hash__ = object.__hash__
