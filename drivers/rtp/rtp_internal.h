/* Internal structures of the RTP pump (not seen by cffi). */
#ifndef PYCTI_RTP_INTERNAL_H
#define PYCTI_RTP_INTERNAL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <stdint.h>
#include <sys/socket.h>
#include "rtp_pump.h"
#ifndef RTP_PUMP_NO_THREADS
#include <pthread.h>
#endif

/* Linux has recvmmsg and SO_TIMESTAMPNS; elsewhere (or with -DRTP_PUMP_PORTABLE) the pump reads
 * one datagram per recvmsg and takes arrival times from the clock once per receive call. */
#if defined(__linux__) && !defined(RTP_PUMP_PORTABLE)
#define RTP_HAVE_RECVMMSG 1
/* ... and epoll: receive() reads only the sockets the kernel says are readable, so an idle or
 * send-only channel costs no system call per tick. */
#define RTP_HAVE_EPOLL 1
typedef struct mmsghdr rtp_mmsg;
#else
typedef struct {
    struct msghdr msg_hdr;
    unsigned int msg_len;
} rtp_mmsg;
#endif

#define RTP_LAW_PCMU 0 /* laws named by their static payload types (RFC 3551) */
#define RTP_LAW_PCMA 8
#define RTP_HELD_MAX 16       /* packets held while a source is on probation (as pycti.rtp) */
#define RTP_SEEN_WORDS 16     /* duplicate window: 1024 extended sequence numbers */
#define RTP_LATE_RUN_RESYNC 5 /* late packets in a row that re-anchor the playout point */

typedef struct {
    int64_t tag; /* frame index held; INT64_MIN when free */
    uint8_t law;
    uint8_t codes[RTP_PUMP_FRAME_SAMPLES];
} rtp_slot;

/* Fixed-delay playout buffer of one channel (the rules of pycti.rtp.jitter, fixed mode). */
typedef struct {
    rtp_slot *slots;
    int32_t n_slots; /* max + 1: frames play .. play + max map to distinct slots */
    int32_t depth;
    int32_t max;
    int32_t repeat;
    int32_t has_origin;
    int64_t origin;
    int64_t play;
    int32_t held;
    int32_t late_run;
    int32_t has_last;
    int32_t repeated;
    uint8_t last_kind;
    uint8_t last_law;
    uint8_t last_codes[RTP_PUMP_FRAME_SAMPLES];
} rtp_jitter;

/* RFC 3550 A.1 sequence state and A.8 jitter of the current source. */
typedef struct {
    int32_t probation;
    int32_t min_sequential;
    uint32_t max_seq;
    uint32_t bad_seq;
    int64_t cycles;
    int64_t base_seq;
    int64_t received;
    int32_t has_transit;
    uint32_t transit;
    int64_t jitter_q4;
} rtp_seqstate;

typedef struct {
    int32_t length;
    uint8_t data[RTP_PUMP_MAX_PACKET];
} rtp_held;

typedef struct {
    int fd;
    int family;
    int32_t local_port;
    int32_t strict;
    struct sockaddr_storage remote;
    socklen_t remote_len;
    struct sockaddr_storage last_src;
    socklen_t last_src_len;
    struct sockaddr_storage last_rejected;
    socklen_t last_rejected_len;
    uint8_t pt_kind[128];
    /* send side */
    uint8_t tx_pt;
    uint8_t tx_law;
    int32_t talkspurt;
    uint32_t tx_ssrc;
    uint32_t tx_seq;
    uint32_t tx_ts;
    /* receive side */
    int32_t has_ssrc;
    uint32_t ssrc;
    rtp_seqstate seq;
    int32_t has_ts_ref;
    int64_t ts_ref;
    int32_t has_seen;
    int64_t seen_hi;
    uint64_t seen[RTP_SEEN_WORDS];
    rtp_jitter jb;
    int64_t stat[RTP_STAT_COUNT];
    int32_t n_held;
    rtp_held *held; /* RTP_HELD_MAX entries, allocated while the source is on probation only */
} rtp_channel;

/* Parsed view of one RTP packet (RFC 3550 5.1). */
typedef struct {
    int pt;
    int marker;
    uint32_t seq;
    uint32_t ts;
    uint32_t ssrc;
    const uint8_t *payload;
    int32_t payload_len;
} rtp_view;

#define BATCH 32
#define CMSG_BYTES 64

struct rtp_pump {
    int32_t n;
    rtp_pump_config cfg;
    int32_t last_errno;
    rtp_channel *ch;
    rtp_side_entry *side;
    int32_t side_head;
    int32_t side_count;
    rtp_mmsg msgs[BATCH];
    struct iovec iov[BATCH];
    struct sockaddr_storage names[BATCH];
    uint8_t control[BATCH][CMSG_BYTES];
    uint8_t bufs[BATCH][RTP_PUMP_MAX_PACKET];
    uint8_t tx[12 + RTP_PUMP_MAX_PACKET];
#ifndef RTP_PUMP_NO_THREADS
    pthread_mutex_t lock; /* every entry point that touches a channel (see rtp_pump.c) */
    pthread_mutex_t job_lock; /* the background send's job (rtp_async.c) */
    pthread_cond_t job_cv;
    pthread_t sender;
#endif
    int sender_started;   /* the background sender thread runs */
    int job_pending;      /* a frame set is being sent */
    int job_quit;         /* the sender is to stop */
    int job_has_mask;
    int32_t job_sent;     /* packets the last job sent */
    int16_t *job_frames;  /* n * FRAME samples: the job's copy of the frames */
    uint8_t *job_mask;    /* n octets */
    int epfd;             /* epoll set of the open sockets (data: channel); -1: scan every channel */
    void *events;         /* n struct epoll_event for epoll_wait */
    int32_t *ready;       /* n channel numbers: the readable ones of one receive(), ascending */
};

/* rtp_g711.c */
void rtp_g711_init(void);
void rtp_g711_encode(int law, const int16_t *x, uint8_t *codes, int32_t n);
void rtp_g711_decode(int law, const uint8_t *codes, int16_t *x, int32_t n);
void rtp_g711_transcode(int from_law, int to_law, const uint8_t *in, uint8_t *out, int32_t n);

/* rtp_jitter.c: playout buffer */
int rtp_jitter_init(rtp_jitter *jb, int32_t depth, int32_t max, int32_t repeat);
void rtp_jitter_free(rtp_jitter *jb);
void rtp_jitter_reset(rtp_jitter *jb);
/* returns 1 when the packet was late (dropped); bumps *resyncs on a re-anchor */
int rtp_jitter_insert(rtp_jitter *jb, int64_t ext_ts, const uint8_t *payload, int32_t n, int law, int marker,
                      int64_t *resyncs);
/* writes 160 samples, returns RTP_FRAME_* */
int rtp_jitter_pop(rtp_jitter *jb, int16_t *out);

/* rtp_jitter.c: RFC 3550 A.1 / A.8 */
void rtp_seq_start(rtp_seqstate *s, uint32_t seq, int32_t min_sequential);
/* 0: not counted, 1: counted, 2: counted and the source restarted (its numbering is new) */
int rtp_seq_update(rtp_seqstate *s, uint32_t seq);
int64_t rtp_seq_extend(const rtp_seqstate *s, uint32_t seq);
void rtp_seq_jitter(rtp_seqstate *s, uint32_t ts, uint32_t arrival);

/* rtp_pump.c */
int rtp_same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
void rtp_reset_rx(struct rtp_pump *p, rtp_channel *c);
void rtp_drop_held(rtp_channel *c);

/* rtp_receive.c */
int rtp_parse(const uint8_t *d, int32_t n, rtp_view *v);
int32_t rtp_receive_unlocked(struct rtp_pump *p, int64_t arrival_ts);

/* rtp_pump.c: one frame for each channel of [lo, hi), the lock held */
int32_t rtp_send_range(struct rtp_pump *p, const int16_t *frames, const uint8_t *mask, int32_t lo, int32_t hi);

/* rtp_async.c: the lock and the background sender */
int rtp_async_init(struct rtp_pump *p);
void rtp_async_free(struct rtp_pump *p);
#ifndef RTP_PUMP_NO_THREADS
#define PUMP_LOCK(p) pthread_mutex_lock((pthread_mutex_t *)&(p)->lock)
#define PUMP_UNLOCK(p) pthread_mutex_unlock((pthread_mutex_t *)&(p)->lock)
#else
#define PUMP_LOCK(p) ((void)(p))
#define PUMP_UNLOCK(p) ((void)(p))
#endif

#endif
