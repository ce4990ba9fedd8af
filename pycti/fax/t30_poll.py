"""Transition handlers of polling (T.30 phase B, 5.3.6.1 DTC/CIG, Table 2 bit 9).

Polling turns the direction of the document round: the calling terminal receives it from the
answering terminal.  On the wire:

* the answering terminal that has a document to be polled sets DIS bit 9 ("ready to transmit
  a facsimile document (polling)"), and bit 10 only when it can receive as well;
* the polling caller, on that DIS (after CSI), sends (NSC,) CIG with its own number and DTC,
  whose FIF is laid out as a DIS: what the caller can receive (modems, coding, ECM, width);
  it sends them again at once when the DIS comes again or CRP asks, within T1 (see
  :func:`on_t4_await_dcs` for why not on its own T4).  A DIS without bit 9 ends the call with
  DCN and :attr:`~pycti.fax.t30_io.T30Result.POLLING_NOT_OFFERED`;
* the polled answerer, on DTC, chooses the mode from the DTC as a caller chooses it from a
  DIS and sends TSI + DCS, TCF, the pages, MPS/EOM/EOP (PPS with ECM), exactly as a calling
  transmitter does (:mod:`pycti.fax.t30_send`); the caller answers CFR/FTT and MCF/RTP/RTN
  (PPR, CTR) as an answering receiver does (:mod:`pycti.fax.t30_recv`); after MCF to EOP the
  transmitter, the answerer now, sends DCN.  After EOM the caller sends CIG + DTC again;
  the answerer takes a DIS there too (spandsp 0.0.6, polling, sends CSI + DIS after EOM).
  A DTC to a terminal with nothing to be polled gets DCN:
  :attr:`~pycti.fax.t30_io.T30Result.INCOMPATIBLE`.

The X bit stays as the call began (T.30 5.3.6.1): 1 in every frame of the caller (CIG, DTC
have none; CFR, MCF ... have it), 0 in the answerer's (TSI, DCS, EOP, DCN ...).
"""

from __future__ import annotations

from pycti.fax.t30_core import Ctx, Role, State
from pycti.fax.t30_frames import Fcf
from pycti.fax.t30_io import T30Result
from pycti.fax.t30_send import send_dcs, take_capabilities

__all__ = ["on_dis", "on_dis_again", "on_dtc", "on_start", "on_t4_await_dcs"]


def on_start(ctx: Ctx) -> State:
    """The call is connected: listen for the answerer's DIS for T1 (CNG is the terminal's)."""
    ctx.start_t1()
    return State.P_AWAIT_DIS


def on_dis(ctx: Ctx) -> State:
    """DIS (after CSI/NSF): with bit 9 set, send CIG + DTC (the entry of R_SEND_DIS) and
    receive; without it, DCN."""
    dis = take_capabilities(ctx, Fcf.DIS, Fcf.CSI)
    if dis is None:
        return ctx.finish(T30Result.INCOMPATIBLE, send_dcn=True)
    if not dis.ready_to_transmit:
        return ctx.finish(T30Result.POLLING_NOT_OFFERED, send_dcn=True)
    return State.R_SEND_DIS


def on_dis_again(ctx: Ctx) -> State | None:
    """DIS (the answerer did not hear DTC) or CRP (it heard it damaged) while the poller
    waits for DCS: CIG + DTC again at once.  An answerer waiting for DCS ignores both."""
    return State.R_SEND_DIS if ctx.polling else None


def on_t4_await_dcs(ctx: Ctx) -> State | None:
    """T4 passed without DCS.  The answerer sends its DIS again.  The poller does not repeat
    DTC on its own before the first page: the answerer repeats DIS every T4 until T1, and two
    stations repeating on the same timer would keep talking over each other; each DIS it
    hears gets CIG + DTC at once instead (:func:`on_dis_again`), and T1 bounds the wait.
    After EOM the polled transmitter waits silently for DIS/DTC, so there the poller repeats
    CIG + DTC every T4 (T1 again bounding it)."""
    if ctx.polling and ctx.pages_received == 0:
        return None
    return State.R_SEND_DIS


def on_dtc(ctx: Ctx) -> State:
    """DTC (after CIG/NSC) to the answering terminal: with a document to be polled, choose
    the mode from the DTC and send TSI + DCS as a calling transmitter does; without one, DCN.
    The calling terminal that sends is never polled (turnaround polling is not implemented)."""
    if ctx.role is not Role.ANSWER_RECEIVE or ctx.source is None:
        ctx.stop_t1()
        ctx.stop_timer()
        return ctx.finish(T30Result.INCOMPATIBLE, send_dcn=True)
    if take_capabilities(ctx, Fcf.DTC, Fcf.CIG) is None:
        return ctx.finish(T30Result.INCOMPATIBLE, send_dcn=True)
    return send_dcs(ctx)
