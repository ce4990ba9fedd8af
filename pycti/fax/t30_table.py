"""The T.30 engine's transitions, in one table: ``(state, trigger) -> Transition``.

A trigger is the FCF of a received frame (the final frame of a V.21 transmission, or one ECM
frame from the image modem) or a :class:`~pycti.fax.t30_core.Signal`.  Entries keyed
``(None, trigger)`` apply in every state that has no entry of its own (DCN, the line dropping,
a local abort, T1); anything else not in the table is ignored: the station goes on waiting,
and the far end's T4 repeats a command that mattered.  :data:`ENTRY` holds the actions a state
performs each time it is entered (switching the receiver, starting T2/T4).

``C_`` states are the transmitting station's (the calling terminal, or the answering one after
DTC), ``R_`` the receiving station's (the answering terminal, or the polling caller after DIS),
``P_`` the polling caller's before DIS; see :mod:`pycti.fax.t30_send`, :mod:`pycti.fax.t30_recv`
and :mod:`pycti.fax.t30_poll` for what each handler does and which T.30 clause it follows.
"""

from __future__ import annotations

from typing import Callable

from pycti.fax import t30_poll as poll
from pycti.fax import t30_recv as rx
from pycti.fax import t30_send as tx
from pycti.fax.t30_core import Ctx, Signal, State, Transition, Trigger
from pycti.fax.t30_frames import Fcf
from pycti.fax.t30_io import T30Result

__all__ = ["ENTRY", "TABLE"]


def _go(ctx: Ctx) -> State | None:
    return None  # the table entry names the next state


def _t1(ctx: Ctx) -> State:
    return ctx.finish(T30Result.T1_EXPIRED, send_dcn=True)


def _dcn(ctx: Ctx) -> State:
    return ctx.finish(T30Result.DCN_UNEXPECTED, send_dcn=False)


def _hung_up(ctx: Ctx) -> State:
    return ctx.finish(T30Result.FAR_END_HUNG_UP, send_dcn=False)


def _abort(ctx: Ctx) -> State:
    return ctx.finish(T30Result.LOCAL_ABORT, send_dcn=True)


def _hung_up_after_dcn(ctx: Ctx) -> State:
    return ctx.finish(ctx.result or T30Result.OK, send_dcn=False)


T = Transition
S = State
_POST = (Fcf.MPS, Fcf.EOM, Fcf.EOP, Fcf.PRI_MPS, Fcf.PRI_EOM, Fcf.PRI_EOP)

TABLE: dict[tuple[State | None, Trigger], Transition] = {
    # ---- transmitting station (calling terminal, or polled answerer): phase B
    (S.C_IDLE, Signal.START): T(tx.on_start),
    (S.C_AWAIT_DIS, Fcf.DIS): T(tx.on_dis),
    (S.C_AWAIT_DIS, Fcf.DTC): T(poll.on_dtc),  # polled again after EOM; a sending caller: DCN
    (S.C_SEND_DCS, Signal.TX_DONE): T(tx.on_dcs_sent),
    (S.C_SEND_TCF, Signal.TX_DONE): T(tx.on_command_sent),
    (S.C_AWAIT_CFR, Fcf.CFR): T(tx.on_cfr),
    (S.C_AWAIT_CFR, Fcf.FTT): T(tx.on_ftt),
    (S.C_AWAIT_CFR, Fcf.DIS): T(tx.on_dis_again),
    (S.C_AWAIT_CFR, Fcf.CRP): T(tx.repeat),
    (S.C_AWAIT_CFR, Signal.T4): T(tx.repeat),
    # ---- phase C and D
    (S.C_SEND_IMAGE, Signal.TX_DONE): T(tx.on_image_sent),
    (S.C_SEND_CMD, Signal.TX_DONE): T(tx.on_command_sent),
    (S.C_AWAIT_MCF, Fcf.MCF): T(tx.on_mcf),
    (S.C_AWAIT_MCF, Fcf.RTP): T(tx.on_rtp),
    (S.C_AWAIT_MCF, Fcf.RTN): T(tx.on_rtn),
    (S.C_AWAIT_MCF, Fcf.CRP): T(tx.repeat),
    (S.C_AWAIT_MCF, Signal.T4): T(tx.repeat),
    (S.C_AWAIT_PPS_RESP, Fcf.MCF): T(tx.on_pps_mcf),
    (S.C_AWAIT_PPS_RESP, Fcf.PPR): T(tx.on_ppr),
    (S.C_AWAIT_PPS_RESP, Fcf.CRP): T(tx.repeat),
    (S.C_AWAIT_PPS_RESP, Signal.T4): T(tx.repeat),
    (S.C_AWAIT_CTR, Fcf.CTR): T(tx.on_ctr),
    (S.C_AWAIT_CTR, Fcf.CRP): T(tx.repeat),
    (S.C_AWAIT_CTR, Signal.T4): T(tx.repeat),
    # ---- polling caller: phase B until DIS, then the receiving states below
    (S.P_IDLE, Signal.START): T(poll.on_start),
    (S.P_AWAIT_DIS, Fcf.DIS): T(poll.on_dis),
    (S.P_AWAIT_DIS, Fcf.DTC): T(poll.on_dtc),
    # ---- receiving station (answering terminal, or polling caller): phase B
    (S.R_IDLE, Signal.START): T(rx.on_start),
    (S.R_SEND_DIS, Signal.TX_DONE): T(_go, S.R_AWAIT_DCS),
    (S.R_AWAIT_DCS, Fcf.DCS): T(rx.on_dcs),
    (S.R_AWAIT_DCS, Fcf.DTC): T(poll.on_dtc),
    (S.R_AWAIT_DCS, Fcf.DIS): T(poll.on_dis_again),  # the poller: CIG + DTC again
    (S.R_AWAIT_DCS, Fcf.CRP): T(poll.on_dis_again),
    (S.R_AWAIT_DCS, Signal.T4): T(poll.on_t4_await_dcs),  # the answerer: DIS again
    (S.R_AWAIT_DCS, Signal.BAD_FRAME): T(rx.on_bad_frame),
    (S.R_AWAIT_TCF, Signal.TCF): T(rx.on_tcf),
    (S.R_AWAIT_TCF, Fcf.DCS): T(rx.on_dcs),
    (S.R_AWAIT_TCF, Signal.T2): T(rx.on_t2_tcf),
    (S.R_AWAIT_TCF, Signal.BAD_FRAME): T(rx.on_bad_frame),
    (S.R_SENDING, Signal.TX_DONE): T(rx.on_sent),
    (S.R_AWAIT_RETRAIN, Fcf.DCS): T(rx.on_dcs),
    (S.R_AWAIT_RETRAIN, Signal.T2): T(rx.on_t2),
    (S.R_AWAIT_RETRAIN, Signal.BAD_FRAME): T(rx.on_bad_frame),
    # ---- phase C (bad-FCS frames are dropped here: ECM asks for them with PPR)
    (S.R_AWAIT_PAGE, Signal.CARRIER_UP): T(rx.on_carrier_up),
    (S.R_AWAIT_PAGE, Signal.CARRIER_DOWN): T(rx.on_carrier_down),
    (S.R_AWAIT_PAGE, Signal.IMAGE): T(rx.on_image),
    (S.R_AWAIT_PAGE, Fcf.FCD): T(rx.on_ecm_frame),
    (S.R_AWAIT_PAGE, Fcf.RCP): T(rx.on_ecm_frame),
    (S.R_AWAIT_PAGE, Fcf.DCS): T(rx.on_dcs),
    (S.R_AWAIT_PAGE, Fcf.PPS): T(rx.on_pps),
    (S.R_AWAIT_PAGE, Fcf.CTC): T(rx.on_ctc),
    (S.R_AWAIT_PAGE, Signal.T2): T(rx.on_t2),
    (S.R_RX_PAGE, Signal.CARRIER_UP): T(rx.on_carrier_up),
    (S.R_RX_PAGE, Signal.T2): T(rx.on_t2_mid_page),
    (S.R_RX_PAGE, Signal.IMAGE): T(rx.on_image),
    (S.R_RX_PAGE, Fcf.FCD): T(rx.on_ecm_frame),
    (S.R_RX_PAGE, Fcf.RCP): T(rx.on_ecm_frame),
    (S.R_RX_PAGE, Signal.CARRIER_DOWN): T(rx.on_carrier_down),
    (S.R_RX_PAGE, Fcf.PPS): T(rx.on_pps),
    (S.R_RX_PAGE, Fcf.CTC): T(rx.on_ctc),
    # ---- phase D
    (S.R_AWAIT_POST, Signal.IMAGE): T(rx.on_image),
    (S.R_AWAIT_POST, Fcf.PPS): T(rx.on_pps),
    (S.R_AWAIT_POST, Fcf.CTC): T(rx.on_ctc),
    (S.R_AWAIT_POST, Signal.T2): T(rx.on_t2_post),
    (S.R_AWAIT_POST, Signal.BAD_FRAME): T(rx.on_bad_frame),
    (S.R_AWAIT_DCN, Fcf.DCN): T(rx.on_final_dcn),
    (S.R_AWAIT_DCN, Fcf.PPS): T(rx.on_pps),
    (S.R_AWAIT_DCN, Signal.T2): T(rx.on_final_dcn),
    (S.R_AWAIT_DCN, Signal.LINE_DROPPED): T(rx.on_final_dcn),
    # ---- either side
    (S.SEND_DCN, Signal.TX_DONE): T(tx.on_dcn_sent),
    (S.SEND_DCN, Signal.LINE_DROPPED): T(_hung_up_after_dcn),
    (None, Signal.T1): T(_t1),  # T1 runs only until DIS (caller) or DCS (answerer) comes
    (None, Fcf.DCN): T(_dcn),
    (None, Signal.LINE_DROPPED): T(_hung_up),
    (None, Signal.ABORT): T(_abort),
}
for _post in _POST:
    for _state in (S.R_AWAIT_PAGE, S.R_RX_PAGE, S.R_AWAIT_POST, S.R_AWAIT_DCN):
        TABLE[(_state, _post)] = T(rx.on_post_page)


def _listen_t4(ctx: Ctx) -> None:
    ctx.listen_v21()
    ctx.set_timer("T4", ctx.config.t4_s)


ENTRY: dict[State, Callable[[Ctx], None]] = {
    S.C_AWAIT_DIS: lambda ctx: ctx.listen_v21(),
    S.P_AWAIT_DIS: lambda ctx: ctx.listen_v21(),
    S.C_AWAIT_CFR: _listen_t4,
    S.C_AWAIT_MCF: _listen_t4,
    S.C_AWAIT_PPS_RESP: _listen_t4,
    S.C_AWAIT_CTR: _listen_t4,
    S.R_SEND_DIS: rx.enter_send_dis,
    S.R_AWAIT_DCS: _listen_t4,
    S.R_AWAIT_TCF: rx.enter_await_tcf,
    S.R_AWAIT_PAGE: rx.enter_await_page,
    S.R_AWAIT_POST: rx.enter_await_command,
    S.R_AWAIT_RETRAIN: rx.enter_await_command,
    S.R_AWAIT_DCN: rx.enter_await_command,
}
