"""Transition handlers of the transmitting station (T.30 phases B to E, Annex A): the calling
terminal that sends, or the answering terminal once polled (DTC, :mod:`pycti.fax.t30_poll`),
which then chooses its mode from the DTC as the caller does from a DIS.

Phase B: on DIS (with CSI, NSF) the caller picks the mode both ends share (:func:`choose_dcs`),
sends TSI + DCS, then TCF on the image modem after the 75 ms gap; CFR starts phase C, FTT makes
it retrain one rate lower (:func:`pycti.fax.t30_dis.fallback_rate`).  Phase C/D: a non-ECM page
is followed by MPS (more pages, same mode), EOM (more pages, new mode: back to phase B) or EOP;
MCF and RTP accept it (RTP asks for a retrain), RTN rejects it: the caller retrains and sends
the page again, up to ``page_tries`` times.  With ECM every block of up to 256 frames ends with
PPS-NULL/MPS/EOM/EOP; PPR's map names the frames to send again; every fourth PPR for a block
the caller sends CTC with the next slower rate (CTR confirms), and at the slowest rate gives up.
A command without answer is sent again when T4 expires, or at once on CRP, three times at most.
"""

from __future__ import annotations

from dataclasses import replace

from pycti.fax.t30_core import Ctx, State
from pycti.fax.t30_dis import DcsFields, DisFields, RecordingLength, encode_ctc, fallback_rate
from pycti.fax.t30_ecm import EcmPageSender
from pycti.fax.t30_frames import (
    Fcf,
    FrameError,
    PpsFields,
    decode_identifier,
    decode_ppr_map,
    encode_identifier,
    encode_pps,
)
from pycti.fax.t30_io import (
    Negotiated,
    PageParams,
    PageSent,
    SendEcmFrames,
    SendImage,
    SendTcf,
    T30Result,
)
from pycti.fax.t4_types import Coding, Resolution

__all__ = ["choose_dcs", "send_dcs"]

_RESOLUTION_ORDER = (Resolution.FINE, Resolution.STANDARD)
_CODING_ORDER = (Coding.MMR, Coding.MR, Coding.MH)


def _wanted_resolution(ctx: Ctx, page: int) -> Resolution:
    assert ctx.source is not None
    return ctx.source.page_resolution(page)


def choose_dcs(ctx: Ctx, dis: DisFields) -> DcsFields | None:
    """The DCS for the next page: the fastest shared rate (or the current one if still shared),
    the best shared coding, the wanted resolution or the next lower the receiver has, ECM when
    both have it.  None when nothing is shared."""
    cfg = ctx.config
    ctx.allowed = tuple(r for r in dis.modems.rates
                        if r in cfg.modems.rates and r.rate_bps <= cfg.max_rate_bps)
    if not dis.ready_to_receive or not ctx.allowed:
        return None
    rate = ctx.rate if ctx.rate in ctx.allowed else ctx.allowed[0]
    ecm = cfg.ecm and dis.ecm
    shared = dis.codings() & cfg.codings
    coding = next(c for c in _CODING_ORDER if c in shared | {Coding.MH}
                  and (ecm or c is not Coding.MMR))
    wanted = _wanted_resolution(ctx, ctx.page)
    lower = _RESOLUTION_ORDER[_RESOLUTION_ORDER.index(wanted):]
    resolution = next(r for r in lower if r in dis.resolutions() | {Resolution.STANDARD})
    width = min(cfg.width, dis.width, key=lambda w: w.value[0])
    unlimited = dis.length is RecordingLength.UNLIMITED
    length = RecordingLength.UNLIMITED if unlimited else RecordingLength.A4
    return DcsFields(rate=rate, resolution=resolution, coding=coding, ecm=ecm,
                     ecm_frame_octets=cfg.ecm_frame_octets, width=width, length=length,
                     min_scan_line_time_ms=0 if ecm else dis.min_scan_line_time_ms)


def _params(ctx: Ctx) -> PageParams:
    dcs, dis, rate = ctx.dcs, ctx.remote_dis, ctx.rate
    assert dcs is not None and dis is not None and rate is not None
    return PageParams(coding=dcs.coding, resolution=dcs.resolution, width=dcs.width,
                      min_scan_line_time_ms=ctx.scan_time_ms(
                          dcs.min_scan_line_time_ms, dis.min_scan_halved_at_fine, dcs.resolution),
                      ecm=dcs.ecm, rate_bps=rate.rate_bps)


# ------------------------------------------------------------ commands and their repeats


def _command(ctx: Ctx, frames: tuple[bytes, ...], send: State, wait: State, fail: T30Result,
             ) -> State:
    """Send a command for the first time; T4/CRP repeat it (see :func:`repeat`)."""
    ctx.command, ctx.command_state, ctx.command_await, ctx.command_fail = frames, send, wait, fail
    ctx.tries = 1
    ctx.after_send = wait
    ctx.send_frames(*frames)
    return send


def repeat(ctx: Ctx) -> State:
    """T4 expired or CRP came: send the last command again, or give up after the tries."""
    if ctx.tries >= ctx.config.command_tries:
        return ctx.finish(ctx.command_fail, send_dcn=True)
    ctx.tries += 1
    ctx.after_send = ctx.command_await
    ctx.send_frames(*ctx.command)
    return ctx.command_state


def send_dcs(ctx: Ctx) -> State:
    """Choose the mode for the current page at the current rate from the far end's DIS (or
    DTC) and send TSI + DCS."""
    assert ctx.remote_dis is not None
    dcs = choose_dcs(ctx, ctx.remote_dis)
    if dcs is None:
        return ctx.finish(T30Result.INCOMPATIBLE, send_dcn=True)
    ctx.dcs, ctx.rate = dcs, dcs.rate
    frames = []
    if ctx.config.local_id:
        frames.append(ctx.frame(Fcf.TSI, encode_identifier(ctx.config.local_id), final=False))
    frames.append(ctx.frame(Fcf.DCS, ctx.dcs.encode()))
    ctx.params = _params(ctx)
    assert ctx.rate is not None
    ctx.emit(Negotiated(rate=ctx.rate, params=ctx.params, remote_id=ctx.remote_id))
    return _command(ctx, tuple(frames), State.C_SEND_DCS, State.C_AWAIT_CFR,
                    T30Result.NO_RESPONSE_TO_DCS)


# ------------------------------------------------------------ phase B


def on_start(ctx: Ctx) -> State:
    """The call is connected: listen for DIS for T1 (CNG is the terminal's to play)."""
    ctx.start_t1()
    return State.C_AWAIT_DIS


def take_capabilities(ctx: Ctx, fcf: Fcf, identity: Fcf) -> DisFields | None:
    """The far end's DIS or DTC (``fcf``) just received, with the number in its CSI or CIG
    (``identity``) taken as the remote id: T1 and the command timer stop, and the fields
    become :attr:`Ctx.remote_dis`.  None when a frame does not parse (the caller ends the
    call: INCOMPATIBLE)."""
    ctx.stop_t1()
    ctx.stop_timer()
    frame = ctx.received(fcf)
    assert frame is not None
    try:
        fields = DisFields.decode(frame.fif)
        ident = ctx.received(identity)
        if ident is not None:
            ctx.remote_id = decode_identifier(ident.fif)
    except FrameError:
        return None
    ctx.remote_dis = fields
    return fields


def on_dis(ctx: Ctx) -> State:
    """DIS (after CSI/NSF): pick the mode and send TSI + DCS."""
    if take_capabilities(ctx, Fcf.DIS, Fcf.CSI) is None:
        return ctx.finish(T30Result.INCOMPATIBLE, send_dcn=True)
    return send_dcs(ctx)


def on_dis_again(ctx: Ctx) -> State:
    """DIS while waiting for CFR: the answerer did not hear DCS; counts as a try."""
    return repeat(ctx)


def on_dcs_sent(ctx: Ctx) -> State:
    """TSI/DCS are out: after the gap, TCF on the image modem."""
    assert ctx.rate is not None
    ctx.gap()
    ctx.emit(SendTcf(rate=ctx.rate, duration_ms=ctx.config.tcf_duration_ms))
    ctx.trainings += 1
    return State.C_SEND_TCF


def on_cfr(ctx: Ctx) -> State:
    """CFR: phase C, the current page from its first block."""
    return _send_page(ctx)


def on_ftt(ctx: Ctx) -> State:
    """FTT: retrain one rate lower, or give up at the slowest."""
    assert ctx.rate is not None
    slower = fallback_rate(ctx.rate, ctx.allowed)
    if slower is None:
        return ctx.finish(T30Result.FTT_AT_SLOWEST_RATE, send_dcn=True)
    ctx.rate = slower
    return send_dcs(ctx)


# ------------------------------------------------------------ phase C


def _post_command(ctx: Ctx) -> None:
    source = ctx.source
    assert source is not None
    if ctx.page + 1 >= source.page_count():
        ctx.post = Fcf.EOP
    else:
        same = source.page_resolution(ctx.page + 1) is source.page_resolution(ctx.page)
        ctx.post = Fcf.MPS if same else Fcf.EOM


def _send_page(ctx: Ctx) -> State:
    source, params, rate = ctx.source, ctx.params, ctx.rate
    assert source is not None and params is not None and rate is not None
    _post_command(ctx)
    data = source.page_data(ctx.page, params)
    ctx.page_octets = len(data)
    ctx.gap()
    if params.ecm:
        ctx.ecm_tx = EcmPageSender.from_page(data, ctx.config.ecm_frame_octets)
        ctx.ppr_count = 0
        ctx.emit(SendEcmFrames(rate=rate, frames=ctx.ecm_tx.frames()))
    else:
        ctx.emit(SendImage(rate=rate, data=data))
    return State.C_SEND_IMAGE


def on_image_sent(ctx: Ctx) -> State:
    """The page (non-ECM) or block (ECM) is out: after the gap, its post-message command."""
    if ctx.ecm_tx is None:
        return _command(ctx, (ctx.frame(ctx.post),), State.C_SEND_CMD, State.C_AWAIT_MCF,
                        T30Result.NO_RESPONSE_TO_POST_PAGE)
    tx = ctx.ecm_tx
    pps = PpsFields(post=ctx.post if tx.last_block else None, page=ctx.ecm_page_counter,
                    block=tx.block, frame_count=tx.frame_count)
    frame = ctx.frame(Fcf.PPS, encode_pps(pps, x_bit=ctx.x_bit))
    return _command(ctx, (frame,), State.C_SEND_CMD, State.C_AWAIT_PPS_RESP,
                    T30Result.NO_RESPONSE_TO_POST_PAGE)


def on_command_sent(ctx: Ctx) -> State:
    """A command is out: wait for its response (the state's entry starts T4)."""
    return ctx.after_send


# ------------------------------------------------------------ phase D


def _page_done(ctx: Ctx, response: Fcf) -> None:
    assert ctx.params is not None and ctx.rate is not None
    ctx.emit(PageSent(page_number=ctx.page + 1, octets=ctx.page_octets, rate=ctx.rate,
                      params=ctx.params, response=response))


def _next_page(ctx: Ctx, *, retrain: bool) -> State:
    """The page was accepted: go on as its post-message command said."""
    ctx.pages_sent += 1
    ctx.page += 1
    ctx.page_tries = 0
    ctx.ecm_page_counter = (ctx.ecm_page_counter + 1) % 256
    ctx.ecm_tx = None
    if ctx.post is Fcf.EOP:
        return ctx.finish(T30Result.OK, send_dcn=True)
    if ctx.post is Fcf.EOM:
        ctx.start_t1()
        return State.C_AWAIT_DIS
    if retrain:
        return send_dcs(ctx)
    return _send_page(ctx)


def on_mcf(ctx: Ctx) -> State:
    """MCF to MPS/EOM/EOP: the page is accepted."""
    _page_done(ctx, Fcf.MCF)
    return _next_page(ctx, retrain=False)


def on_rtp(ctx: Ctx) -> State:
    """RTP: the page is accepted, retrain before the next one."""
    _page_done(ctx, Fcf.RTP)
    return _next_page(ctx, retrain=True)


def on_rtn(ctx: Ctx) -> State:
    """RTN: retrain (one rate lower when there is one) and send the page again, or after
    ``page_tries`` go on with the next page, or give up on the last."""
    assert ctx.rate is not None and ctx.source is not None
    _page_done(ctx, Fcf.RTN)
    ctx.pages_rejected += 1
    ctx.page_tries += 1
    ctx.rate = fallback_rate(ctx.rate, ctx.allowed) or ctx.rate
    if ctx.page_tries >= ctx.config.page_tries:
        if ctx.page + 1 >= ctx.source.page_count():
            return ctx.finish(T30Result.RTN_ON_LAST_PAGE, send_dcn=True)
        ctx.page += 1
        ctx.page_tries = 0
        ctx.ecm_page_counter = (ctx.ecm_page_counter + 1) % 256
    return send_dcs(ctx)


def on_pps_mcf(ctx: Ctx) -> State:
    """MCF to PPS: the block is whole; next block, or the page is done."""
    tx = ctx.ecm_tx
    assert tx is not None and ctx.rate is not None
    ctx.ppr_count = 0
    if not tx.last_block:
        tx.block += 1
        ctx.gap()
        ctx.emit(SendEcmFrames(rate=ctx.rate, frames=tx.frames()))
        return State.C_SEND_IMAGE
    _page_done(ctx, Fcf.MCF)
    return _next_page(ctx, retrain=False)


def on_ppr(ctx: Ctx) -> State:
    """PPR: send the frames its map names again; every 4th PPR first CTC one rate lower."""
    tx, frame = ctx.ecm_tx, ctx.received(Fcf.PPR)
    assert tx is not None and frame is not None and ctx.rate is not None
    try:
        wanted = decode_ppr_map(frame.fif)
    except FrameError:
        return repeat(ctx)
    ctx.ppr_count += 1
    ctx.resend = wanted
    if ctx.ppr_count % ctx.config.ppr_before_ctc == 0:
        slower = fallback_rate(ctx.rate, ctx.allowed)
        if slower is None:
            return ctx.finish(T30Result.ECM_RETRANSMIT_LIMIT, send_dcn=True)
        ctx.ctc_rate = slower
        return _command(ctx, (ctx.frame(Fcf.CTC, encode_ctc(slower)),), State.C_SEND_CMD,
                        State.C_AWAIT_CTR, T30Result.NO_RESPONSE_TO_POST_PAGE)
    return _resend(ctx)


def _resend(ctx: Ctx) -> State:
    tx = ctx.ecm_tx
    assert tx is not None and ctx.rate is not None
    frames = tx.frames(ctx.resend)
    ctx.frames_resent += len(frames) - 3
    ctx.gap()
    ctx.emit(SendEcmFrames(rate=ctx.rate, frames=frames))
    return State.C_SEND_IMAGE


def on_ctr(ctx: Ctx) -> State:
    """CTR: continue correcting at the rate CTC named."""
    assert ctx.ctc_rate is not None and ctx.dcs is not None and ctx.params is not None
    ctx.rate = ctx.ctc_rate
    ctx.dcs = replace(ctx.dcs, rate=ctx.rate)
    ctx.params = replace(ctx.params, rate_bps=ctx.rate.rate_bps)
    ctx.trainings += 1
    return _resend(ctx)


def on_dcn_sent(ctx: Ctx) -> State:
    """DCN is out: the call is over."""
    result = ctx.result or T30Result.OK
    return ctx.finish(result, send_dcn=False)
