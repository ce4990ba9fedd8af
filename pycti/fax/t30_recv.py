"""Transition handlers of the receiving station (T.30 phases B to E, Annex A): the answering
terminal, or the calling terminal that polls (:mod:`pycti.fax.t30_poll`).

Phase B: the answerer sends (NSF,) CSI and DIS, and repeats them every T4 until DCS comes or T1
expires; a poller sends (NSC,) CIG and DTC instead (see :mod:`pycti.fax.t30_poll`).
DCS must name a mode the DIS offered; the TCF that follows is good when it held at least
``tcf_min_zero_ms`` of consecutive zeros (CFR), otherwise FTT.  Phase C/D: a non-ECM page
is everything the image modem delivered until its carrier dropped; the post-message command
(MPS/EOM/EOP) gets MCF, RTP or RTN from the sink's line count.  With ECM the FCD frames with a
good FCS are kept, PPS says how many the block had, PPR asks for the rest, and a whole block
gets MCF; CTC gets CTR and the new rate.  A repeated command whose response was lost gets the
same response again; a command with a bad FCS gets CRP.
"""

from __future__ import annotations

from dataclasses import replace

from pycti.fax.t30_core import Ctx, Role, State
from pycti.fax.t30_dis import DcsFields, DisFields, RecordingLength, decode_ctc
from pycti.fax.t30_frames import (
    Fcf,
    FrameError,
    decode_identifier,
    decode_pps,
    encode_identifier,
    encode_ppr_map,
)
from pycti.fax.t30_io import (
    ImageReceived,
    Negotiated,
    PageParams,
    PageReceived,
    ReceivedPage,
    ReceiveHighSpeed,
    RxPurpose,
    T30Result,
    TcfReceived,
)
from pycti.fax.t4_types import Coding, Resolution

__all__ = ["local_dis"]


def local_dis(ctx: Ctx) -> DisFields:
    """The DIS (or a poller's DTC) this terminal's configuration announces: bit 10 when it
    has somewhere to put pages, bit 9 when an answerer has a document to be polled."""
    cfg = ctx.config
    return DisFields(modems=cfg.modems, ready_to_receive=ctx.sink is not None,
                     ready_to_transmit=ctx.role is Role.ANSWER_RECEIVE and ctx.source is not None,
                     fine=Resolution.FINE in cfg.resolutions, mr=Coding.MR in cfg.codings,
                     t6=cfg.ecm and Coding.MMR in cfg.codings,
                     ecm=cfg.ecm, width=cfg.width, length=RecordingLength.UNLIMITED,
                     min_scan_line_time_ms=cfg.min_scan_line_time_ms)


def _respond(ctx: Ctx, fcf: Fcf, after: State, fif: bytes = b"") -> State:
    """Send a response and go to ``after`` when it is out.  Phase D responses are remembered
    for a repeated command; phase B ones (CFR, FTT) forget the last."""
    frame = ctx.frame(fcf, fif)
    ctx.last_response = () if fcf in (Fcf.CFR, Fcf.FTT) else (frame,)
    ctx.after_send = after
    ctx.send_frames(frame)
    return State.R_SENDING


def on_start(ctx: Ctx) -> State:
    """Answered (CED played by the terminal): send DIS, run T1."""
    ctx.start_t1()
    return State.R_SEND_DIS


def enter_send_dis(ctx: Ctx) -> None:
    """Entry of R_SEND_DIS: (NSF,) CSI, DIS after the gap, or for a poller (NSC,) CIG, DTC;
    T1 starts again when phase B comes back after EOM (and for a poller, after DIS)."""
    if ctx.t1_deadline_s is None:
        ctx.start_t1()
    nsf, ident, caps = ((Fcf.NSC, Fcf.CIG, Fcf.DTC) if ctx.polling
                        else (Fcf.NSF, Fcf.CSI, Fcf.DIS))
    frames = []
    if ctx.config.nsf:
        frames.append(ctx.frame(nsf, ctx.config.nsf, final=False))
    if ctx.config.local_id:
        frames.append(ctx.frame(ident, encode_identifier(ctx.config.local_id), final=False))
    frames.append(ctx.frame(caps, local_dis(ctx).encode()))
    ctx.send_frames(*frames)


def on_sent(ctx: Ctx) -> State:
    """A response or DIS is out: go where the handler that sent it said."""
    return ctx.after_send


def on_dis_sent(ctx: Ctx) -> State:
    """DIS is out: wait for DCS (T4 then DIS again, T1 overall)."""
    return State.R_AWAIT_DCS


def on_t4_repeat_dis(ctx: Ctx) -> State:
    """No DCS within T4: DIS again (T1 still runs)."""
    return State.R_SEND_DIS


def on_dcs(ctx: Ctx) -> State:
    """DCS (after TSI): check it against the DIS (or DTC), then receive TCF.  An answerer
    with nowhere to put pages (only a document to be polled) ends the call.  A poller keeps
    the answerer's number from CSI; TSI gives it only when CSI did not."""
    ctx.stop_t1()
    frame = ctx.received(Fcf.DCS)
    assert frame is not None
    try:
        dcs = DcsFields.decode(frame.fif)
        tsi = ctx.received(Fcf.TSI)
        if tsi is not None and not (ctx.polling and ctx.remote_id):
            ctx.remote_id = decode_identifier(tsi.fif)
    except FrameError:
        return ctx.finish(T30Result.INCOMPATIBLE, send_dcn=True)
    dis = local_dis(ctx)
    if (not dis.ready_to_receive or dcs.rate not in dis.modems.rates
            or dcs.coding not in dis.codings() or dcs.resolution not in dis.resolutions()
            or (dcs.ecm and not dis.ecm)):
        return ctx.finish(T30Result.INCOMPATIBLE, send_dcn=True)
    ctx.dcs, ctx.rate = dcs, dcs.rate
    ctx.last_response = ()
    ctx.image.clear()
    ctx.ecm_rx.reset()
    ctx.ecm_page.clear()
    ctx.params = PageParams(coding=dcs.coding, resolution=dcs.resolution, width=dcs.width,
                            min_scan_line_time_ms=ctx.scan_time_ms(
                                dcs.min_scan_line_time_ms, dis.min_scan_halved_at_fine,
                                dcs.resolution),
                            ecm=dcs.ecm, rate_bps=dcs.rate.rate_bps)
    ctx.emit(Negotiated(rate=dcs.rate, params=ctx.params, remote_id=ctx.remote_id))
    ctx.trainings += 1
    return State.R_AWAIT_TCF


def enter_await_tcf(ctx: Ctx) -> None:
    """Entry of R_AWAIT_TCF: the image modem on, T2 for the TCF to come."""
    assert ctx.rate is not None
    ctx.emit(ReceiveHighSpeed(rate=ctx.rate, purpose=RxPurpose.TCF))
    ctx.set_timer("T2", ctx.config.t2_s)


def on_tcf(ctx: Ctx) -> State:
    """The TCF summary: CFR when it held enough zeros, FTT otherwise."""
    assert isinstance(ctx.inp, TcfReceived)
    if ctx.inp.zero_run_ms >= ctx.config.tcf_min_zero_ms and ctx.inp.bits_received > 0:
        return _respond(ctx, Fcf.CFR, State.R_AWAIT_PAGE)
    return _respond(ctx, Fcf.FTT, State.R_AWAIT_RETRAIN)


def enter_await_page(ctx: Ctx) -> None:
    """Entry of R_AWAIT_PAGE: the image modem on for image data or ECM frames, T2."""
    assert ctx.rate is not None and ctx.params is not None
    purpose = RxPurpose.ECM if ctx.params.ecm else RxPurpose.IMAGE
    ctx.emit(ReceiveHighSpeed(rate=ctx.rate, purpose=purpose))
    ctx.carrier_ended = False
    ctx.set_timer("T2", ctx.config.t2_s)


def on_carrier_up(ctx: Ctx) -> State | None:
    """The image carrier came: from now on T2 runs from the last data received, so a page
    whose data stops without the carrier dropping still ends."""
    ctx.push_back("T2", ctx.config.t2_s)
    return State.R_RX_PAGE if ctx.state is State.R_AWAIT_PAGE else None


def on_image(ctx: Ctx) -> State:
    """Non-ECM page data."""
    assert isinstance(ctx.inp, ImageReceived)
    ctx.push_back("T2", ctx.config.t2_s)
    ctx.image.extend(ctx.inp.data)
    return State.R_RX_PAGE


def on_ecm_frame(ctx: Ctx) -> State:
    """An FCD frame with a good FCS (bad ones never reach the table), or the RCP that returns
    the receiver to the control channel for the block's PPS (T.4 A.3.6)."""
    if ctx.frames[-1].fcf is Fcf.RCP:
        ctx.ecm_rx.rcp_seen = True
        ctx.carrier_ended = True
        return State.R_AWAIT_POST
    ctx.push_back("T2", ctx.config.t2_s)
    try:
        ctx.ecm_rx.add(ctx.frames[-1])
    except FrameError:
        pass  # an FCD without data: as good as lost, PPR will ask for it
    return State.R_RX_PAGE


def on_carrier_down(ctx: Ctx) -> State:
    """The image carrier ended: listen on V.21 for the post-message command."""
    ctx.carrier_ended = True
    return State.R_AWAIT_POST


def enter_await_command(ctx: Ctx) -> None:
    """Entry of the V.21 waits (R_AWAIT_POST, R_AWAIT_RETRAIN, R_AWAIT_DCN): listen, T2."""
    ctx.listen_v21()
    ctx.set_timer("T2", ctx.config.t2_s)


def on_post_page(ctx: Ctx) -> State:
    """MPS/EOM/EOP after a non-ECM page: the sink checks it; MCF, RTP or RTN.  Without any
    image carrier since the last response it is that command again (the response was lost)."""
    post = ctx.frames[-1].fcf
    if not ctx.carrier_ended and not ctx.image and ctx.last_response:
        return _repeat_response(ctx)
    ctx.carrier_ended = False
    assert ctx.params is not None and ctx.rate is not None and ctx.sink is not None
    page = ReceivedPage(page_number=ctx.pages_received + 1, data=bytes(ctx.image),
                        params=ctx.params)
    ctx.image.clear()
    check = ctx.sink.page_received(page)
    lines, bad = check.lines, check.bad_lines
    if lines > 0 and bad == 0:
        response = Fcf.MCF
    elif lines > 0 and bad <= ctx.config.rtn_bad_line_ratio * lines:
        response = Fcf.RTP
    else:
        response = Fcf.RTN
    ctx.emit(PageReceived(page_number=page.page_number, octets=len(page.data), rate=ctx.rate,
                          params=ctx.params, lines=lines, bad_lines=bad, response=response))
    if response is Fcf.RTN:
        ctx.pages_rejected += 1
        return _respond(ctx, Fcf.RTN, State.R_AWAIT_RETRAIN)
    ctx.pages_received += 1
    return _respond(ctx, response, _after_page(post, retrain=response is Fcf.RTP))


def _after_page(post: Fcf, *, retrain: bool) -> State:
    if post is Fcf.EOP:
        return State.R_AWAIT_DCN
    if post is Fcf.EOM:
        return State.R_SEND_DIS
    return State.R_AWAIT_RETRAIN if retrain else State.R_AWAIT_PAGE


def _repeat_response(ctx: Ctx) -> State:
    """The command came again (our response was lost): the same response again."""
    ctx.send_frames(*ctx.last_response)
    return State.R_SENDING


def on_pps(ctx: Ctx) -> State:
    """PPS-Q: MCF when the block is whole (the page goes to the sink after its last block),
    PPR with the missing frames otherwise."""
    try:
        pps = decode_pps(ctx.frames[-1].fif)
    except FrameError:
        return _bad(ctx)
    if ctx.confirmed == (pps.page, pps.block) and ctx.last_response:
        return _repeat_response(ctx)
    missing = ctx.ecm_rx.missing(pps.frame_count)
    if missing:
        return _respond(ctx, Fcf.PPR, State.R_AWAIT_PAGE, encode_ppr_map(missing))
    ctx.ecm_page.extend(ctx.ecm_rx.data(pps.frame_count))
    ctx.ecm_rx.reset()
    ctx.confirmed = (pps.page, pps.block)
    if pps.post is None:
        return _respond(ctx, Fcf.MCF, State.R_AWAIT_PAGE)
    assert ctx.params is not None and ctx.rate is not None and ctx.sink is not None
    page = ReceivedPage(page_number=ctx.pages_received + 1, data=bytes(ctx.ecm_page),
                        params=ctx.params)
    ctx.ecm_page.clear()
    check = ctx.sink.page_received(page)
    ctx.pages_received += 1
    ctx.emit(PageReceived(page_number=page.page_number, octets=len(page.data), rate=ctx.rate,
                          params=ctx.params, lines=check.lines, bad_lines=check.bad_lines,
                          response=Fcf.MCF))
    plain = {Fcf.PRI_MPS: Fcf.MPS, Fcf.PRI_EOM: Fcf.EOM, Fcf.PRI_EOP: Fcf.EOP}
    post = plain.get(pps.post, pps.post)
    return _respond(ctx, Fcf.MCF, _after_page(post, retrain=False))


def on_ctc(ctx: Ctx) -> State:
    """CTC: CTR, then the missing frames come at the rate CTC names."""
    try:
        rate = decode_ctc(ctx.frames[-1].fif)
    except FrameError:
        return _bad(ctx)
    if rate not in local_dis(ctx).modems.rates:
        return _bad(ctx)
    ctx.rate = rate
    if ctx.params is not None:
        ctx.params = replace(ctx.params, rate_bps=rate.rate_bps)
    ctx.trainings += 1
    return _respond(ctx, Fcf.CTR, State.R_AWAIT_PAGE)


def _bad(ctx: Ctx) -> State:
    state = on_bad_frame(ctx)
    return ctx.state if state is None else state


def on_bad_frame(ctx: Ctx) -> State | None:
    """A command with a bad FCS (or unreadable): CRP asks for it again (T.30 5.3.6.1, CRP),
    then back to the same wait; without ``send_crp`` it is ignored."""
    if not ctx.config.send_crp:
        return None
    ctx.after_send = ctx.state
    ctx.send_frames(ctx.frame(Fcf.CRP))
    return State.R_SENDING


def on_t2_tcf(ctx: Ctx) -> State:
    """No TCF within T2: listen on V.21 for the DCS the caller will repeat."""
    return State.R_AWAIT_RETRAIN


def on_t2(ctx: Ctx) -> State:
    """No command within T2: disconnect."""
    return ctx.finish(T30Result.T2_EXPIRED, send_dcn=True)


def on_t2_mid_page(ctx: Ctx) -> State:
    """Image data stopped for T2 without the carrier dropping: the page was cut."""
    return ctx.finish(T30Result.CARRIER_LOST_MID_PAGE, send_dcn=True)


def on_t2_post(ctx: Ctx) -> State:
    """No post-message command within T2 of the image carrier's end: the page was cut."""
    result = T30Result.CARRIER_LOST_MID_PAGE if ctx.carrier_ended else T30Result.T2_EXPIRED
    return ctx.finish(result, send_dcn=True)


def on_final_dcn(ctx: Ctx) -> State:
    """DCN (or T2, or the line dropping) after MCF to EOP: the call completed."""
    return ctx.finish(T30Result.OK, send_dcn=False)

