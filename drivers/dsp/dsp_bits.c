/* Bit-stream kernels (see dspcore.h; numpy twins: HdlcDecoder._scan in pycti/dsp/hdlc.py,
 * Scrambler.descramble in pycti/dsp/qam_scrambler.py). */
#include "dspcore.h"

int dsp_hdlc_scan(const uint8_t *work, int n, int first_prev, uint8_t *keep, int64_t *tokens,
                  int64_t *info)
{
    int count = 0, prev_zero = -1, prev_run = first_prev, first = -1;
    for (int i = 0; i < n; i++) {
        keep[i] = 1;
        if (work[i] != 0)
            continue;
        if (prev_zero >= 0) {
            int run = i - prev_zero - 1;
            if (run >= 6) {
                tokens[3 * count] = prev_zero;
                tokens[3 * count + 1] = i;
                tokens[3 * count + 2] = run == 6 ? 0 : 1;
                count++;
            }
            prev_run = run;
        } else {
            first = i;
        }
        if (prev_run >= 5)
            keep[i] = 0;
        prev_zero = i;
    }
    if (first < 0)
        return -1;
    info[0] = first;
    info[1] = prev_zero;
    info[2] = prev_run;
    return count;
}

int dsp_descramble(const uint8_t *line, int n, int tap_a, int tap_b, const int64_t *compare,
                   int ncompare, int64_t limit, int depth, uint64_t *reg_count, uint8_t *out)
{
    if (depth < 1 || depth > 63 || tap_a < 1 || tap_b > depth)
        return -1;
    for (int k = 0; k < ncompare; k++)
        if (compare[k] < 1 || compare[k] > depth)
            return -1;
    uint64_t mask = ((uint64_t)1 << depth) - 1;
    uint64_t reg = reg_count[0] & mask, count = reg_count[1];
    for (int i = 0; i < n; i++) {
        uint64_t bit = line[i] & 1u;
        uint64_t o = bit ^ (reg >> (tap_a - 1)) ^ (reg >> (tap_b - 1));
        o &= 1u;
        if (ncompare) {
            int differs = 1;
            for (int k = 0; k < ncompare; k++)
                if (((reg >> (compare[k] - 1)) & 1u) == bit) {
                    differs = 0;
                    break;
                }
            if ((int64_t)count == limit) { /* the guard inverts this bit; its counter restarts */
                o ^= 1u;
                count = 0;
            } else if (differs) {
                count = 0;
            } else {
                count++;
            }
        }
        out[i] = (uint8_t)o;
        reg = ((reg << 1) | bit) & mask;
    }
    reg_count[0] = reg;
    reg_count[1] = count;
    return 0;
}
