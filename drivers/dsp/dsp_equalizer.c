/* Block-LMS equalizer kernels (see dspcore.h; numpy twin: Equalizer in pycti/dsp/qam_rx.py). */
#include <math.h>
#include <stddef.h>

#include "dspcore.h"

static const double TWO_PI = 6.283185307179586;

/* Python's float modulo for a positive divisor: the result has the divisor's sign. */
static double py_mod(double x, double m)
{
    double r = fmod(x, m);
    if (r != 0.0 && r < 0.0)
        r += m;
    return r;
}

static void filter_row(const double *x, int n, const double *w, double *re, double *im)
{
    double ar = 0.0, ai = 0.0;
    for (int j = 0; j < n; j++) {
        double xr = x[2 * j], xi = x[2 * j + 1], wr = w[2 * j], wi = w[2 * j + 1];
        ar += xr * wr - xi * wi;
        ai += xr * wi + xi * wr;
    }
    *re = ar;
    *im = ai;
}

void dsp_eq_output(const double *x, int b, int n, const double *w, double phase, double freq,
                   int ahead, double *out)
{
    for (int r = 0; r < b; r++) {
        double a = -(phase + freq * (double)(ahead + r));
        double cr = cos(a), ci = sin(a), fr, fi;
        filter_row(x + (size_t)2 * n * r, n, w, &fr, &fi);
        out[2 * r] = fr * cr - fi * ci;
        out[2 * r + 1] = fr * ci + fi * cr;
    }
}

void dsp_eq_run(const double *x, int b, int n, double *w, const double *points, int npts,
                const double *ref, double *st, double *yr, int64_t *idx)
{
    double phase = st[0], freq = st[1], mu = st[2], pll_a = st[3], pll_b = st[4];
    double pe = 0.0, mse = 0.0;
    double g[2 * DSP_MAX_TAPS];
    if (n > DSP_MAX_TAPS || b <= 0) {
        st[5] = 0.0; /* the wrapper checks the tap count (DSP_MAX_TAPS) and never sends b = 0 */
        return;
    }
    for (int j = 0; j < 2 * n; j++)
        g[j] = 0.0;
    for (int r = 0; r < b; r++) {
        const double *xr = x + (size_t)2 * n * r;
        double a = -(phase + freq * (double)r);
        double cr = cos(a), ci = sin(a), fr, fi;
        filter_row(xr, n, w, &fr, &fi);
        double yre = fr * cr - fi * ci, yim = fr * ci + fi * cr;
        yr[2 * r] = yre;
        yr[2 * r + 1] = yim;
        int best = 0;
        double best_d = INFINITY;
        for (int p = 0; p < npts; p++) {
            double dr = yre - points[2 * p], di = yim - points[2 * p + 1];
            double d = dr * dr + di * di;
            if (d < best_d) {
                best_d = d;
                best = p;
            }
        }
        idx[r] = best;
        double dre = ref ? ref[2 * r] : points[2 * best];
        double dim = ref ? ref[2 * r + 1] : points[2 * best + 1];
        double er = dre - yre, ei = dim - yim;
        mse += er * er + ei * ei;
        /* (e conj(rot)) conj(x): rot = cr + i ci */
        double qr = er * cr + ei * ci, qi = ei * cr - er * ci;
        for (int j = 0; j < n; j++) {
            double vr = xr[2 * j], vi = -xr[2 * j + 1];
            g[2 * j] += qr * vr - qi * vi;
            g[2 * j + 1] += qr * vi + qi * vr;
        }
        /* angle(yr conj(d)) */
        pe += atan2(yim * dre - yre * dim, yre * dre + yim * dim);
    }
    for (int j = 0; j < 2 * n; j++)
        w[j] += mu * g[j];
    pe /= b;
    st[0] = py_mod(phase + b * freq + pll_a * b * pe, TWO_PI);
    st[1] = freq + pll_b * b * pe;
    st[5] = mse / b;
}
