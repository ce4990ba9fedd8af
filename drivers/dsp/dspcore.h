/* pycti DSP kernels (cffi API mode: pycti.dsp._dspcore).
 *
 * The per-block inner loops of the QAM/PSK fax modem receivers (ITU-T V.27ter, V.29, V.17):
 * the front end's carrier mix-down and FIR filters, the timing loop's windowed-sinc
 * interpolation with its Gardner error, the block-LMS equalizer with its slicer and carrier
 * phase loop, and the V.17 trellis decoder's add-compare-select and traceback.  Each mirrors
 * the numpy code of pycti/dsp/qam_rx.py and pycti/dsp/v17_trellis.py step for step (the same
 * block structure, so the same decisions); complex arrays are interleaved (re, im) doubles,
 * the memory layout of numpy's complex128.
 */
#ifndef PYCTI_DSPCORE_H
#define PYCTI_DSPCORE_H

#include <stdint.h>

/* Front end over one frame of n line samples: ext (ntaps - 1 + n complex) is scratch whose
 * first ntaps - 1 entries hold the history on entry and on return; out and flat get the n
 * matched-filtered and flat-filtered baseband samples.  carrier_conj is one carrier period
 * (period complex), phase0 the index into it of frame sample 0. */
void dsp_fe_process(const double *frame, int n, const double *carrier_conj, int period,
                    int phase0, double *ext, int ntaps, const double *taps,
                    const double *flat_taps, double *out, double *flat);

/* Timing loop block: interpolates z (nz complex, z[0] is absolute sample base) at the nout
 * instants pos0 + half * i with the (phases + 1) x 8 table, times gain, into u; stores the
 * instants in pos.  last holds the previous block's last centre and mid samples (used when
 * have_last).  *err gets the Gardner error normalised and clipped to [-1, 1].  Returns 0, or
 * -1 when an instant's taps fall outside z or nout < 2 (nothing is written then). */
int dsp_timing_block(const double *z, int64_t nz, int64_t base, double pos0, double half,
                     double gain, int nout, const double *table, int phases, double *u,
                     double *pos, int have_last, const double *last, double *err);

/* Block LMS equalizer step: x is b rows of n complex (the T/2 windows), w the n taps
 * (updated), points the npts constellation points; ref (b complex) the training reference or
 * NULL for decision-directed.  st: [phase, freq, mu, pll_a, pll_b] on entry; phase and freq
 * updated, st[5] gets the block's mean squared error.  yr (b complex) and idx (b) get the
 * derotated outputs and the slicer's decisions. */
/* The most taps dsp_eq_run takes. */
#define DSP_MAX_TAPS 256

void dsp_eq_run(const double *x, int b, int n, double *w, const double *points, int npts,
                const double *ref, double *st, double *yr, int64_t *idx);

/* The derotated outputs of the b rows of x without adapting, the first row ahead elements
 * after the next one dsp_eq_run would take. */
void dsp_eq_output(const double *x, int b, int n, const double *w, double phase, double freq,
                   int ahead, double *out);

/* V.17 Viterbi decoder step over n soft elements y (complex).  sub_re/sub_im/energy: the
 * points subset-major (8 subsets of per points).  prev_state, prev_v, branch_subset: 8 x 4,
 * the predecessor state, its input v = 2 Y2 + Y1 and the subset (label bits Y2 Y1 Y0) of each
 * branch into each state.  metric (8) is the path metric of each state (less its minimum
 * after each call); choice (two bits per state: the branch chosen into it) and best_q (8 per
 * element: the index within each subset of the nearest point) hold hist[0] elements not yet
 * released and must have room for hist[0] + n; hist[1] is the last released v.  Appends the
 * n elements, then (when more than delay are held) traces back from the state of least metric
 * and releases the oldest ones: decided gets their points (labels (q << 3) | subset into
 * points), bits their bits_per_symbol bits each (Q1 Q2 differentially decoded, then Q3 ...).
 * Returns the number of elements released. */
int dsp_viterbi_decode(const double *y, int n, const double *sub_re, const double *sub_im,
                       const double *energy, int per, const int64_t *prev_state,
                       const int64_t *prev_v, const int64_t *branch_subset,
                       const double *points, int bits_per_symbol, int delay, double *metric,
                       int64_t *choice, int64_t *best_q, int64_t *hist, double *decided,
                       uint8_t *bits);

/* Carrier detector over nsub sub-blocks of sub baseband samples: st is [previous sub-block
 * power, on (0/1), on threshold, off threshold], updated; changes gets (sub-block index, new
 * state) pairs.  Returns the number of changes. */
int dsp_cd_step(const double *bb, int nsub, int sub, double *st, int64_t *changes);

/* Differential phase decoding (V.27ter 2.2, V.29 clause 3) of the n decided point indices
 * idx: phase_of/ring_of give each point's phase (45-degree units) and ring, inverse[8] the
 * bit value of each phase change (-1: none, decoded as 0).  *phase is the previous element's
 * phase (updated); bits gets amp_bit + phase_bits bits per element, first bit first. */
void dsp_diff_decode(const int64_t *idx, int n, const int64_t *phase_of, const int64_t *ring_of,
                     const int64_t *inverse, int phase_bits, int amp_bit, int64_t *phase,
                     uint8_t *bits);

/* V.21 receiver front end over n line samples (ITU-T V.21; pycti/dsp/v21.py steps 1-4): mix
 * down by lo (period complex, x[0] at index offset), the data low-pass (b, a: order + 1
 * coefficients, a[0] = 1; zi: 2 x order delays, re then im) and the detection low-pass (bd,
 * ad, dorder, zid); last_z is the last data baseband sample.  rows is 3 x (window + n): the
 * discriminator Im(z[n] conj(z[n-1])), |w|^2 and |z|^2, whose first window entries of each row
 * hold the history on entry and on return; sums (3) are the running sums (smooth, window and
 * window samples long).  bit_stat, power_sum, narrow_sum get the sums after each sample. */
void dsp_v21_front(const double *x, int n, const double *lo, int period, int offset,
                   const double *b, const double *a, int order, double *zi,
                   const double *bd, const double *ad, int dorder, double *zid,
                   double *last_z, double *rows, int window, int smooth, double *sums,
                   double *bit_stat, double *power_sum, double *narrow_sum);

/* HDLC scan of n bits (ISO/IEC 13239 framing, T.30 clause 5.3): first_prev is the run of
 * ones before the first zero.  keep[i] is 0 for a zero after five or more ones (inserted, or
 * a flag's or an abort's), 1 otherwise; tokens gets (zero before, zero after, kind) for each
 * run of exactly six ones between zeros (kind 0, a flag) or seven or more (kind 1, an abort),
 * in order (room for n / 7 + 1); info gets the first zero, the last zero and the run before
 * the last zero.  Returns the number of tokens, or -1 when there is no zero. */
int dsp_hdlc_scan(const uint8_t *work, int n, int first_prev, uint8_t *keep, int64_t *tokens,
                  int64_t *info);

/* Self-synchronising descrambler (V.27ter 2.5, V.29 clause 5: 1 + x^-a + x^-b) over n line
 * bits, with the optional repeated-pattern guard of V.27ter (ncompare > 0: the line bits
 * compare[k] back are compared; a bit after limit bits without a reset is inverted).
 * reg_count holds the register (the last depth line bits, newest in bit 0) and the guard's
 * counter, updated.  Returns 0, or -1 for taps outside the register (nothing written). */
int dsp_descramble(const uint8_t *line, int n, int tap_a, int tap_b, const int64_t *compare,
                   int ncompare, int64_t limit, int depth, uint64_t *reg_count, uint8_t *out);

/* V.21 bit timing and decisions (pycti/dsp/v21.py steps 5 and 6) over the stream samples
 * start .. end - 1: stat holds the bit statistic from stream index start - history on (history
 * >= 1 samples before start); the carrier switches at ev_sample (ev_up: 1 for on) in order.
 * st is [next decision instant, crossings since the carrier came, carrier present], updated.
 * A crossing of zero pulls the next decision by max(1 / crossings, min_gain) of its error.
 * bits gets the decisions (1 for a negative statistic).  Returns their number, or -1 (st
 * untouched) when more than cap would come or a decision falls before the history. */
int dsp_v21_bits(const double *stat, int history, int64_t start, int64_t end,
                 const int64_t *ev_sample, const uint8_t *ev_up, int nev, double t_bit,
                 double min_gain, double *st, uint8_t *bits, int cap);

#endif
