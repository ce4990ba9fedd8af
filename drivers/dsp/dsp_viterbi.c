/* V.17 trellis decoder kernel (see dspcore.h; numpy twin: ViterbiDecoder in
 * pycti/dsp/v17_trellis.py). */
#include <math.h>
#include <string.h>

#include "dspcore.h"

#define STATES 8
#define BRANCHES 4

/* Add-compare-select of one element: metric m updated in place, returns the packed choices. */
static int64_t acs_step(double *m, const double *bm, const int64_t *prev_state,
                        const int64_t *branch_subset)
{
    double nm[STATES];
    int64_t packed = 0;
    for (int ns = 0; ns < STATES; ns++) {
        const int64_t *ps = prev_state + BRANCHES * ns, *bs = branch_subset + BRANCHES * ns;
        double best = m[ps[0]] + bm[bs[0]];
        int k = 0;
        for (int j = 1; j < BRANCHES; j++) {
            double c = m[ps[j]] + bm[bs[j]];
            if (c < best) {
                best = c;
                k = j;
            }
        }
        nm[ns] = best;
        packed |= (int64_t)k << (2 * ns);
    }
    memcpy(m, nm, sizeof nm);
    return packed;
}

int dsp_viterbi_decode(const double *y, int n, const double *sub_re, const double *sub_im,
                       const double *energy, int per, const int64_t *prev_state,
                       const int64_t *prev_v, const int64_t *branch_subset,
                       const double *points, int bits_per_symbol, int delay, double *metric,
                       int64_t *choice, int64_t *best_q, int64_t *hist, double *decided,
                       uint8_t *bits)
{
    int len = (int)hist[0];
    double m[STATES], bm[STATES];
    memcpy(m, metric, sizeof m);
    for (int i = 0; i < n; i++, len++) {
        double yre = y[2 * i], yim = y[2 * i + 1];
        /* branch metric of each subset: |p|^2 - 2 Re(y conj p) of its nearest point */
        for (int s = 0; s < STATES; s++) {
            int off = s * per, best = 0;
            double bd = INFINITY;
            for (int j = 0; j < per; j++) {
                double d = energy[off + j] - 2.0 * (yre * sub_re[off + j] + yim * sub_im[off + j]);
                if (d < bd) {
                    bd = d;
                    best = j;
                }
            }
            bm[s] = bd;
            best_q[STATES * len + s] = best;
        }
        choice[len] = acs_step(m, bm, prev_state, branch_subset);
    }
    if (n) {
        double low = m[0];
        for (int s = 1; s < STATES; s++)
            if (m[s] < low)
                low = m[s];
        for (int s = 0; s < STATES; s++)
            metric[s] = m[s] - low;
    }
    int count = len - delay;
    if (count <= 0) {
        hist[0] = len;
        return 0;
    }
    /* Traceback from the best state; release the oldest count elements. */
    int state = 0;
    for (int s = 1; s < STATES; s++)
        if (metric[s] < metric[state])
            state = s;
    for (int t = len - 1; t >= count; t--)
        state = (int)prev_state[BRANCHES * state + ((choice[t] >> (2 * state)) & 3)];
    int v_last = (int)hist[1];
    for (int t = count - 1; t >= 0; t--) {
        int branch = (int)((choice[t] >> (2 * state)) & 3);
        int v = (int)prev_v[BRANCHES * state + branch];
        int subset = (int)branch_subset[BRANCHES * state + branch];
        int64_t q = best_q[STATES * t + subset];
        int64_t label = (q << 3) | subset;
        decided[2 * t] = points[2 * label];
        decided[2 * t + 1] = points[2 * label + 1];
        /* the differential bits need the previous element's v: store v for now */
        uint8_t *out = bits + (size_t)t * bits_per_symbol;
        out[0] = (uint8_t)v;
        for (int j = 2; j < bits_per_symbol; j++)
            out[j] = (uint8_t)((q >> (j - 2)) & 1);
        if (t == count - 1)
            v_last = v;
        state = (int)prev_state[BRANCHES * state + branch];
    }
    int prev = (int)hist[1];
    for (int t = 0; t < count; t++) {
        uint8_t *out = bits + (size_t)t * bits_per_symbol;
        int v = out[0];
        int low2 = (v - prev) & 3;
        out[0] = (uint8_t)(low2 & 1);
        out[1] = (uint8_t)(low2 >> 1);
        prev = v;
    }
    hist[1] = v_last;
    memmove(choice, choice + count, sizeof(int64_t) * (size_t)(len - count));
    memmove(best_q, best_q + (size_t)STATES * count, sizeof(int64_t) * STATES * (size_t)(len - count));
    hist[0] = len - count;
    return count;
}
