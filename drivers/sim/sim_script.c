/*
 * sim_script.c - running a port's script: op start, op runners, hook-driven transitions.
 *
 * Each runner renders up to n samples of the current op toward the board and reports how
 * many it consumed and whether the op completed; everything is counted in samples of board
 * time, so the result does not depend on how the host slices time into exchange blocks.
 */
#include <string.h>

#include "sim_internal.h"

/* ITU-T/China busy tone as sent by the simulated CO: 450 Hz, 350 ms on / 350 ms off. */
#define BUSY_TONE_HZ 450.0
#define BUSY_TONE_DBM0 (-13.0)
#define BUSY_TONE_ON_MS 350
#define BUSY_TONE_OFF_MS 350
/* Caller ID timing around the first ring (Telcordia GR-30 / ETSI EN 300 659-1 style). */
#define CID_AFTER_RING_DELAY_SAMPLES (500 * SIM_SAMPLES_PER_MS) /* burst end -> FSK start */
#define CID_BEFORE_RING_GAP_SAMPLES (250 * SIM_SAMPLES_PER_MS)  /* DTMF CID end -> ring */
#define CID_TO_NEXT_RING_MIN_SAMPLES (200 * SIM_SAMPLES_PER_MS) /* CID end -> next ring */
/* WAIT_PROMPT: 10 ms frames, a frame above -40 dBm0 counts as prompt audio. */
#define PROMPT_FRAME_SAMPLES 80
#define PROMPT_THRESHOLD_RMS (SIM_DBM0_PEAK / 1.4142135623730951 * 0.01)

/* ---------------------------------------------------------- script flow ---- */

void sim_end_script(sim_board *b, int pi, sim_port *p, int reason, int64_t t)
{
    p->running = 0;
    p->ring_burst = 0;
    sim_emit(b, SIM_EV_SCRIPT_DONE, pi, reason, t);
}

/* Prepare the op at p->op_idx, which starts at board time t. */
void sim_op_start(sim_board *b, int pi, sim_port *p, int64_t t)
{
    const sim_op *op = &p->ops[p->op_idx];
    p->elapsed = 0;
    switch (op->type) {
    case SIM_OP_RING: {
        const sim_op_ring *r = &op->u.ring;
        int64_t on = (int64_t)r->on_ms * SIM_SAMPLES_PER_MS;
        int64_t off = (int64_t)r->off_ms * SIM_SAMPLES_PER_MS;
        p->ring_burst = 0;
        p->ring_first = 0;
        p->ring_shift = 0;
        p->cid_start = INT64_MAX / 2; /* no caller ID */
        /* DNIS: the script's called number, else the trunk's own */
        strcpy(p->called, r->called[0] ? r->called : p->number);
        if (r->cid_len > 0 && r->cid_mode == SIM_CID_BEFORE_FIRST_RING) {
            p->cid_start = 0;
            p->ring_first = r->cid_len + CID_BEFORE_RING_GAP_SAMPLES;
        } else if (r->cid_len > 0 && r->cid_mode == SIM_CID_AFTER_FIRST_RING) {
            p->cid_start = on + CID_AFTER_RING_DELAY_SAMPLES;
            /* a long CID pushes the second and later bursts back */
            int64_t late = p->cid_start + r->cid_len + CID_TO_NEXT_RING_MIN_SAMPLES - (on + off);
            p->ring_shift = late > 0 ? late : 0;
        }
        break;
    }
    case SIM_OP_TONE:
        sim_tone_init(&p->tone, op->u.tone.f1_hz, op->u.tone.f2_hz, op->u.tone.level_dbm0,
                      op->u.tone.on_ms, op->u.tone.off_ms);
        break;
    case SIM_OP_SPEECH:
        sim_speech_start(&p->speech, &p->rng, op->u.speech.level_dbm0);
        break;
    case SIM_OP_WAIT_PROMPT:
        p->prompt_acc = 0.0;
        p->prompt_frame_n = 0;
        p->prompt_heard = 0;
        p->prompt_quiet = 0;
        break;
    case SIM_OP_PROGRESS:
        sim_tone_init(&p->tone, op->u.progress.f1_hz, op->u.progress.f2_hz,
                      op->u.progress.level_dbm0, op->u.progress.on_ms, op->u.progress.off_ms);
        break;
    case SIM_OP_HANGUP:
        sim_tone_init(&p->tone, BUSY_TONE_HZ, 0.0, BUSY_TONE_DBM0, BUSY_TONE_ON_MS,
                      BUSY_TONE_OFF_MS);
        if (op->u.hangup.loop_drop && p->report_loop_drop)
            sim_emit(b, SIM_EV_LOOP_DROP, pi, 0, t);
        break;
    default:
        break;
    }
}

/* Move to op `next` (n_ops ends the script), starting at board time t. */
void sim_goto_op(sim_board *b, int pi, sim_port *p, int next, int64_t t)
{
    p->ring_burst = 0;
    p->op_idx = next;
    if (next >= p->n_ops)
        sim_end_script(b, pi, p, SIM_DONE_COMPLETED, t);
    else
        sim_op_start(b, pi, p, t);
}

void sim_station_set_hook(sim_board *b, int pi, sim_port *p, int offhook, int64_t t)
{
    if (p->offhook == offhook)
        return;
    p->offhook = offhook;
    if (offhook)
        p->station_ring = 0; /* ring trip */
    sim_emit(b, offhook ? SIM_EV_OFFHOOK : SIM_EV_ONHOOK, pi, 0, t);
}

/* ------------------------------------------------------------ op runners ---- */
/*
 * Each runner renders up to n samples of the current op into out (audio toward the board),
 * reading the board's audio toward the port from in, for samples starting at board time t.
 * It returns how many samples it consumed and sets *done when the op completed after them.
 * A runner that ends the whole script clears p->running.
 */

static int ring_in_burst(const sim_port *p, const sim_op_ring *r, int64_t e)
{
    int64_t on = (int64_t)r->on_ms * SIM_SAMPLES_PER_MS;
    int64_t cycle = on + (int64_t)r->off_ms * SIM_SAMPLES_PER_MS;
    if (e < p->ring_first)
        return 0;
    int64_t d = e - p->ring_first;
    if (d < cycle)
        return d < on;
    d -= cycle + p->ring_shift;
    return d >= 0 && d % cycle < on;
}

static int run_ring(sim_board *b, int pi, sim_port *p, const sim_op_ring *r,
                    int16_t *out, int n, int64_t t, int *done)
{
    if (p->offhook) { /* answered (or the line was seized already): ring trip */
        if (p->ring_burst)
            sim_emit(b, SIM_EV_RING_OFF, pi, 0, t);
        *done = 1;
        return 0;
    }
    int64_t max = (int64_t)r->max_ms * SIM_SAMPLES_PER_MS;
    const int16_t *cid = r->cid_samples;
    int64_t cid_start = p->cid_start;
    for (int i = 0; i < n; i++) {
        int64_t e = p->elapsed + i;
        if (max > 0 && e >= max) {
            if (p->ring_burst)
                sim_emit(b, SIM_EV_RING_OFF, pi, 0, t + i);
            p->called[0] = '\0'; /* the call ended unanswered */
            sim_end_script(b, pi, p, SIM_DONE_GAVE_UP, t + i);
            return i;
        }
        int burst = ring_in_burst(p, r, e);
        if (burst != p->ring_burst) {
            sim_emit(b, burst ? SIM_EV_RING_ON : SIM_EV_RING_OFF, pi, 0, t + i);
            p->ring_burst = burst;
        }
        int64_t c = e - cid_start;
        out[i] = (c >= 0 && c < r->cid_len) ? cid[c] : 0;
    }
    return n;
}

static int run_wait_prompt(sim_port *p, const sim_op_wait_prompt *w, const int16_t *in,
                           int16_t *out, int n, int *done)
{
    const double thr = PROMPT_THRESHOLD_RMS * PROMPT_THRESHOLD_RMS * PROMPT_FRAME_SAMPLES;
    int64_t quiet_needed = (int64_t)w->quiet_ms * SIM_SAMPLES_PER_MS;
    int64_t max = (int64_t)w->max_ms * SIM_SAMPLES_PER_MS;
    memset(out, 0, (size_t)n * sizeof *out);
    for (int i = 0; i < n; i++) {
        double x = in[i];
        p->prompt_acc += x * x;
        if (++p->prompt_frame_n == PROMPT_FRAME_SAMPLES) {
            if (p->prompt_acc > thr) {
                p->prompt_heard = 1;
                p->prompt_quiet = 0;
            } else if (p->prompt_heard) {
                p->prompt_quiet += PROMPT_FRAME_SAMPLES;
            }
            p->prompt_acc = 0.0;
            p->prompt_frame_n = 0;
            if (p->prompt_heard && p->prompt_quiet >= quiet_needed && p->prompt_quiet > 0) {
                *done = 1;
                return i + 1;
            }
        }
        if (max > 0 && p->elapsed + i + 1 >= max) {
            *done = 1;
            return i + 1;
        }
    }
    return n;
}

/* Samples left in an op of fixed length, capped at n. */
static int fixed_span(const sim_port *p, int64_t len, int n, int *done)
{
    int64_t left = len - p->elapsed;
    if (left <= n) {
        *done = 1;
        return left > 0 ? (int)left : 0;
    }
    return n;
}

void sim_port_run(sim_board *b, int pi, sim_port *p, const int16_t *in, int16_t *out, int n)
{
    int pos = 0;
    while (pos < n) {
        if (!p->running) {
            if (p->dial_state == SIM_DIALSTATE_DIAL_TONE ||
                p->dial_state == SIM_DIALSTATE_COLLECTING ||
                p->dial_state == SIM_DIALSTATE_REORDER) { /* the CO answers a seizure */
                pos += sim_co_run(b, pi, p, in + pos, out + pos, n - pos, b->now + pos);
                continue;
            }
            memset(out + pos, 0, (size_t)(n - pos) * sizeof *out);
            return;
        }
        const sim_op *op = &p->ops[p->op_idx];
        int64_t t = b->now + pos;
        int16_t *o = out + pos;
        int left = n - pos, k = 0, done = 0, next = p->op_idx + 1;
        switch (op->type) {
        case SIM_OP_RING:
            k = run_ring(b, pi, p, &op->u.ring, o, left, t, &done);
            break;
        case SIM_OP_TONE:
            k = fixed_span(p, (int64_t)op->u.tone.total_ms * SIM_SAMPLES_PER_MS, left, &done);
            sim_tone_render(&p->tone, p->elapsed, o, k);
            break;
        case SIM_OP_SPEECH:
            k = fixed_span(p, (int64_t)op->u.speech.ms * SIM_SAMPLES_PER_MS, left, &done);
            sim_speech_render(&p->speech, &p->rng, o, k);
            break;
        case SIM_OP_SILENCE:
            k = fixed_span(p, (int64_t)op->u.silence.ms * SIM_SAMPLES_PER_MS, left, &done);
            memset(o, 0, (size_t)k * sizeof *o);
            break;
        case SIM_OP_PLAY:
            k = fixed_span(p, op->u.play.n, left, &done);
            memcpy(o, op->u.play.samples + p->elapsed, (size_t)k * sizeof *o);
            break;
        case SIM_OP_WAIT_PROMPT:
            k = run_wait_prompt(p, &op->u.wait_prompt, in + pos, o, left, &done);
            break;
        case SIM_OP_WAIT_NUDGE:
            if (p->nudge_pending) {
                p->nudge_pending = 0;
                done = 1;
                break;
            }
            if (op->u.wait_nudge.max_ms > 0) {
                k = fixed_span(p, (int64_t)op->u.wait_nudge.max_ms * SIM_SAMPLES_PER_MS, left,
                               &done);
                if (done)
                    next = op->u.wait_nudge.timeout_goto;
            } else {
                k = left;
            }
            memset(o, 0, (size_t)k * sizeof *o);
            break;
        case SIM_OP_MARK:
            sim_emit(b, SIM_EV_MARK, pi, op->u.mark.id, t);
            done = 1;
            break;
        case SIM_OP_HANGUP:
            if (!p->offhook) { /* nobody on the line to hear it */
                sim_end_script(b, pi, p, SIM_DONE_COMPLETED, t);
                break;
            }
            k = left;
            if (op->u.hangup.busy_tone)
                sim_tone_render(&p->tone, p->elapsed, o, k);
            else
                memset(o, 0, (size_t)k * sizeof *o);
            break;
        case SIM_OP_OFFHOOK:
        case SIM_OP_ONHOOK:
            sim_station_set_hook(b, pi, p, op->type == SIM_OP_OFFHOOK, t);
            done = 1;
            break;
        case SIM_OP_PROGRESS: {
            const sim_op_progress *g = &op->u.progress;
            if (g->cycles > 0) {
                int64_t cycle = (int64_t)(g->on_ms + g->off_ms) * SIM_SAMPLES_PER_MS;
                k = fixed_span(p, cycle * g->cycles, left, &done);
            } else {
                k = left; /* until the board goes on hook */
            }
            sim_tone_render(&p->tone, p->elapsed, o, k);
            break;
        }
        case SIM_OP_ANSWER: /* on a real line: battery (polarity) reversal */
            p->answered = 1;
            sim_emit(b, SIM_EV_ANSWER, pi, 0, t);
            done = 1;
            break;
        default: /* rejected at load time */
            sim_end_script(b, pi, p, SIM_DONE_COMPLETED, t);
            break;
        }
        if (p->is_station && !p->offhook) /* an on-hook phone sends nothing */
            memset(o, 0, (size_t)k * sizeof *o);
        pos += k;
        p->elapsed += k;
        if (done && p->running)
            sim_goto_op(b, pi, p, next, b->now + pos);
    }
}

int sim_op_valid(const sim_op *op, int is_station, int n_ops)
{
    switch (op->type) {
    case SIM_OP_RING: {
        const sim_op_ring *r = &op->u.ring;
        if (is_station || r->on_ms <= 0 || r->off_ms < 0 || r->max_ms < 0 || r->cid_len < 0 ||
            (r->cid_len > 0 && !r->cid_samples) || r->cid_mode < SIM_CID_NONE ||
            r->cid_mode > SIM_CID_AFTER_FIRST_RING ||
            !sim_number_valid(r->called, (int)sizeof r->called))
            return 0;
        return 1;
    }
    case SIM_OP_TONE: {
        const sim_op_tone *t = &op->u.tone;
        return t->f1_hz > 0.0 && t->f1_hz < SIM_FS_HZ / 2 && t->f2_hz >= 0.0 &&
               t->f2_hz < SIM_FS_HZ / 2 && t->on_ms > 0 && t->off_ms >= 0 && t->total_ms >= 0 &&
               t->level_dbm0 <= 20.0;
    }
    case SIM_OP_SPEECH:
        return op->u.speech.ms >= 0 && op->u.speech.level_dbm0 <= 20.0;
    case SIM_OP_SILENCE:
        return op->u.silence.ms >= 0;
    case SIM_OP_PLAY:
        return op->u.play.n >= 0 && (op->u.play.n == 0 || op->u.play.samples);
    case SIM_OP_WAIT_PROMPT:
        return op->u.wait_prompt.quiet_ms >= 0 && op->u.wait_prompt.max_ms >= 0;
    case SIM_OP_WAIT_NUDGE:
        return op->u.wait_nudge.max_ms >= 0 && op->u.wait_nudge.timeout_goto >= 0 &&
               op->u.wait_nudge.timeout_goto <= n_ops;
    case SIM_OP_MARK:
        return 1;
    case SIM_OP_HANGUP:
        return !is_station;
    case SIM_OP_OFFHOOK:
    case SIM_OP_ONHOOK:
        return is_station;
    case SIM_OP_PROGRESS: {
        const sim_op_progress *g = &op->u.progress;
        return !is_station && g->f1_hz > 0.0 && g->f1_hz < SIM_FS_HZ / 2 && g->f2_hz >= 0.0 &&
               g->f2_hz < SIM_FS_HZ / 2 && g->on_ms > 0 && g->off_ms >= 0 &&
               g->on_ms <= INT32_MAX - g->off_ms && g->cycles >= 0 && g->level_dbm0 <= 20.0;
    }
    case SIM_OP_ANSWER:
        return !is_station;
    default:
        return 0;
    }
}

