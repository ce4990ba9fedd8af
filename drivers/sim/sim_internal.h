/*
 * sim_internal.h - shared internals of the simulated board (not part of the cffi cdef).
 */
#ifndef PYCTI_SIM_INTERNAL_H
#define PYCTI_SIM_INTERNAL_H

#include <math.h>
#include <stdint.h>

#include "simboard.h"

#define SIM_FS_HZ 8000
#define SIM_PI 3.14159265358979323846
/* Peak of a 0 dBm0 sine in 16-bit linear (G.711: a full-scale sine is +3.17 dBm0). */
#define SIM_DBM0_PEAK 22748.4
/* Samples per millisecond at 8 kHz. */
#define SIM_SAMPLES_PER_MS 8

/* ---- random numbers (splitmix64 seeding, xorshift64* stream) ---- */
uint64_t sim_rng_seed(uint64_t seed, uint64_t stream);
double sim_rng_range(uint64_t *state, double lo, double hi);

/* xorshift64* (Vigna 2016).  Inline: the speech generator draws one number per sample. */
static inline uint64_t sim_rng_next(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* [0, 1) */
static inline double sim_rng_uniform(uint64_t *state)
{
    return (double)(sim_rng_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- level and sample helpers ---- */
double sim_dbm0_to_peak(double level_dbm0);

/* Round to nearest (lrint: the current rounding mode, ties to even) and saturate to int16.
 * Inline, once per generated sample; built with -fno-math-errno, lrint is one instruction. */
static inline int16_t sim_sat16(double v)
{
    if (v >= 32767.0)
        return 32767;
    if (v <= -32768.0)
        return -32768;
    return (int16_t)lrint(v);
}

/* ---- tones ---- */
typedef struct sim_tone_gen {
    double amp1, amp2;     /* peak amplitudes, 16-bit units */
    double w1, w2;         /* radians per sample */
    double cw1, sw1, cw2, sw2; /* per-sample rotation */
    double c1, s1, c2, s2; /* oscillator state, valid for burst sample m_next */
    int64_t m_next;
    int64_t on_samples, off_samples;
} sim_tone_gen;

void sim_tone_init(sim_tone_gen *g, double f1_hz, double f2_hz, double level_dbm0,
                   int32_t on_ms, int32_t off_ms);
/* Render samples [e0, e0 + n) of the cadenced tone counted from its start. */
void sim_tone_render(sim_tone_gen *g, int64_t e0, int16_t *out, int n);

/* ---- speech-like signal ---- */
#define SIM_N_FORMANTS 3

typedef struct sim_speech {
    double rms;            /* target RMS over the active parts of syllables */
    double base_pitch_hz;
    int64_t pos, active_len, total_len; /* position in the current syllable, samples */
    double pitch0_hz, pitch1_hz;        /* pitch glide over the syllable */
    double voicing;        /* 0 = noise only, 1 = pulses only */
    double phase;          /* pitch period phase, 0..1 */
    double phase_inc, pulse_amp, pulse_dc; /* from the pitch, refreshed every 2 ms */
    double env_c, env_s, env_cw, env_sw;   /* half-sine syllable envelope oscillator */
    double a1[SIM_N_FORMANTS], a2[SIM_N_FORMANTS], g[SIM_N_FORMANTS];
    double y1[SIM_N_FORMANTS], y2[SIM_N_FORMANTS];
} sim_speech;

void sim_speech_start(sim_speech *sp, uint64_t *rng, double level_dbm0);
void sim_speech_render(sim_speech *sp, uint64_t *rng, int16_t *out, int n);

/* ---- DTMF detection (sim_co.c) ---- */
#define SIM_DTMF_N 102   /* Goertzel window, samples (12.75 ms) */
#define SIM_DTMF_HOP 51  /* two windows staggered by half a window */

typedef struct sim_dtmf_acc {
    double s1[8], s2[8];   /* Goertzel states of the 4 row and 4 column frequencies */
    double energy;         /* sum of x^2 over the window */
    int n;                 /* samples in the window so far; < 0: still waiting to start */
} sim_dtmf_acc;

typedef struct sim_dtmf_det {
    double coeff[8];       /* 2 cos(2 pi f / fs) */
    sim_dtmf_acc acc[2];
    int cur;               /* ASCII of the digit now on, or 0 */
    int cand, cand_n;      /* last window's verdict and how many windows in a row had it */
    int miss_n;            /* windows in a row without the current digit */
} sim_dtmf_det;

void sim_dtmf_reset(sim_dtmf_det *d);
/* Feed one sample: returns the digit's ASCII code when a digit starts, -1 when the
 * current digit ends, else 0. */
int sim_dtmf_step(sim_dtmf_det *d, int16_t x);
int sim_number_valid(const char *s, int cap);

/* ---- board and ports ---- */
typedef struct sim_port {
    int is_station;
    int offhook;
    int failed;
    int report_loop_drop;
    int station_ring;
    int64_t station_ring_start;
    /* the script: ops with their sample buffers copied into one pool */
    sim_op *ops;
    int16_t *pool;
    int n_ops;
    int running;
    int op_idx;
    int nudge_pending;
    int64_t elapsed; /* samples since the current op started */
    /* per-op running state */
    int ring_burst;
    int64_t ring_first, ring_shift, cid_start;
    sim_tone_gen tone;
    double prompt_acc;
    int prompt_frame_n, prompt_heard;
    int64_t prompt_quiet;
    sim_speech speech;
    uint64_t rng;
    /* DNIS */
    char number[SIM_NUMBER_CAP]; /* the trunk's own called number */
    char called[SIM_NUMBER_CAP]; /* called number of the incoming call now */
    /* CO side of an outgoing call */
    int dial_state;              /* SIM_DIALSTATE_* */
    int answered;
    char dialled[SIM_NUMBER_CAP];
    int n_dialled;
    int64_t dial_timer;          /* samples since seizure or the last digit's end */
    int64_t dial_tone_pos;       /* samples of the dial/reorder tone sent */
    sim_dtmf_det det;
} sim_port;

typedef struct sim_route {
    char number[SIM_NUMBER_CAP]; /* "" for the default route */
    sim_op *ops;
    int16_t *pool;
    int n_ops;
} sim_route;

struct sim_board {
    int n_trunks, n_ports;
    int64_t now;
    sim_port *ports;
    /* bounded event ring buffer; when full, new events are dropped and counted */
    sim_event *events;
    int cap, head, count;
    int64_t overflow;
    /* events raised during an exchange are collected here and sorted by sample */
    sim_event *batch, *batch_tmp;
    int batch_n, in_exchange;
    /* outbound routes (at most SIM_MAX_ROUTES) and digit collection timeouts */
    sim_route *routes;
    int n_routes, routes_cap;
    int32_t inter_digit_ms, first_digit_ms;
};

void sim_emit(sim_board *b, int type, int port, int arg, int64_t sample);
/* Copy ops and their sample buffers (validated for a port of that kind) into new memory. */
int sim_ops_copy(const sim_op *ops, int n_ops, int is_station, sim_op **out_ops,
                 int16_t **out_pool);
void sim_port_clear_script(sim_port *p);
/* CO side of outgoing calls (sim_co.c). */
void sim_co_seize(sim_port *p);
void sim_co_release(sim_port *p);
int sim_co_run(sim_board *b, int pi, sim_port *p, const int16_t *in, int16_t *out, int n,
               int64_t t0);
void sim_routes_free(sim_board *b);
int sim_op_valid(const sim_op *op, int is_station, int n_ops);
void sim_op_start(sim_board *b, int pi, sim_port *p, int64_t t);
void sim_goto_op(sim_board *b, int pi, sim_port *p, int next, int64_t t);
void sim_end_script(sim_board *b, int pi, sim_port *p, int reason, int64_t t);
void sim_station_set_hook(sim_board *b, int pi, sim_port *p, int offhook, int64_t t);
void sim_port_run(sim_board *b, int pi, sim_port *p, const int16_t *in, int16_t *out, int n);

#endif
