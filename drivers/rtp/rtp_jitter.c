/* Per-channel receive logic of the RTP pump: the fixed-delay playout buffer and the RFC 3550
 * sequence/jitter state.  Both follow the pure-Python reference (pycti/rtp/jitter.py in fixed
 * mode, pycti/rtp/stats.py) rule for rule, so the tests can compare them packet by packet.
 *
 * Playout (pycti.rtp.jitter): frame k of the stream (k = (ext_ts - origin) div 160) plays
 * 'depth' ticks after the tick frame 0 arrived; a packet more than 'max' frames ahead, a
 * marker bit on an empty buffer off the expected frame, or five late packets in a row
 * re-anchor the playout point; a missing frame repeats the last audio frame once, then
 * silence.  Payloads of any length are cut at 160-sample frame boundaries.
 *
 * RFC 3550 A.1 update_seq (probation of MIN_SEQUENTIAL packets, MAX_DROPOUT 3000,
 * MAX_MISORDER 100, restart confirmed by two packets in sequence) and A.8 jitter in the
 * integer form J += |D| - ((J + 8) >> 4) on a 16-times scale.
 */
#include <stdlib.h>
#include <string.h>
#include "rtp_internal.h"

#define SEQ_MOD 65536
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100
#define FREE_TAG INT64_MIN
#define FRAME RTP_PUMP_FRAME_SAMPLES
/* the slots a single packet can reach beyond play + max (a 1500-octet payload) */
#define SPILL_FRAMES (RTP_PUMP_MAX_PACKET / FRAME + 1)

static uint8_t silence_code(int law) { return law == RTP_LAW_PCMA ? 0xD5 : 0xFF; }

static int32_t ring_index(const rtp_jitter *jb, int64_t frame)
{
    int64_t r = frame % jb->n_slots;
    return (int32_t)(r < 0 ? r + jb->n_slots : r);
}

int rtp_jitter_init(rtp_jitter *jb, int32_t depth, int32_t max, int32_t repeat)
{
    memset(jb, 0, sizeof *jb);
    jb->n_slots = max + 1 + SPILL_FRAMES;
    jb->slots = calloc((size_t)jb->n_slots, sizeof(rtp_slot));
    if (jb->slots == NULL)
        return RTP_ERR_NOMEM;
    jb->depth = depth;
    jb->max = max;
    jb->repeat = repeat;
    rtp_jitter_reset(jb);
    return RTP_OK;
}

void rtp_jitter_free(rtp_jitter *jb)
{
    free(jb->slots);
    jb->slots = NULL;
}

static void clear_slots(rtp_jitter *jb)
{
    for (int32_t i = 0; i < jb->n_slots; i++)
        jb->slots[i].tag = FREE_TAG;
    jb->held = 0;
}

void rtp_jitter_reset(rtp_jitter *jb)
{
    clear_slots(jb);
    jb->has_origin = 0;
    jb->origin = 0;
    jb->play = 0;
    jb->late_run = 0;
    jb->has_last = 0;
    jb->repeated = 0;
}

static void anchor(rtp_jitter *jb, int64_t ext_ts)
{
    jb->has_origin = 1;
    jb->origin = ext_ts;
    clear_slots(jb);
    jb->play = -(int64_t)jb->depth;
    jb->late_run = 0;
}

int rtp_jitter_insert(rtp_jitter *jb, int64_t ext_ts, const uint8_t *payload, int32_t n, int law, int marker,
                      int64_t *resyncs)
{
    if (!jb->has_origin)
        anchor(jb, ext_ts);
    int64_t d = ext_ts - jb->origin;
    int64_t frame = d / FRAME;
    int64_t offset = d % FRAME;
    if (offset < 0) {
        offset += FRAME;
        frame -= 1;
    }
    if (frame > jb->play + jb->max || (marker && jb->held == 0 && frame != jb->play + jb->depth)) {
        anchor(jb, ext_ts);
        (*resyncs)++;
        frame = 0;
        offset = 0;
    } else if (frame + (offset + n - 1) / FRAME < jb->play) {
        jb->late_run++;
        if (jb->late_run < RTP_LATE_RUN_RESYNC)
            return 1;
        anchor(jb, ext_ts);
        (*resyncs)++;
        frame = 0;
        offset = 0;
    }
    jb->late_run = 0;
    int32_t pos = 0;
    while (pos < n) {
        int32_t take = FRAME - (int32_t)offset;
        if (take > n - pos)
            take = n - pos;
        if (frame >= jb->play && frame < jb->play + jb->n_slots) {
            rtp_slot *slot = &jb->slots[ring_index(jb, frame)];
            if (slot->tag != frame) {
                slot->tag = frame;
                slot->law = (uint8_t)law;
                memset(slot->codes, silence_code(law), FRAME);
                jb->held++;
            }
            rtp_g711_transcode(law, slot->law, payload + pos, slot->codes + offset, take);
        }
        pos += take;
        offset = 0;
        frame++;
    }
    return 0;
}

static void fill_silence(int law, int16_t *out)
{
    uint8_t code = silence_code(law);
    int16_t value;
    rtp_g711_decode(law, &code, &value, 1);
    for (int i = 0; i < FRAME; i++)
        out[i] = value;
}

int rtp_jitter_pop(rtp_jitter *jb, int16_t *out)
{
    if (!jb->has_origin) {
        fill_silence(RTP_LAW_PCMU, out);
        return RTP_FRAME_SILENCE;
    }
    rtp_slot *slot = &jb->slots[ring_index(jb, jb->play)];
    int kind;
    if (slot->tag == jb->play) {
        rtp_g711_decode(slot->law, slot->codes, out, FRAME);
        memcpy(jb->last_codes, slot->codes, FRAME);
        jb->last_law = slot->law;
        jb->repeated = 0;
        slot->tag = FREE_TAG;
        jb->held--;
        kind = RTP_FRAME_AUDIO;
    } else if (jb->repeat && jb->has_last && jb->last_kind == RTP_FRAME_AUDIO && !jb->repeated) {
        jb->repeated = 1;
        rtp_g711_decode(jb->last_law, jb->last_codes, out, FRAME);
        kind = RTP_FRAME_CONCEALED;
    } else {
        if (!jb->has_last)
            jb->last_law = RTP_LAW_PCMU;
        fill_silence(jb->last_law, out);
        kind = RTP_FRAME_SILENCE;
    }
    jb->has_last = 1;
    jb->last_kind = (uint8_t)kind;
    jb->play++;
    return kind;
}

static void seq_init(rtp_seqstate *s, uint32_t seq)
{
    s->base_seq = seq;
    s->max_seq = seq;
    s->bad_seq = SEQ_MOD + 1;
    s->cycles = 0;
    s->received = 0;
}

void rtp_seq_start(rtp_seqstate *s, uint32_t seq, int32_t min_sequential)
{
    seq_init(s, seq);
    if (min_sequential)
        s->max_seq = (seq - 1) & 0xFFFF;
    s->probation = min_sequential;
    s->min_sequential = min_sequential;
    s->has_transit = 0;
    s->transit = 0;
    s->jitter_q4 = 0;
}

int rtp_seq_update(rtp_seqstate *s, uint32_t seq)
{
    uint32_t udelta = (seq - s->max_seq) & 0xFFFF;
    if (s->probation) {
        if (seq == ((s->max_seq + 1) & 0xFFFF)) {
            s->probation--;
            s->max_seq = seq;
            if (s->probation == 0) {
                seq_init(s, seq);
                s->received++;
                return 1;
            }
        } else {
            s->probation = s->min_sequential - 1;
            s->max_seq = seq;
        }
        return 0;
    }
    if (udelta < MAX_DROPOUT) {
        if (seq < s->max_seq)
            s->cycles += SEQ_MOD;
        s->max_seq = seq;
    } else if (udelta <= SEQ_MOD - MAX_MISORDER) {
        if (seq == s->bad_seq) {
            seq_init(s, seq); /* two packets in sequence: the source restarted */
            s->received++;
            return 2;
        } else {
            s->bad_seq = (seq + 1) & 0xFFFF;
            return 0;
        }
    }
    s->received++;
    return 1;
}

int64_t rtp_seq_extend(const rtp_seqstate *s, uint32_t seq)
{
    int64_t ext = s->cycles + seq;
    int64_t top = s->cycles + s->max_seq;
    if (ext > top + 0x8000)
        ext -= SEQ_MOD;
    else if (ext < top - 0x8000)
        ext += SEQ_MOD;
    return ext;
}

void rtp_seq_jitter(rtp_seqstate *s, uint32_t ts, uint32_t arrival)
{
    uint32_t transit = arrival - ts;
    if (s->has_transit) {
        uint32_t d = transit - s->transit;
        if (d >= 0x80000000u)
            d = (uint32_t)(0x100000000ull - d);
        s->jitter_q4 += (int64_t)d - ((s->jitter_q4 + 8) >> 4);
    }
    s->transit = transit;
    s->has_transit = 1;
}
