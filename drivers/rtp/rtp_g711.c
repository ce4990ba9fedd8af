/* ITU-T G.711 mu-law and A-law for the RTP pump, through lookup tables built once.
 *
 * The rules are those of pycti/dsp/g711.py (G.711 clause 3, Tables 1a/1b and 2a/2b), and the
 * tests check the two agree on all 65,536 inputs and 256 codes:
 *  - mu-law codes the 14-bit word x >> 2: magnitude (two's complement of a negative word, the
 *    'audioop' convention) clipped to 8159, plus the bias 33, in segments ending at
 *    64 * 2^s - 1; four bits below the leading one; every bit inverted.
 *  - A-law codes the 13-bit word x >> 3: one's complement magnitude in segments ending at
 *    32 * 2^s - 1 (segments 0 and 1 share a step); even bits inverted (XOR 0x55), sign 1 for
 *    positive values.
 *  - decoding gives the mid-point of the code's decision interval, scaled to 16 bits.
 */
#include <string.h>
#include "rtp_internal.h"

static uint8_t ulaw_enc[65536];
static uint8_t alaw_enc[65536];
static int16_t ulaw_dec[256];
static int16_t alaw_dec[256];
static volatile int tables_ready = 0;

/* Segment of a magnitude: how many segment end points first_end * 2^s - 1 lie below it. */
static int segment(int32_t magnitude, int32_t first_end)
{
    int s = 0;
    while (s < 8 && magnitude > first_end * (1 << s) - 1)
        s++;
    return s;
}

static uint8_t ulaw_encode_one(int32_t x)
{
    int32_t pcm14 = x >> 2; /* arithmetic shift, as numpy's >> on int32 */
    int negative = pcm14 < 0;
    int32_t mag = negative ? -pcm14 : pcm14;
    if (mag > 8159)
        mag = 8159;
    mag += 33;
    int seg = segment(mag, 64);
    int code = seg > 7 ? 0x7F : (seg << 4) | ((mag >> (seg + 1)) & 0x0F);
    return (uint8_t)(negative ? code ^ 0x7F : code ^ 0xFF);
}

static uint8_t alaw_encode_one(int32_t x)
{
    int32_t pcm13 = x >> 3;
    int negative = pcm13 < 0;
    int32_t mag = negative ? -pcm13 - 1 : pcm13;
    int seg = segment(mag, 32);
    int shift = seg > 1 ? seg : 1;
    int code = (seg << 4) | ((mag >> shift) & 0x0F);
    return (uint8_t)(negative ? code ^ 0x55 : code ^ 0xD5);
}

static int16_t ulaw_decode_one(int code)
{
    int inverted = ~code & 0xFF;
    int seg = (inverted & 0x70) >> 4;
    int32_t t = (((inverted & 0x0F) << 3) + 4 * 33) << seg;
    return (int16_t)((inverted & 0x80) ? 4 * 33 - t : t - 4 * 33);
}

static int16_t alaw_decode_one(int code)
{
    int value = code ^ 0x55;
    int seg = (value & 0x70) >> 4;
    int32_t t = ((value & 0x0F) << 4) + 8;
    if (seg >= 1)
        t = (t + 0x100) << (seg - 1);
    return (int16_t)((value & 0x80) ? t : -t);
}

void rtp_g711_init(void)
{
    if (tables_ready)
        return;
    for (int32_t x = -32768; x < 32768; x++) {
        ulaw_enc[(uint16_t)x] = ulaw_encode_one(x);
        alaw_enc[(uint16_t)x] = alaw_encode_one(x);
    }
    for (int c = 0; c < 256; c++) {
        ulaw_dec[c] = ulaw_decode_one(c);
        alaw_dec[c] = alaw_decode_one(c);
    }
    tables_ready = 1;
}

void rtp_g711_encode(int law, const int16_t *x, uint8_t *codes, int32_t n)
{
    const uint8_t *table = law == RTP_LAW_PCMA ? alaw_enc : ulaw_enc;
    for (int32_t i = 0; i < n; i++)
        codes[i] = table[(uint16_t)x[i]];
}

void rtp_g711_decode(int law, const uint8_t *codes, int16_t *x, int32_t n)
{
    const int16_t *table = law == RTP_LAW_PCMA ? alaw_dec : ulaw_dec;
    for (int32_t i = 0; i < n; i++)
        x[i] = table[codes[i]];
}

void rtp_g711_transcode(int from_law, int to_law, const uint8_t *in, uint8_t *out, int32_t n)
{
    if (from_law == to_law) {
        memcpy(out, in, (size_t)n);
        return;
    }
    const int16_t *dec = from_law == RTP_LAW_PCMA ? alaw_dec : ulaw_dec;
    const uint8_t *enc = to_law == RTP_LAW_PCMA ? alaw_enc : ulaw_enc;
    for (int32_t i = 0; i < n; i++)
        out[i] = enc[(uint16_t)dec[in[i]]];
}

void rtp_g711_ulaw_encode(const int16_t *x, uint8_t *codes, int32_t n)
{
    rtp_g711_init();
    rtp_g711_encode(RTP_LAW_PCMU, x, codes, n);
}

void rtp_g711_alaw_encode(const int16_t *x, uint8_t *codes, int32_t n)
{
    rtp_g711_init();
    rtp_g711_encode(RTP_LAW_PCMA, x, codes, n);
}

void rtp_g711_ulaw_decode(const uint8_t *codes, int16_t *x, int32_t n)
{
    rtp_g711_init();
    rtp_g711_decode(RTP_LAW_PCMU, codes, x, n);
}

void rtp_g711_alaw_decode(const uint8_t *codes, int16_t *x, int32_t n)
{
    rtp_g711_init();
    rtp_g711_decode(RTP_LAW_PCMA, codes, x, n);
}
