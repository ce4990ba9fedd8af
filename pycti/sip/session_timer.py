"""Session timers (RFC 4028): negotiation of Session-Expires / Min-SE and the refresh plan.

* UAC (§7): the INVITE carries ``Supported: timer``, ``Session-Expires`` and ``Min-SE``; a
  422 answer carries the peer's Min-SE, and the INVITE is sent again asking at least that
  (§7.4).  The 2xx says the interval and the refresher (§7.2); without ``Session-Expires`` in
  the 2xx there is no session timer.
* UAS (§9): a Session-Expires below our Min-SE is answered 422 with our Min-SE (§9); otherwise
  the interval is the request's, lowered to our maximum when it asks more (never below its
  Min-SE); the refresher is the request's choice, else the UAC when it supports ``timer``,
  else us.  The 2xx echoes ``Session-Expires: N;refresher=...`` and ``Require: timer`` when
  the UAC supports it.
* Both (§10): the refresher refreshes at half the interval; the other side sends BYE when
  ``interval - min(32, interval/3)`` passes without a refresh.
"""

from __future__ import annotations

from dataclasses import dataclass

from pycti.sip.message import SipRequest, SipResponse

__all__ = ["SessionTimer", "parse_session_expires", "option_tags", "uac_fields",
           "uas_negotiate", "uac_result", "response_fields", "refresh_delay_s",
           "expiry_delay_s", "MIN_SE_FLOOR_S"]

MIN_SE_FLOOR_S = 90
"""The smallest Min-SE RFC 4028 §4 allows."""


@dataclass(frozen=True, slots=True)
class SessionTimer:
    """A negotiated session timer: the interval and whether we refresh."""

    interval_s: int
    we_refresh: bool
    refresher: str  # "uac" or "uas", as the Session-Expires parameter says


def option_tags(message: SipRequest | SipResponse, name: str) -> frozenset[str]:
    """The option tags of ``Supported``/``Require`` (lower case)."""
    return frozenset(t.strip().lower() for t in message.headers.get_list(name) if t.strip())


def parse_session_expires(value: str | None) -> tuple[int, str | None] | None:
    """``delta-seconds *(;se-params)`` -> (seconds, refresher or None); None if absent/bad."""
    if value is None:
        return None
    head, *params = [p.strip() for p in value.split(";")]
    if not head.isdigit():
        return None
    refresher = None
    for param in params:
        name, _, val = param.partition("=")
        if name.strip().lower() == "refresher" and val.strip().lower() in ("uac", "uas"):
            refresher = val.strip().lower()
    return int(head), refresher


def _min_se(message: SipRequest | SipResponse) -> int | None:
    value = message.headers.get("Min-SE")
    if value is None:
        return None
    head = value.split(";")[0].strip()
    return int(head) if head.isdigit() else None


def uac_fields(interval_s: int, min_se_s: int) -> tuple[tuple[str, str], ...]:
    """The fields a UAC adds to an INVITE asking for a session timer (§7.1)."""
    return (("Session-Expires", str(interval_s)), ("Min-SE", str(min_se_s)))


def uas_negotiate(request: SipRequest, *, max_s: int | None,
                  min_se_s: int) -> SessionTimer | int | None:
    """Decide on a received INVITE/UPDATE: a :class:`SessionTimer`, ``None`` (no timer), or
    the Min-SE to send in a 422 when the request asks for less than ``min_se_s``."""
    asked = parse_session_expires(request.headers.get("Session-Expires"))
    uac_supports = "timer" in option_tags(request, "Supported")
    if asked is None:
        if max_s is None or not uac_supports:
            return None  # §9: we may insert one; we only do when the UAC can refresh
        return SessionTimer(max_s, False, "uac")
    interval, refresher = asked
    if interval < min_se_s:
        return min_se_s
    if max_s is not None and interval > max_s:
        interval = max(max_s, _min_se(request) or 0, min_se_s)
    if refresher is None:
        refresher = "uac" if uac_supports else "uas"
    return SessionTimer(interval, refresher == "uas", refresher)


def response_fields(timer: SessionTimer, request: SipRequest) -> tuple[tuple[str, str], ...]:
    """The fields of our 2xx that confirm ``timer`` (§9)."""
    fields: tuple[tuple[str, str], ...] = (
        ("Session-Expires", f"{timer.interval_s};refresher={timer.refresher}"),)
    if "timer" in option_tags(request, "Supported"):
        fields += (("Require", "timer"),)
    return fields


def uac_result(response: SipResponse) -> SessionTimer | None:
    """The timer a 2xx to our INVITE/UPDATE sets (§7.2), ``None`` without Session-Expires."""
    got = parse_session_expires(response.headers.get("Session-Expires"))
    if got is None:
        return None
    interval, refresher = got
    refresher = refresher or "uac"
    return SessionTimer(interval, refresher == "uac", refresher)


def min_se_of_422(response: SipResponse) -> int | None:
    """The Min-SE a 422 demands (§7.4)."""
    return _min_se(response)


def refresh_delay_s(interval_s: int) -> float:
    """When the refresher refreshes: half the interval (§10)."""
    return interval_s / 2


def expiry_delay_s(interval_s: int) -> float:
    """When the other side gives up: ``interval - min(32, interval/3)`` (§10)."""
    return interval_s - min(32.0, interval_s / 3)
