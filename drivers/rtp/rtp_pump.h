/* Batched RTP media pump: G.711 over UDP for many channels in one call per 20 ms tick.
 *
 * RFC 3550 section 5.1 (header), A.1 (sequence validation), A.8 (interarrival jitter),
 * RFC 3551 (PCMU 0 / PCMA 8, 8000 Hz, 20 ms = 160 samples), RFC 5761 section 4 (RTCP on the
 * RTP port), ITU-T G.711 (the codec).  Lines starting with '#' are dropped before this file is
 * given to cffi's cdef, so everything cffi must see is plain declarations.
 */
#ifndef PYCTI_RTP_PUMP_H
#define PYCTI_RTP_PUMP_H

#include <stdint.h>

enum {
    RTP_PUMP_FRAME_SAMPLES = 160,
    RTP_PUMP_MAX_PACKET = 1500,
    RTP_PUMP_MAX_CHANNELS = 65536,
    RTP_PUMP_MAX_JITTER_FRAMES = 64
};

/* Return codes (0 is success). */
enum {
    RTP_OK = 0,
    RTP_ERR_ARGUMENT = -1,  /* a value out of range */
    RTP_ERR_CHANNEL = -2,   /* channel number out of range */
    RTP_ERR_CLOSED = -3,    /* the channel has no socket */
    RTP_ERR_OPEN = -4,      /* the channel already has a socket */
    RTP_ERR_NOMEM = -5,
    RTP_ERR_SOCKET = -6,    /* a socket call failed: errno in rtp_pump_errno() */
    RTP_ERR_NO_REMOTE = -7, /* send without a remote address */
    RTP_ERR_WOULDBLOCK = -8 /* the socket's send buffer is full: packet dropped */
};

/* What a payload type means on a channel's receive side. */
enum {
    RTP_PT_NONE = 0,   /* not negotiated: the packet goes to the side queue as UNKNOWN_PT */
    RTP_PT_PCMU = 1,   /* G.711 mu-law audio */
    RTP_PT_PCMA = 2,   /* G.711 A-law audio */
    RTP_PT_EVENT = 3   /* RFC 4733 telephone-event: side queue as EVENT */
};

/* Why a packet is in the side queue. */
enum {
    RTP_SIDE_RTCP = 1,        /* RTCP multiplexed on the RTP port (second octet 192-223) */
    RTP_SIDE_EVENT = 2,       /* telephone-event packet that passed sequence checks */
    RTP_SIDE_UNKNOWN_PT = 3,  /* payload type not negotiated */
    RTP_SIDE_NEW_SOURCE = 4,  /* first packet of a new SSRC (the stream restarted on it) */
    RTP_SIDE_SOURCE_ADDRESS = 5, /* first packet from a new source address (latching) */
    RTP_SIDE_REJECTED = 6     /* strict channel: packet not from the remote address, dropped */
};

/* What tick() played on a channel. */
enum {
    RTP_FRAME_SILENCE = 0,
    RTP_FRAME_AUDIO = 1,
    RTP_FRAME_CONCEALED = 2
};

/* Columns of the statistics matrix (one row per channel, int64). */
enum {
    RTP_STAT_RECEIVED = 0,      /* RFC 3550 A.1 'received' of the current source */
    RTP_STAT_LOST = 1,          /* A.3 cumulative lost (expected - received), may be < 0 */
    RTP_STAT_EXTENDED_MAX = 2,  /* A.1 extended highest sequence number */
    RTP_STAT_JITTER = 3,        /* A.8 interarrival jitter, timestamp units */
    RTP_STAT_AUDIO = 4,         /* audio packets filed in the jitter buffer */
    RTP_STAT_LATE = 5,          /* audio packets behind the playout point (dropped) */
    RTP_STAT_DUPLICATE = 6,
    RTP_STAT_PROBATION = 7,     /* held while the source was on probation */
    RTP_STAT_INVALID_SEQUENCE = 8,
    RTP_STAT_MALFORMED = 9,
    RTP_STAT_UNKNOWN_PT = 10,
    RTP_STAT_RTCP = 11,
    RTP_STAT_EVENT = 12,
    RTP_STAT_REJECTED = 13,
    RTP_STAT_CONCEALED = 14,    /* frames played by repeating the last one */
    RTP_STAT_SILENCE = 15,      /* frames played as silence */
    RTP_STAT_PLAYED = 16,       /* frames played from received audio */
    RTP_STAT_RESYNC = 17,       /* playout point re-anchored (not counting the first) */
    RTP_STAT_NEW_SOURCES = 18,  /* SSRC changes, the first source included */
    RTP_STAT_SSRC = 19,         /* current source's SSRC, -1 before one */
    RTP_STAT_BASE_SEQUENCE = 20,/* A.1 base_seq (extended) */
    RTP_STAT_PACKETS_SENT = 21,
    RTP_STAT_OCTETS_SENT = 22,  /* payload octets, as an SR counts them */
    RTP_STAT_SEND_DROPPED = 23, /* send buffer full or socket error on send */
    RTP_STAT_RECV_ERRORS = 24,
    RTP_STAT_LAST_ERRNO = 25,   /* errno of the last failed socket call, 0 if none */
    RTP_STAT_SIDE_DROPPED = 26, /* side-queue entries lost because the queue was full */
    RTP_STAT_BUFFERED = 27,     /* frames now held in the playout buffer */
    RTP_STAT_COUNT = 28
};

typedef struct {
    int32_t jitter_depth_frames; /* playout delay (frames of 20 ms), 0 .. max */
    int32_t jitter_max_frames;   /* a packet this far ahead of playout re-anchors, 1 .. 64 */
    int32_t conceal_repeat;      /* 1: repeat the last frame once for a missing one; 0: silence */
    int32_t side_capacity;       /* side-queue entries (pump-wide ring) */
    int32_t recv_budget;         /* packets drained per channel per receive call */
    int32_t min_sequential;      /* RFC 3550 A.1 MIN_SEQUENTIAL */
} rtp_pump_config;

typedef struct {
    int32_t channel;
    int32_t kind;          /* RTP_SIDE_* */
    uint32_t arrival_ts;   /* arrival time, 8 kHz units (the clock receive() used) */
    int32_t length;        /* octets in data */
    int32_t family;        /* 4 or 6: source address */
    int32_t port;
    uint8_t addr[16];      /* IPv4 in the first 4 octets */
    uint8_t data[1500];
} rtp_side_entry;

typedef struct rtp_pump rtp_pump;

rtp_pump *rtp_pump_new(int32_t n_channels, const rtp_pump_config *config, int32_t *error);
void rtp_pump_free(rtp_pump *p);
int32_t rtp_pump_channels(const rtp_pump *p);
int32_t rtp_pump_errno(const rtp_pump *p);

int32_t rtp_pump_open(rtp_pump *p, int32_t ch, int32_t family, const uint8_t *addr, int32_t port);
int32_t rtp_pump_close(rtp_pump *p, int32_t ch);
int32_t rtp_pump_local_port(const rtp_pump *p, int32_t ch);
int32_t rtp_pump_fileno(const rtp_pump *p, int32_t ch);
int32_t rtp_pump_set_remote(rtp_pump *p, int32_t ch, int32_t family, const uint8_t *addr, int32_t port);
int32_t rtp_pump_set_strict(rtp_pump *p, int32_t ch, int32_t strict);
int32_t rtp_pump_set_rx_payload(rtp_pump *p, int32_t ch, int32_t pt, int32_t kind);
int32_t rtp_pump_set_rx_payloads(rtp_pump *p, int32_t ch, const uint8_t *kinds);
int32_t rtp_pump_set_tx(rtp_pump *p, int32_t ch, int32_t pt, int32_t law, uint32_t ssrc, uint32_t seq,
                        uint32_t ts);
int32_t rtp_pump_get_tx(const rtp_pump *p, int32_t ch, uint32_t *out3);
int32_t rtp_pump_reset_rx(rtp_pump *p, int32_t ch);

int32_t rtp_pump_receive(rtp_pump *p, int64_t arrival_ts);
int32_t rtp_pump_tick(rtp_pump *p, int16_t *out, uint8_t *kinds);
int32_t rtp_pump_send(rtp_pump *p, const int16_t *frames, const uint8_t *mask);
int32_t rtp_pump_exchange(rtp_pump *p, const int16_t *frames, const uint8_t *mask, int16_t *out,
                          uint8_t *kinds, int64_t arrival_ts);
/* The send of rtp_pump_send on the pump's own thread: the frames (and mask) are copied and
 * sent while the caller goes on; the next send, send_start or send_wait waits for it.  Other
 * calls may be made meanwhile (they wait at most for one block of channels). */
int32_t rtp_pump_send_start(rtp_pump *p, const int16_t *frames, const uint8_t *mask);
int32_t rtp_pump_send_wait(rtp_pump *p);
/* receive, tick and send_start in one call (after waiting for the previous send) */
int32_t rtp_pump_exchange_start(rtp_pump *p, const int16_t *frames, const uint8_t *mask, int16_t *out,
                                uint8_t *kinds, int64_t arrival_ts);
int32_t rtp_pump_send_rtp(rtp_pump *p, int32_t ch, int32_t pt, int32_t marker, uint32_t ts,
                          const uint8_t *payload, int32_t length);
int32_t rtp_pump_send_raw(rtp_pump *p, int32_t ch, const uint8_t *data, int32_t length, int32_t family,
                          const uint8_t *addr, int32_t port);

int32_t rtp_pump_side_pending(const rtp_pump *p);
int32_t rtp_pump_side_drain(rtp_pump *p, rtp_side_entry *out, int32_t max_entries);
int32_t rtp_pump_stats(const rtp_pump *p, int64_t *out);

void rtp_g711_ulaw_encode(const int16_t *x, uint8_t *codes, int32_t n);
void rtp_g711_alaw_encode(const int16_t *x, uint8_t *codes, int32_t n);
void rtp_g711_ulaw_decode(const uint8_t *codes, int16_t *x, int32_t n);
void rtp_g711_alaw_decode(const uint8_t *codes, int16_t *x, int32_t n);

#endif
