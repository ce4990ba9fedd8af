/*
 * sim_signal.c - signal generators of the simulated board: random numbers, tones, speech.
 */
#include <math.h>
#include <string.h>

#include "sim_internal.h"

/* ---- random numbers ---- */

/* splitmix64 finaliser (Steele, Lea, Flood 2014): spreads seed and stream over 64 bits. */
uint64_t sim_rng_seed(uint64_t seed, uint64_t stream)
{
    uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return z ? z : 0x2545F4914F6CDD1DULL; /* xorshift state must be non-zero */
}

double sim_rng_range(uint64_t *state, double lo, double hi)
{
    return lo + (hi - lo) * sim_rng_uniform(state);
}

/* ---- levels ---- */

double sim_dbm0_to_peak(double level_dbm0)
{
    return SIM_DBM0_PEAK * pow(10.0, level_dbm0 / 20.0);
}

/* ---- tones ---- */

void sim_tone_init(sim_tone_gen *g, double f1_hz, double f2_hz, double level_dbm0,
                   int32_t on_ms, int32_t off_ms)
{
    double amp = sim_dbm0_to_peak(level_dbm0);
    memset(g, 0, sizeof *g);
    g->w1 = 2.0 * SIM_PI * f1_hz / SIM_FS_HZ;
    g->w2 = 2.0 * SIM_PI * f2_hz / SIM_FS_HZ;
    g->cw1 = cos(g->w1);
    g->sw1 = sin(g->w1);
    g->cw2 = cos(g->w2);
    g->sw2 = sin(g->w2);
    g->amp1 = f1_hz > 0.0 ? amp : 0.0;
    g->amp2 = f2_hz > 0.0 ? amp : 0.0;
    g->on_samples = (int64_t)on_ms * SIM_SAMPLES_PER_MS;
    g->off_samples = (int64_t)off_ms * SIM_SAMPLES_PER_MS;
    g->m_next = -1;
}

/* Set the oscillators to burst sample m exactly (at burst starts and every 4096 samples,
 * so rounding never accumulates; both depend on m only, so block sizes do not matter). */
static void tone_sync(sim_tone_gen *g, int64_t m)
{
    double x = (double)m;
    g->c1 = cos(g->w1 * x);
    g->s1 = sin(g->w1 * x);
    g->c2 = cos(g->w2 * x);
    g->s2 = sin(g->w2 * x);
}

void sim_tone_render(sim_tone_gen *g, int64_t e0, int16_t *out, int n)
{
    int64_t cycle = g->on_samples + g->off_samples;
    int i = 0;
    while (i < n) {
        int64_t e = e0 + i;
        int64_t m = g->off_samples > 0 ? e % cycle : e; /* sample index inside the burst */
        int64_t run;
        if (g->off_samples > 0 && m >= g->on_samples) { /* silent part of the cadence */
            run = cycle - m < n - i ? cycle - m : n - i;
            memset(out + i, 0, (size_t)run * sizeof *out);
            i += (int)run;
            continue;
        }
        run = g->off_samples > 0 ? g->on_samples - m : n - i;
        if (run > n - i)
            run = n - i;
        for (int64_t j = 0; j < run; j++, m++) {
            if (m != g->m_next || (m & 4095) == 0)
                tone_sync(g, m);
            out[i + j] = sim_sat16(g->amp1 * g->s1 + g->amp2 * g->s2);
            double c1 = g->c1 * g->cw1 - g->s1 * g->sw1;
            g->s1 = g->s1 * g->cw1 + g->c1 * g->sw1;
            g->c1 = c1;
            double c2 = g->c2 * g->cw2 - g->s2 * g->sw2;
            g->s2 = g->s2 * g->cw2 + g->c2 * g->sw2;
            g->c2 = c2;
            g->m_next = m + 1;
        }
        i += (int)run;
    }
}

/* ---- speech ---- */

/*
 * A source-filter model: a pitch-pulse train (100-250 Hz, gliding over each syllable) mixed
 * with white noise excites three parallel formant resonators; a half-sine envelope shapes
 * syllables of 120-260 ms separated by gaps of 40-120 ms, and sometimes by pauses of
 * 250-600 ms, which gives a syllabic rate of about 3-5 Hz.  Vowel formants are the
 * Peterson & Barney (1952) adult male averages, jittered by +/-8 %.
 */
static const double VOWEL_FORMANTS_HZ[][SIM_N_FORMANTS] = {
    {730.0, 1090.0, 2440.0}, /* /a/ */
    {530.0, 1840.0, 2480.0}, /* /e/ */
    {270.0, 2290.0, 3010.0}, /* /i/ */
    {570.0, 840.0, 2410.0},  /* /o/ */
    {300.0, 870.0, 2240.0},  /* /u/ */
    {660.0, 1720.0, 2410.0}, /* /ae/ */
    {490.0, 1350.0, 1690.0}, /* /er/ */
};
#define N_VOWELS (sizeof VOWEL_FORMANTS_HZ / sizeof VOWEL_FORMANTS_HZ[0])
static const double FRICATIVE_FORMANTS_HZ[SIM_N_FORMANTS] = {1800.0, 2600.0, 3400.0};
static const double FORMANT_BW_HZ[SIM_N_FORMANTS] = {120.0, 150.0, 200.0};
static const double FORMANT_WEIGHT[SIM_N_FORMANTS] = {1.0, 0.6, 0.3};

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/* Two-pole resonator 1 / (1 + a1 z^-1 + a2 z^-2), gain g for unit white-noise power gain. */
static void set_resonator(sim_speech *sp, int k, double f_hz, double bw_hz)
{
    double r = exp(-SIM_PI * bw_hz / SIM_FS_HZ);
    double theta = 2.0 * SIM_PI * f_hz / SIM_FS_HZ;
    double a1 = -2.0 * r * cos(theta), a2 = r * r;
    double power_gain = (1.0 + a2) / ((1.0 - a2) * ((1.0 + a2) * (1.0 + a2) - a1 * a1));
    sp->a1[k] = a1;
    sp->a2[k] = a2;
    sp->g[k] = 1.0 / sqrt(power_gain);
}

static void new_syllable(sim_speech *sp, uint64_t *rng)
{
    int voiced = sim_rng_uniform(rng) < 0.85;
    const double *f = voiced ? VOWEL_FORMANTS_HZ[sim_rng_next(rng) % N_VOWELS]
                             : FRICATIVE_FORMANTS_HZ;
    for (int k = 0; k < SIM_N_FORMANTS; k++)
        set_resonator(sp, k, clamp(f[k] * sim_rng_range(rng, 0.92, 1.08), 200.0, 3600.0),
                      FORMANT_BW_HZ[k]);
    sp->voicing = voiced ? 0.95 : 0.0;
    sp->pitch0_hz = clamp(sp->base_pitch_hz * sim_rng_range(rng, 0.85, 1.15), 100.0, 250.0);
    sp->pitch1_hz = clamp(sp->pitch0_hz * sim_rng_range(rng, 0.85, 1.15), 100.0, 250.0);
    sp->active_len = (int64_t)(sim_rng_range(rng, 120.0, 260.0) * SIM_SAMPLES_PER_MS);
    double gap_ms = sim_rng_uniform(rng) < 0.2 ? sim_rng_range(rng, 250.0, 600.0)
                                                : sim_rng_range(rng, 40.0, 120.0);
    sp->total_len = sp->active_len + (int64_t)(gap_ms * SIM_SAMPLES_PER_MS);
    sp->pos = 0;
    sp->env_c = 1.0;
    sp->env_s = 0.0;
    sp->env_cw = cos(SIM_PI / (double)sp->active_len);
    sp->env_sw = sin(SIM_PI / (double)sp->active_len);
}

/* Pitch glide: refresh the pulse train's increment, amplitude and mean every 2 ms. */
static void refresh_pitch(sim_speech *sp)
{
    double frac = (double)sp->pos / (double)sp->active_len;
    double f0 = sp->pitch0_hz + (sp->pitch1_hz - sp->pitch0_hz) * frac;
    sp->phase_inc = f0 / SIM_FS_HZ;
    sp->pulse_amp = sqrt(SIM_FS_HZ / f0); /* unit mean power whatever the pitch */
    sp->pulse_dc = sqrt(f0 / SIM_FS_HZ);  /* the train's mean, removed (no DC) */
}

void sim_speech_start(sim_speech *sp, uint64_t *rng, double level_dbm0)
{
    memset(sp, 0, sizeof *sp);
    sp->rms = sim_dbm0_to_peak(level_dbm0) / sqrt(2.0);
    sp->base_pitch_hz = sim_rng_range(rng, 110.0, 200.0);
    new_syllable(sp, rng);
}

/* the unrolled resonators below assume three formants */
typedef char sim_three_formants[SIM_N_FORMANTS == 3 ? 1 : -1];

/*
 * One syllable's stretch at a time, its state in locals (registers) and stored back before
 * anything that reads it from *sp (the pitch refresh every 2 ms, the next syllable): the same
 * operations in the same order as a sample-by-sample loop over *sp, so the same samples.
 */
void sim_speech_render(sim_speech *sp, uint64_t *rng, int16_t *out, int n)
{
    double wsum = 0.0;
    for (int k = 0; k < SIM_N_FORMANTS; k++)
        wsum += FORMANT_WEIGHT[k] * FORMANT_WEIGHT[k];
    /* sqrt(2): the half-sine envelope has a mean square of 1/2 over the active part. */
    double scale = sp->rms * sqrt(2.0) / sqrt(wsum);
    int i = 0;
    while (i < n) {
        if (sp->pos >= sp->total_len)
            new_syllable(sp, rng);
        int64_t seg = sp->total_len - sp->pos;
        if (seg > n - i)
            seg = n - i;
        const double voicing = sp->voicing, noise_w = sqrt(1.0 - voicing * voicing);
        const double env_cw = sp->env_cw, env_sw = sp->env_sw;
        const double g0 = sp->g[0], g1 = sp->g[1], g2 = sp->g[2];
        const double a10 = sp->a1[0], a11 = sp->a1[1], a12 = sp->a1[2];
        const double a20 = sp->a2[0], a21 = sp->a2[1], a22 = sp->a2[2];
        const double w0 = FORMANT_WEIGHT[0], w1 = FORMANT_WEIGHT[1], w2 = FORMANT_WEIGHT[2];
        const int64_t active = sp->active_len;
        double y10 = sp->y1[0], y11 = sp->y1[1], y12 = sp->y1[2];
        double y20 = sp->y2[0], y21 = sp->y2[1], y22 = sp->y2[2];
        double env_c = sp->env_c, env_s = sp->env_s, phase = sp->phase;
        double phase_inc = sp->phase_inc, pulse_amp = sp->pulse_amp, pulse_dc = sp->pulse_dc;
        uint64_t r = *rng;
        int64_t pos = sp->pos;
        int16_t *o = out + i;
        for (int64_t j = 0; j < seg; j++, pos++) {
            double x = 0.0;
            if (pos < active) {
                if ((pos & 15) == 0) {
                    sp->pos = pos;
                    refresh_pitch(sp);
                    phase_inc = sp->phase_inc;
                    pulse_amp = sp->pulse_amp;
                    pulse_dc = sp->pulse_dc;
                }
                double pulse = -pulse_dc;
                phase += phase_inc;
                if (phase >= 1.0) {
                    phase -= 1.0;
                    pulse += pulse_amp;
                }
                double noise = (sim_rng_uniform(&r) - 0.5) * 3.4641016151377544; /* sqrt(12) */
                x = (voicing * pulse + noise_w * noise) * env_s;
                double c = env_c * env_cw - env_s * env_sw;
                env_s = env_s * env_cw + env_c * env_sw;
                env_c = c;
            }
            double yk0 = g0 * x - a10 * y10 - a20 * y20;
            y20 = y10;
            y10 = yk0;
            double yk1 = g1 * x - a11 * y11 - a21 * y21;
            y21 = y11;
            y11 = yk1;
            double yk2 = g2 * x - a12 * y12 - a22 * y22;
            y22 = y12;
            y12 = yk2;
            double y = 0.0;
            y += w0 * yk0;
            y += w1 * yk1;
            y += w2 * yk2;
            o[j] = sim_sat16(y * scale);
        }
        sp->y1[0] = y10, sp->y1[1] = y11, sp->y1[2] = y12;
        sp->y2[0] = y20, sp->y2[1] = y21, sp->y2[2] = y22;
        sp->env_c = env_c, sp->env_s = env_s, sp->phase = phase;
        sp->phase_inc = phase_inc, sp->pulse_amp = pulse_amp, sp->pulse_dc = pulse_dc;
        sp->pos = pos;
        *rng = r;
        i += (int)seg;
    }
}
