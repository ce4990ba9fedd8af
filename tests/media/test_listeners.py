"""Listeners in a group: a monitoring supervisor hears the call and is heard by nobody, or,
whispering, by one member only; the other groups are mixed as before."""

from __future__ import annotations

import numpy as np
import pytest

from pycti.media.plane import MediaPlane

N = 160


def _inbound() -> np.ndarray:
    x = np.zeros((5, N), np.int16)
    for ch, level in enumerate((100, 2000, 30, 7, 500)):
        x[ch] = level
    return x


@pytest.mark.parametrize(
    ("listeners", "agent", "caller", "supervisor"),
    [
        (None, 2000 + 30, 100 + 30, 100 + 2000),  # barge-in: a 3-way conference
        ({2: None}, 2000, 100, 100 + 2000),  # silent monitor
        ({2: 0}, 2000 + 30, 100, 100 + 2000),  # whisper to the agent
    ],
)
def test_who_hears_whom(listeners: dict[int, int | None] | None, agent: int, caller: int, supervisor: int) -> None:
    with MediaPlane(5) as plane:
        plane.set_parties("call", [0, 1, 2], listeners)
        plane.set_parties("other", [3, 4])
        out = plane.tick(_inbound()).outbound
    assert (out[0] == agent).all() and (out[1] == caller).all() and (out[2] == supervisor).all()
    assert (out[3] == 500).all() and (out[4] == 7).all()  # the other call is untouched


def test_a_listener_must_be_a_member() -> None:
    with MediaPlane(4) as plane:
        with pytest.raises(ValueError, match="listener"):
            plane.set_parties("call", [0, 1], {3: None})
        with pytest.raises(ValueError, match="listener"):
            plane.set_parties("call", [0, 1, 2], {2: 3})
        plane.set_parties("call", [0, 1, 2], {2: None})
        plane.set_parties("call", [0, 1])  # the supervisor left: an ordinary bridge again
        out = plane.tick(_inbound()[:4]).outbound
        assert (out[0] == 2000).all() and (out[1] == 100).all() and not out[2].any()
