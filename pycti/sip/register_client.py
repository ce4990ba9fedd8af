"""REGISTER client: the state machine of a UA keeping a registration with a registrar or trunk
provider, sans-I/O (RFC 3261 §10.2, RFC 5626 §4.5 back-off, RFC 3261 §22 via
:class:`pycti.sip.digest.DigestClient`).

Inputs are plain data: :meth:`RegisterClient.start`/:meth:`RegisterClient.stop`, the final
responses to the REGISTERs it asked for (:meth:`RegisterClient.on_response`: status code,
CSeq, the expiry the registrar granted our Contact, ``Min-Expires``, ``Retry-After``, the
challenge header values) and the timers it asked for (:meth:`RegisterClient.on_timer`), each
with ``now_s``.  Outputs are actions: :class:`SendRegister`, :class:`SetTimer`,
:class:`CancelTimer` and the events :class:`Registered`, :class:`RegistrationFailed`,
:class:`Unregistered`.  A transaction timeout is given as status 408 and a transport error
as 503 (RFC 3261 §8.1.3.1); provisional responses and responses to an older CSeq are ignored.

Every state change is a row of :data:`TRANSITIONS`: ``(state, input) -> (next state, steps)``;
a pair absent from the table is ignored (a late timer, a second ``start``).

Choices:

* Call-ID is kept for every REGISTER of the client, CSeq goes up by one per REGISTER
  (RFC 3261 §10.2.4, §10.2).
* Refresh: a grant of ``E`` seconds is refreshed ``E - max(32, E/10)`` seconds after the 2xx,
  and at ``E/2`` when ``E < 64``.  32 s is Timer F (64*T1, RFC 3261 §17.1.2.2), the longest a
  non-INVITE transaction may take: the refresh transaction ends, answered or timed out, before
  the binding lapses.  Long grants refresh at 90 %, short ones half-way.
* 423: the requested expiry is raised to ``Min-Expires`` and the REGISTER sent again at once
  (RFC 3261 §10.2.8), as long as that is higher than before and within ``max_expires_s``.
* 401/407: the challenge goes to the digest client; a REGISTER it can answer is resent at
  once; one it cannot (no or rejected credentials, challenge loop) is a failure.
* Failure: retry after ``min(retry_max_s, retry_base_s * 2**failures) * u`` with ``u``
  uniform in [0.5, 1) from the injected source (RFC 5626 §4.5: base 30 s, max 1800 s, a
  random 50-100 %), and no sooner than a ``Retry-After``.
* Unregistering sends ``Expires: 0``; any final answer ends it (a binding not removed lapses
  at its expiry).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pycti.errors import PyctiError
from pycti.sip.digest import AuthorizationHeader, DigestClient
from pycti.sip.table_enum import TableEnum

__all__ = [
    "CancelTimer",
    "RegInput",
    "RegState",
    "RegStep",
    "RegisterAction",
    "RegisterClient",
    "RegisterClientError",
    "RegisterConfig",
    "Registered",
    "RegistrationFailed",
    "SendRegister",
    "SetTimer",
    "TRANSITIONS",
    "TimerKind",
    "UnitRandom",
    "Unregistered",
    "refresh_delay_s",
    "retry_delay_s",
]

#: RFC 3261 Timer F (64 * T1 with T1 = 500 ms): the non-INVITE transaction timeout.
TIMER_F_S = 32.0


class RegisterClientError(PyctiError, ValueError):
    """A registration configuration or input with values that cannot be used."""


class RegState(TableEnum):
    """Where the registration stands."""

    UNREGISTERED = "unregistered"
    REGISTERING = "registering"
    REGISTERED = "registered"
    REFRESHING = "refreshing"
    FAILED = "failed"  # waiting for the retry timer
    UNREGISTERING = "unregistering"


class RegInput(TableEnum):
    """What can happen to the registration (responses are classified into these)."""

    START = "start"
    STOP = "stop"
    OK = "ok"  # 2xx granting our contact (for an unregister: any 2xx)
    CHALLENGE = "challenge"  # 401/407 the digest client answers
    AUTH_FAILED = "auth-failed"  # 401/407 it cannot answer
    TOO_BRIEF = "too-brief"  # 423 with a usable Min-Expires
    FAILURE = "failure"  # any other final response, timeout, transport error
    REFRESH_TIMER = "refresh-timer"
    RETRY_TIMER = "retry-timer"


class TimerKind(TableEnum):
    """The timers the client asks for; at most one is pending."""

    REFRESH = "refresh"
    RETRY = "retry"


@dataclass(frozen=True)
class SendRegister:
    """Send a REGISTER with this Call-ID, CSeq, ``Expires`` and credentials header fields."""

    call_id: str
    cseq: int
    expires_s: int
    authorization: tuple[AuthorizationHeader, ...] = ()


@dataclass(frozen=True)
class SetTimer:
    """Call :meth:`RegisterClient.on_timer` with ``kind`` at ``at_s`` (replaces any other)."""

    kind: TimerKind
    at_s: float


@dataclass(frozen=True)
class CancelTimer:
    """Forget the pending timer of ``kind``."""

    kind: TimerKind


@dataclass(frozen=True)
class Registered:
    """The registrar granted ``expires_s``: registered until ``until_s``."""

    expires_s: int
    until_s: float
    refresh_at_s: float


@dataclass(frozen=True)
class RegistrationFailed:
    """A REGISTER failed with ``status_code``; retried at ``retry_at_s``.  A registration made
    earlier may still hold until ``registered_until_s``."""

    status_code: int
    detail: str
    retry_at_s: float
    registered_until_s: float | None


@dataclass(frozen=True)
class Unregistered:
    """The registration is over (removed, or left to lapse after a failed unregister)."""

    status_code: int


RegisterAction = SendRegister | SetTimer | CancelTimer | Registered | RegistrationFailed | Unregistered


class RegStep(TableEnum):
    """What a transition does, in order (the right-hand side of :data:`TRANSITIONS`)."""

    SEND = "send"
    SEND_UNREGISTER = "send-unregister"
    RAISE_EXPIRES = "raise-expires"
    GRANTED = "granted"
    FAILED = "failed"
    UNREGISTERED = "unregistered"
    CANCEL_TIMER = "cancel-timer"


_Row = tuple[RegState, tuple[RegStep, ...]]


def _rows() -> dict[tuple[RegState, RegInput], _Row]:
    S, I, P = RegState, RegInput, RegStep
    rows: dict[tuple[RegState, RegInput], _Row] = {
        (S.UNREGISTERED, I.START): (S.REGISTERING, (P.SEND,)),
        (S.REGISTERED, I.REFRESH_TIMER): (S.REFRESHING, (P.SEND,)),
        (S.REGISTERED, I.STOP): (S.UNREGISTERING, (P.CANCEL_TIMER, P.SEND_UNREGISTER)),
        (S.FAILED, I.RETRY_TIMER): (S.REGISTERING, (P.SEND,)),
        (S.FAILED, I.START): (S.REGISTERING, (P.CANCEL_TIMER, P.SEND)),
        (S.FAILED, I.STOP): (S.UNREGISTERING, (P.CANCEL_TIMER, P.SEND_UNREGISTER)),
        (S.UNREGISTERING, I.START): (S.REGISTERING, (P.SEND,)),
        (S.UNREGISTERING, I.CHALLENGE): (S.UNREGISTERING, (P.SEND_UNREGISTER,)),
    }
    for inp in (I.OK, I.AUTH_FAILED, I.FAILURE, I.TOO_BRIEF):  # any final answer ends an unregister
        rows[(S.UNREGISTERING, inp)] = (S.UNREGISTERED, (P.UNREGISTERED,))
    for state in (S.REGISTERING, S.REFRESHING):  # a REGISTER is outstanding
        rows[(state, I.OK)] = (S.REGISTERED, (P.GRANTED,))
        rows[(state, I.CHALLENGE)] = (state, (P.SEND,))
        rows[(state, I.TOO_BRIEF)] = (state, (P.RAISE_EXPIRES, P.SEND))
        rows[(state, I.AUTH_FAILED)] = (S.FAILED, (P.FAILED,))
        rows[(state, I.FAILURE)] = (S.FAILED, (P.FAILED,))
        rows[(state, I.STOP)] = (S.UNREGISTERING, (P.SEND_UNREGISTER,))
    return rows


#: THE transition table: ``(state, input) -> (next state, steps)``.
TRANSITIONS: dict[tuple[RegState, RegInput], _Row] = _rows()


def refresh_delay_s(granted_s: int) -> float:
    """Seconds after a 2xx granting ``granted_s`` at which to refresh (see module notes)."""
    if granted_s <= 0:
        raise RegisterClientError(f"granted expiry {granted_s} s cannot be refreshed")
    if granted_s < 2 * TIMER_F_S:
        return granted_s / 2.0
    return granted_s - max(TIMER_F_S, granted_s / 10.0)


def retry_delay_s(failures: int, unit: float, *, base_s: float = 30.0, max_s: float = 1800.0) -> float:
    """RFC 5626 §4.5: ``min(max_s, base_s * 2**failures)`` times a factor from 0.5 to 1,
    ``unit`` in [0, 1) choosing it; ``failures`` counts the failure just seen."""
    if failures < 1 or not 0.0 <= unit < 1.0:
        raise RegisterClientError(f"failures={failures} must be >= 1 and unit={unit} in [0, 1)")
    return min(max_s, base_s * 2.0 ** min(failures, 64)) * (0.5 + 0.5 * unit)


@dataclass(frozen=True)
class RegisterConfig:
    """What to register: the Request-URI (the registrar's domain), the Call-ID kept for every
    REGISTER, the expiry asked for and the retry timing (RFC 5626 §4.5 defaults)."""

    registrar_uri: str
    call_id: str
    expires_s: int = 3600
    max_expires_s: int = 86400
    retry_base_s: float = 30.0
    retry_max_s: float = 1800.0
    first_cseq: int = 1

    def __post_init__(self) -> None:
        if not 0 < self.expires_s <= self.max_expires_s:
            raise RegisterClientError(f"expires_s={self.expires_s} must be in 1..max_expires_s={self.max_expires_s}")
        if not 0 < self.retry_base_s <= self.retry_max_s:
            raise RegisterClientError(f"retry_base_s={self.retry_base_s}, retry_max_s={self.retry_max_s}")
        if not 1 <= self.first_cseq < 2**31:
            raise RegisterClientError(f"first_cseq={self.first_cseq} is not a CSeq number (1 .. 2**31-1)")


#: A source of uniform numbers in [0, 1) (``random.Random(seed).random``).
UnitRandom = Callable[[], float]


class RegisterClient:
    """One registration's state machine (see the module notes); drive it with the methods,
    act on the returned actions."""

    def __init__(self, config: RegisterConfig, digest: DigestClient, random_unit: UnitRandom) -> None:
        self.config = config
        self._digest = digest
        self._random = random_unit
        self.state = RegState.UNREGISTERED
        self.expires_s = config.expires_s
        self.cseq = config.first_cseq - 1
        self.failures = 0
        self.registered_until_s: float | None = None
        self._outstanding: int | None = None
        self._timer: TimerKind | None = None
        # What the current input carries, for the steps.
        self._status = 0
        self._detail = ""
        self._granted_s = 0
        self._min_expires_s = 0
        self._retry_after_s = 0.0

    def start(self, now_s: float) -> tuple[RegisterAction, ...]:
        """Register (again after a failure or an unregister)."""
        return self._fire(RegInput.START, now_s)

    def stop(self, now_s: float) -> tuple[RegisterAction, ...]:
        """Unregister: send ``Expires: 0`` and stop refreshing."""
        return self._fire(RegInput.STOP, now_s)

    def on_timer(self, kind: TimerKind, now_s: float) -> tuple[RegisterAction, ...]:
        """A timer the client asked for fired; a cancelled or replaced one is ignored."""
        if kind is not self._timer:
            return ()
        self._timer = None
        return self._fire(RegInput.REFRESH_TIMER if kind is TimerKind.REFRESH else RegInput.RETRY_TIMER, now_s)

    def on_response(
        self,
        status_code: int,
        now_s: float,
        *,
        cseq: int,
        granted_expires_s: int | None = None,
        min_expires_s: int | None = None,
        retry_after_s: float | None = None,
        challenge_values: Sequence[str] = (),
    ) -> tuple[RegisterAction, ...]:
        """A response to REGISTER ``cseq``.  ``granted_expires_s`` is the ``expires`` of our
        Contact in a 2xx (else its ``Expires`` header; ``None`` when neither is present),
        ``min_expires_s`` the ``Min-Expires`` of a 423, ``retry_after_s`` a ``Retry-After``,
        ``challenge_values`` the ``WWW-Authenticate`` (401) or ``Proxy-Authenticate`` (407)
        values."""
        if not 100 <= status_code <= 699:
            raise RegisterClientError(f"status code {status_code} is not 100..699")
        if status_code < 200 or cseq != self._outstanding:
            return ()
        self._outstanding = None
        self._status, self._retry_after_s = status_code, retry_after_s or 0.0
        self._detail = f"{status_code} to CSeq {cseq}"
        inp = self._classify(status_code, granted_expires_s, min_expires_s, challenge_values)
        if status_code not in (401, 407):
            self._digest.accepted()
        return self._fire(inp, now_s)

    def _classify(self, status: int, granted: int | None, min_expires: int | None,
                  challenges: Sequence[str]) -> RegInput:
        if 200 <= status < 300:
            if self.state is RegState.UNREGISTERING:
                return RegInput.OK
            self._granted_s = self.expires_s if granted is None else granted
            if self._granted_s <= 0:
                self._detail = f"{status} but the registrar kept no binding for our contact"
                return RegInput.FAILURE
            return RegInput.OK
        if status in (401, 407):
            verdict = self._digest.on_challenge(status, challenges)
            self._detail = f"{status}: {verdict.outcome.value} ({verdict.detail})"
            return RegInput.CHALLENGE if verdict.retry else RegInput.AUTH_FAILED
        if status == 423:
            if min_expires is not None and self.expires_s < min_expires <= self.config.max_expires_s:
                self._min_expires_s = min_expires
                return RegInput.TOO_BRIEF
            self._detail = f"423 with Min-Expires {min_expires} after asking {self.expires_s} s"
        return RegInput.FAILURE

    def _fire(self, inp: RegInput, now_s: float) -> tuple[RegisterAction, ...]:
        row = TRANSITIONS.get((self.state, inp))
        if row is None:
            return ()
        self.state, steps = row
        out: list[RegisterAction] = []
        for step in steps:
            out.extend(self._run(step, now_s))
        return tuple(out)

    def _send(self, expires_s: int) -> SendRegister:
        self.cseq += 1
        self._outstanding = self.cseq
        auth = self._digest.authorization("REGISTER", self.config.registrar_uri)
        return SendRegister(self.config.call_id, self.cseq, expires_s, auth)

    def _set_timer(self, kind: TimerKind, at_s: float) -> SetTimer:
        self._timer = kind
        return SetTimer(kind, at_s)

    def _run(self, step: RegStep, now_s: float) -> list[RegisterAction]:
        if step is RegStep.SEND:
            return [self._send(self.expires_s)]
        if step is RegStep.SEND_UNREGISTER:
            return [self._send(0)]
        if step is RegStep.RAISE_EXPIRES:
            self.expires_s = self._min_expires_s
            return []
        if step is RegStep.CANCEL_TIMER:
            kind, self._timer = self._timer, None
            return [] if kind is None else [CancelTimer(kind)]
        if step is RegStep.GRANTED:
            self.failures = 0
            self.registered_until_s = now_s + self._granted_s
            refresh_at = now_s + refresh_delay_s(self._granted_s)
            return [Registered(self._granted_s, self.registered_until_s, refresh_at),
                    self._set_timer(TimerKind.REFRESH, refresh_at)]
        if step is RegStep.FAILED:
            self.failures += 1
            cfg = self.config
            wait = retry_delay_s(self.failures, self._random(), base_s=cfg.retry_base_s, max_s=cfg.retry_max_s)
            retry_at = now_s + max(wait, self._retry_after_s)
            until = self.registered_until_s if self.registered_until_s and self.registered_until_s > now_s else None
            return [RegistrationFailed(self._status, self._detail, retry_at, until),
                    self._set_timer(TimerKind.RETRY, retry_at)]
        # RegStep.UNREGISTERED
        self.registered_until_s = None
        self.failures = 0
        self._digest.forget()
        return [Unregistered(self._status)]
