/* QAM receiver front end, timing loop, carrier detector and differential decoding kernels
 * (see dspcore.h; numpy twins in pycti/dsp/qam_rx.py and DifferentialMapper in qam.py). */
#include <math.h>
#include <string.h>

#include "dspcore.h"

void dsp_fe_process(const double *frame, int n, const double *carrier_conj, int period,
                    int phase0, double *ext, int ntaps, const double *taps,
                    const double *flat_taps, double *out, double *flat)
{
    int h = ntaps - 1;
    int ph = phase0;
    for (int i = 0; i < n; i++) {
        ext[2 * (h + i)] = frame[i] * carrier_conj[2 * ph];
        ext[2 * (h + i) + 1] = frame[i] * carrier_conj[2 * ph + 1];
        if (++ph == period)
            ph = 0;
    }
    /* 'valid' convolution: out[i] = sum_j ext[i + h - j] * taps[j] */
    for (int i = 0; i < n; i++) {
        const double *e = ext + 2 * (i + h);
        double ar = 0.0, ai = 0.0, fr = 0.0, fi = 0.0;
        for (int j = 0; j < ntaps; j++) {
            double er = e[-2 * j], ei = e[-2 * j + 1];
            ar += er * taps[j];
            ai += ei * taps[j];
            fr += er * flat_taps[j];
            fi += ei * flat_taps[j];
        }
        out[2 * i] = ar;
        out[2 * i + 1] = ai;
        flat[2 * i] = fr;
        flat[2 * i + 1] = fi;
    }
    memmove(ext, ext + 2 * n, sizeof(double) * 2 * (size_t)h);
}

#define INTERP_TAPS 8
#define INTERP_LOW (-3) /* taps at whole + INTERP_LOW .. whole + INTERP_LOW + 7 */

int dsp_timing_block(const double *z, int64_t nz, int64_t base, double pos0, double half,
                     double gain, int nout, const double *table, int phases, double *u,
                     double *pos, int have_last, const double *last, double *err)
{
    if (nout < 2 || phases < 1)
        return -1;
    for (int i = 0; i < nout; i++) {
        double p = pos0 + half * (double)i;
        double whole = floor(p);
        int64_t first = (int64_t)whole - base + INTERP_LOW;
        if (first < 0 || first + INTERP_TAPS > nz)
            return -1;
    }
    for (int i = 0; i < nout; i++) {
        double p = pos0 + half * (double)i;
        double whole = floor(p);
        int phase = (int)nearbyint((p - whole) * (double)phases);
        const double *row = table + (size_t)phase * INTERP_TAPS;
        const double *zz = z + 2 * ((int64_t)whole - base + INTERP_LOW);
        double re = 0.0, im = 0.0;
        for (int j = 0; j < INTERP_TAPS; j++) {
            re += zz[2 * j] * row[j];
            im += zz[2 * j + 1] * row[j];
        }
        u[2 * i] = re * gain;
        u[2 * i + 1] = im * gain;
        pos[i] = p;
    }
    /* Gardner: Re(conj(mid) * (next centre - previous centre)) over the block. */
    int symbols = nout / 2;
    double sum = 0.0, power = 0.0;
    int count = 0;
    for (int k = 0; k < symbols; k++) {
        const double *c = u + 4 * k;
        power += c[0] * c[0] + c[1] * c[1];
    }
    for (int k = have_last ? 0 : 1; k < symbols; k++) {
        const double *nxt = u + 4 * k;
        const double *prev = k ? u + 4 * (k - 1) : last;
        const double *mid = k ? u + 4 * (k - 1) + 2 : last + 2;
        sum += mid[0] * (nxt[0] - prev[0]) + mid[1] * (nxt[1] - prev[1]);
        count++;
    }
    power = power / symbols + 1e-9;
    double e = count ? sum / (count * power) : 0.0;
    *err = e > 1.0 ? 1.0 : (e < -1.0 ? -1.0 : e);
    return 0;
}

int dsp_cd_step(const double *bb, int nsub, int sub, double *st, int64_t *changes)
{
    double prev = st[0], on_th = st[2], off_th = st[3];
    int on = st[1] != 0.0, count = 0;
    for (int i = 0; i < nsub; i++) {
        const double *z = bb + (size_t)2 * sub * i;
        double p = 0.0;
        for (int j = 0; j < sub; j++)
            p += z[2 * j] * z[2 * j] + z[2 * j + 1] * z[2 * j + 1];
        p /= sub;
        double level = 0.5 * (prev + p);
        prev = p;
        if (!on && level > on_th) {
            on = 1;
            changes[2 * count] = i;
            changes[2 * count + 1] = 1;
            count++;
        } else if (on && level < off_th) {
            on = 0;
            changes[2 * count] = i;
            changes[2 * count + 1] = 0;
            count++;
        }
    }
    st[0] = prev;
    st[1] = on;
    return count;
}

void dsp_diff_decode(const int64_t *idx, int n, const int64_t *phase_of, const int64_t *ring_of,
                     const int64_t *inverse, int phase_bits, int amp_bit, int64_t *phase,
                     uint8_t *bits)
{
    int64_t prev = *phase;
    int per = phase_bits + (amp_bit ? 1 : 0);
    for (int i = 0; i < n; i++) {
        int64_t ph = phase_of[idx[i]];
        int64_t value = inverse[(((ph - prev) % 8) + 8) % 8];
        if (value < 0)
            value = 0;
        prev = ph;
        uint8_t *out = bits + (size_t)per * i;
        if (amp_bit)
            *out++ = (uint8_t)ring_of[idx[i]];
        for (int j = 0; j < phase_bits; j++)
            out[j] = (uint8_t)((value >> (phase_bits - 1 - j)) & 1);
    }
    if (n)
        *phase = prev;
}
