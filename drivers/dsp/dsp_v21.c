/* V.21 receiver kernels (see dspcore.h; numpy twins: V21Receiver._front and the decision
 * loop of V21Receiver.process in pycti/dsp/v21.py). */
#include <math.h>
#include <string.h>

#include "dspcore.h"

/* One sample through a direct form II transposed IIR section of the given order (a[0] = 1),
 * the structure of scipy.signal.lfilter; z holds order delays. */
static double iir_step(double x, const double *b, const double *a, int order, double *z)
{
    double y = z[0] + b[0] * x;
    for (int i = 0; i < order - 1; i++)
        z[i] = z[i + 1] + b[i + 1] * x - a[i + 1] * y;
    z[order - 1] = b[order] * x - a[order] * y;
    return y;
}

void dsp_v21_front(const double *x, int n, const double *lo, int period, int offset,
                   const double *b, const double *a, int order, double *zi,
                   const double *bd, const double *ad, int dorder, double *zid,
                   double *last_z, double *rows, int window, int smooth, double *sums,
                   double *bit_stat, double *power_sum, double *narrow_sum)
{
    int width = window + n;
    double *r0 = rows, *r1 = rows + width, *r2 = rows + 2 * width;
    double lre = last_z[0], lim = last_z[1];
    double s0 = sums[0], s1 = sums[1], s2 = sums[2];
    int ph = offset;
    for (int i = 0; i < n; i++) {
        double br = lo[2 * ph] * x[i], bi = lo[2 * ph + 1] * x[i];
        if (++ph == period)
            ph = 0;
        double re = iir_step(br, b, a, order, zi);
        double im = iir_step(bi, b, a, order, zi + order);
        double wr = iir_step(br, bd, ad, dorder, zid);
        double wi = iir_step(bi, bd, ad, dorder, zid + dorder);
        int k = window + i;
        r0[k] = im * lre - re * lim;
        r1[k] = wr * wr + wi * wi;
        r2[k] = re * re + im * im;
        lre = re;
        lim = im;
        s0 += r0[k] - r0[k - smooth];
        s1 += r1[k] - r1[k - window];
        s2 += r2[k] - r2[k - window];
        bit_stat[i] = s0;
        power_sum[i] = s1;
        narrow_sum[i] = s2;
    }
    last_z[0] = lre;
    last_z[1] = lim;
    sums[0] = s0;
    sums[1] = s1;
    sums[2] = s2;
    for (int r = 0; r < 3; r++)
        memmove(rows + r * width, rows + r * width + n, sizeof(double) * (size_t)window);
}

/* Python's float modulo for a positive divisor. */
static double py_mod_pos(double x, double m)
{
    double r = fmod(x, m);
    if (r != 0.0) {
        if (r < 0.0)
            r += m;
    } else {
        r = 0.0;
    }
    return r;
}

int dsp_v21_bits(const double *stat, int history, int64_t start, int64_t end,
                 const int64_t *ev_sample, const uint8_t *ev_up, int nev, double t_bit,
                 double min_gain, double *st, uint8_t *bits, int cap)
{
    double next_decision = st[0], crossings = st[1];
    int present = st[2] != 0.0, nbits = 0, ei = 0;
    int64_t origin = start - history; /* stream index of stat[0] */
    int64_t scan = start;             /* next stream index whose crossing is not yet known */
    int64_t t_cross = end;
    /* the next crossing revealed at or after scan: the sign changes from sample t-1 to t */
#define NEXT_CROSS()                                                                      \
    do {                                                                                  \
        t_cross = end;                                                                    \
        for (; scan < end; scan++) {                                                      \
            int64_t k = scan - origin;                                                    \
            if ((stat[k - 1] >= 0.0) != (stat[k] >= 0.0)) {                               \
                t_cross = scan++;                                                         \
                break;                                                                    \
            }                                                                             \
        }                                                                                 \
    } while (0)
    NEXT_CROSS();
    for (;;) {
        int64_t t_switch = ei < nev ? ev_sample[ei] : end;
        int64_t t_decide = present ? (int64_t)floor(next_decision) + 1 : end;
        int64_t now = t_switch < t_cross ? t_switch : t_cross;
        if (t_decide < now)
            now = t_decide;
        if (now >= end)
            break;
        if (t_switch == now) {
            present = ev_up[ei] != 0;
            ei++;
            next_decision = (double)now + t_bit;
            crossings = 0.0;
        } else if (t_cross == now) {
            if (present) {
                int64_t k = now - origin;
                double before = stat[k - 1], after = stat[k];
                double crossing = (double)(now - 1) + before / (before - after);
                double error = py_mod_pos(crossing + t_bit / 2.0 - next_decision, t_bit);
                if (error >= t_bit / 2.0)
                    error -= t_bit;
                crossings += 1.0;
                double gain = 1.0 / crossings;
                next_decision += error * (gain > min_gain ? gain : min_gain);
            }
            NEXT_CROSS();
        } else {
            double at = next_decision, whole = floor(at);
            int64_t k = (int64_t)whole - origin;
            if (k < 0)
                return -1; /* moved back beyond the history: the caller's own code decides */
            double value = stat[k] + (at - whole) * (stat[k + 1] - stat[k]);
            if (nbits >= cap)
                return -1;
            bits[nbits++] = value < 0.0 ? 1 : 0;
            next_decision += t_bit;
        }
    }
#undef NEXT_CROSS
    st[0] = next_decision;
    st[1] = crossings;
    st[2] = present;
    return nbits;
}
