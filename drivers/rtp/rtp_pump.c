/* The RTP pump: N channels of G.711 over UDP, moved in one call per 20 ms tick.
 *
 * receive() drains every open socket with recvmmsg (nonblocking, at most recv_budget packets
 * per channel per call), validates each RTP header as RFC 3550 A.1 asks (version 2, CSRC list,
 * extension and padding within the packet), keeps the A.1 sequence and A.8 jitter state,
 * drops duplicates and files audio in the channel's playout buffer.  What is not plain audio
 * -- RTCP (RFC 5761 section 4: second octet 192-223), RFC 4733 telephone-events, payload
 * types not negotiated, the first packet of a new SSRC (RFC 3550 section 8.2), the first
 * packet from a new source address (symmetric RTP, RFC 4961) -- is copied to a pump-wide side
 * queue for Python.  tick() plays one 20 ms frame per channel; send() G.711-encodes one frame
 * per active channel and sends it (sequence +1, timestamp +160, marker on the first packet of
 * a talkspurt, RFC 3551 section 4.1).
 *
 * Arrival times, for the jitter of A.8, are the kernel's receive timestamps (SO_TIMESTAMPNS)
 * in 8 kHz units, or the value the caller passes (tests).  Without recvmmsg (not Linux) the
 * pump reads with recvmsg and stamps a batch with the clock (see rtp_internal.h).  Socket errors on one channel are
 * counted on that channel and never stop the batch.  A pump is not thread-safe: one thread
 * drives it (cffi releases the GIL during the calls).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "rtp_internal.h"
#ifdef RTP_HAVE_EPOLL
#include <sys/epoll.h>
#endif

#define FRAME RTP_PUMP_FRAME_SAMPLES

/* ------------------------------------------------------------------ addresses and setup */

static int make_addr(int32_t family, const uint8_t *addr, int32_t port, struct sockaddr_storage *ss, socklen_t *len)
{
    if (port < 0 || port > 65535 || addr == NULL)
        return RTP_ERR_ARGUMENT;
    memset(ss, 0, sizeof *ss);
    if (family == 4) {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        memcpy(&a->sin_addr, addr, 4);
        *len = sizeof *a;
    } else if (family == 6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        memcpy(&a->sin6_addr, addr, 16);
        *len = sizeof *a;
    } else {
        return RTP_ERR_ARGUMENT;
    }
    return RTP_OK;
}

int rtp_same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return 0;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

static void default_payloads(rtp_channel *c)
{
    memset(c->pt_kind, RTP_PT_NONE, sizeof c->pt_kind);
    c->pt_kind[0] = RTP_PT_PCMU;
    c->pt_kind[8] = RTP_PT_PCMA;
}

void rtp_drop_held(rtp_channel *c)
{
    free(c->held);
    c->held = NULL;
    c->n_held = 0;
}

void rtp_reset_rx(rtp_pump *p, rtp_channel *c)
{
    c->has_ssrc = 0;
    c->ssrc = 0;
    memset(&c->seq, 0, sizeof c->seq);
    c->has_ts_ref = 0;
    c->has_seen = 0;
    rtp_drop_held(c);
    c->last_src_len = 0;
    c->last_rejected_len = 0;
    rtp_jitter_reset(&c->jb);
    (void)p;
}

rtp_pump *rtp_pump_new(int32_t n_channels, const rtp_pump_config *cfg, int32_t *error)
{
    int32_t dummy;
    if (error == NULL)
        error = &dummy;
    *error = RTP_ERR_ARGUMENT;
    if (cfg == NULL || n_channels < 1 || n_channels > RTP_PUMP_MAX_CHANNELS || cfg->jitter_max_frames < 1 ||
        cfg->jitter_max_frames > RTP_PUMP_MAX_JITTER_FRAMES || cfg->jitter_depth_frames < 0 ||
        cfg->jitter_depth_frames > cfg->jitter_max_frames || cfg->side_capacity < 1 || cfg->recv_budget < 1 ||
        cfg->min_sequential < 0 || cfg->min_sequential > 100)
        return NULL;
    *error = RTP_ERR_NOMEM;
    rtp_g711_init();
    rtp_pump *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->n = n_channels;
    p->cfg = *cfg;
    p->epfd = -1;
    p->ch = calloc((size_t)n_channels, sizeof(rtp_channel));
    p->side = calloc((size_t)cfg->side_capacity, sizeof(rtp_side_entry));
    if (p->ch == NULL || p->side == NULL) {
        free(p->ch);
        free(p->side);
        free(p);
        return NULL;
    }
    if (rtp_async_init(p) != RTP_OK) {
        free(p->ch);
        free(p->side);
        free(p);
        return NULL;
    }
#ifdef RTP_HAVE_EPOLL
    p->events = calloc((size_t)n_channels, sizeof(struct epoll_event));
    p->ready = calloc((size_t)n_channels, sizeof(int32_t));
    if (p->events != NULL && p->ready != NULL)
        p->epfd = epoll_create1(EPOLL_CLOEXEC); /* none (-1): receive() scans every channel */
#endif
    for (int32_t i = 0; i < n_channels; i++) {
        rtp_channel *c = &p->ch[i];
        c->fd = -1;
        c->talkspurt = 1;
        default_payloads(c);
        c->stat[RTP_STAT_SSRC] = -1;
        if (rtp_jitter_init(&c->jb, cfg->jitter_depth_frames, cfg->jitter_max_frames, cfg->conceal_repeat) != RTP_OK) {
            p->n = i;
            rtp_pump_free(p);
            return NULL;
        }
    }
    *error = RTP_OK;
    return p;
}

void rtp_pump_free(rtp_pump *p)
{
    if (p == NULL)
        return;
    rtp_async_free(p); /* the sender stops (after a job under way) before the sockets close */
    for (int32_t i = 0; i < p->n; i++) {
        if (p->ch[i].fd >= 0)
            close(p->ch[i].fd);
        rtp_jitter_free(&p->ch[i].jb);
        rtp_drop_held(&p->ch[i]);
    }
    if (p->epfd >= 0)
        close(p->epfd);
    free(p->events);
    free(p->ready);
    free(p->ch);
    free(p->side);
    free(p);
}

int32_t rtp_pump_channels(const rtp_pump *p) { return p->n; }
int32_t rtp_pump_errno(const rtp_pump *p) { return p->last_errno; }

static rtp_channel *channel(const rtp_pump *p, int32_t ch, int32_t *rc)
{
    if (ch < 0 || ch >= p->n) {
        *rc = RTP_ERR_CHANNEL;
        return NULL;
    }
    *rc = RTP_OK;
    return &p->ch[ch];
}

static int32_t socket_error(rtp_pump *p, rtp_channel *c, int fd)
{
    p->last_errno = errno;
    if (c != NULL)
        c->stat[RTP_STAT_LAST_ERRNO] = errno;
    if (fd >= 0)
        close(fd);
    return RTP_ERR_SOCKET;
}

static int32_t open_unlocked(rtp_pump *p, int32_t ch, int32_t family, const uint8_t *addr, int32_t port)
{
    int32_t rc;
    rtp_channel *c = channel(p, ch, &rc);
    if (c == NULL)
        return rc;
    if (c->fd >= 0)
        return RTP_ERR_OPEN;
    struct sockaddr_storage ss;
    socklen_t len;
    if ((rc = make_addr(family, addr, port, &ss, &len)) != RTP_OK)
        return rc;
    int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
    if (fd < 0)
        return socket_error(p, c, -1);
    int flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
        return socket_error(p, c, fd);
    int one = 1;
    if (family == 6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0)
        return socket_error(p, c, fd);
#ifdef RTP_HAVE_RECVMMSG
    (void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one); /* best effort */
#endif
    if (bind(fd, (struct sockaddr *)&ss, len) != 0)
        return socket_error(p, c, fd);
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    if (getsockname(fd, (struct sockaddr *)&bound, &blen) != 0)
        return socket_error(p, c, fd);
#ifdef RTP_HAVE_EPOLL
    if (p->epfd >= 0) {
        struct epoll_event ev;
        memset(&ev, 0, sizeof ev);
        ev.events = EPOLLIN;
        ev.data.u32 = (uint32_t)ch;
        if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
            return socket_error(p, c, fd);
    }
#endif
    c->fd = fd;
    c->family = family;
    c->local_port = ntohs(family == 4 ? ((struct sockaddr_in *)&bound)->sin_port
                                      : ((struct sockaddr_in6 *)&bound)->sin6_port);
    c->remote_len = 0;
    c->strict = 0;
    c->talkspurt = 1;
    default_payloads(c);
    rtp_reset_rx(p, c);
    memset(c->stat, 0, sizeof c->stat);
    c->stat[RTP_STAT_SSRC] = -1;
    return RTP_OK;
}

static int32_t close_unlocked(rtp_pump *p, int32_t ch)
{
    int32_t rc;
    rtp_channel *c = channel(p, ch, &rc);
    if (c == NULL)
        return rc;
    if (c->fd < 0)
        return RTP_ERR_CLOSED;
#ifdef RTP_HAVE_EPOLL
    if (p->epfd >= 0) /* before close: a duplicate of the fd would keep it in the set */
        (void)epoll_ctl(p->epfd, EPOLL_CTL_DEL, c->fd, NULL);
#endif
    close(c->fd);
    c->fd = -1;
    c->remote_len = 0;
    rtp_reset_rx(p, c);
    return RTP_OK;
}

int32_t rtp_pump_local_port(const rtp_pump *p, int32_t ch)
{
    int32_t rc;
    const rtp_channel *c = channel(p, ch, &rc);
    if (c == NULL)
        return rc;
    return c->fd < 0 ? RTP_ERR_CLOSED : c->local_port;
}

int32_t rtp_pump_fileno(const rtp_pump *p, int32_t ch)
{
    int32_t rc;
    const rtp_channel *c = channel(p, ch, &rc);
    if (c == NULL)
        return rc;
    return c->fd < 0 ? RTP_ERR_CLOSED : c->fd;
}

static int32_t set_remote_unlocked(rtp_pump *p, int32_t ch, int32_t family, const uint8_t *addr, int32_t port)
{
    int32_t rc;
    rtp_channel *c = channel(p, ch, &rc);
    if (c == NULL)
        return rc;
    if (c->fd < 0)
        return RTP_ERR_CLOSED;
    if (family == 0) {
        c->remote_len = 0;
        return RTP_OK;
    }
    if (family != c->family)
        return RTP_ERR_ARGUMENT;
    return make_addr(family, addr, port, &c->remote, &c->remote_len);
}

static int32_t set_strict_unlocked(rtp_pump *p, int32_t ch, int32_t strict)
{
    int32_t rc;
    rtp_channel *c = channel(p, ch, &rc);
    if (c != NULL)
        c->strict = strict != 0;
    return rc;
}

static int32_t set_rx_payload_unlocked(rtp_pump *p, int32_t ch, int32_t pt, int32_t kind)
{
    int32_t rc;
    rtp_channel *c = channel(p, ch, &rc);
    if (c == NULL)
        return rc;
    if (pt < 0 || pt > 127 || kind < RTP_PT_NONE || kind > RTP_PT_EVENT)
        return RTP_ERR_ARGUMENT;
    c->pt_kind[pt] = (uint8_t)kind;
    return RTP_OK;
}

/* The whole receive table at once: kinds[pt] for PT 0-127 (one call per call setup instead of 128).
 * Nothing changes when an entry is out of range. */
static int32_t set_rx_payloads_unlocked(rtp_pump *p, int32_t ch, const uint8_t *kinds)
{
    int32_t rc;
    rtp_channel *c = channel(p, ch, &rc);
    if (c == NULL)
        return rc;
    if (kinds == NULL)
        return RTP_ERR_ARGUMENT;
    for (int pt = 0; pt < 128; pt++)
        if (kinds[pt] > RTP_PT_EVENT)
            return RTP_ERR_ARGUMENT;
    memcpy(c->pt_kind, kinds, sizeof c->pt_kind);
    return RTP_OK;
}

static int32_t set_tx_unlocked(rtp_pump *p, int32_t ch, int32_t pt, int32_t law, uint32_t ssrc, uint32_t seq, uint32_t ts)
{
    int32_t rc;
    rtp_channel *c = channel(p, ch, &rc);
    if (c == NULL)
        return rc;
    if (pt < 0 || pt > 127 || (law != RTP_LAW_PCMU && law != RTP_LAW_PCMA) || seq > 0xFFFF)
        return RTP_ERR_ARGUMENT;
    c->tx_pt = (uint8_t)pt;
    c->tx_law = (uint8_t)law;
    c->tx_ssrc = ssrc;
    c->tx_seq = seq;
    c->tx_ts = ts;
    c->talkspurt = 1;
    return RTP_OK;
}

static int32_t get_tx_unlocked(const rtp_pump *p, int32_t ch, uint32_t *out3)
{
    int32_t rc;
    const rtp_channel *c = channel(p, ch, &rc);
    if (c == NULL)
        return rc;
    out3[0] = c->tx_ssrc;
    out3[1] = c->tx_seq;
    out3[2] = c->tx_ts;
    return RTP_OK;
}

static int32_t reset_rx_unlocked(rtp_pump *p, int32_t ch)
{
    int32_t rc;
    rtp_channel *c = channel(p, ch, &rc);
    if (c != NULL)
        rtp_reset_rx(p, c);
    return rc;
}

/* ------------------------------------------------------------------ playout and send */

static int32_t tick_unlocked(rtp_pump *p, int16_t *out, uint8_t *kinds)
{
    int16_t scratch[FRAME];
    for (int32_t ch = 0; ch < p->n; ch++) {
        rtp_channel *c = &p->ch[ch];
        int kind = rtp_jitter_pop(&c->jb, out != NULL ? out + (size_t)ch * FRAME : scratch);
        c->stat[kind == RTP_FRAME_AUDIO ? RTP_STAT_PLAYED
                : kind == RTP_FRAME_CONCEALED ? RTP_STAT_CONCEALED : RTP_STAT_SILENCE]++;
        if (kinds != NULL)
            kinds[ch] = (uint8_t)kind;
    }
    return RTP_OK;
}

static void write_header(uint8_t *h, int pt, int marker, uint32_t seq, uint32_t ts, uint32_t ssrc)
{
    h[0] = 0x80;
    h[1] = (uint8_t)(pt | (marker ? 0x80 : 0));
    h[2] = (uint8_t)(seq >> 8);
    h[3] = (uint8_t)seq;
    h[4] = (uint8_t)(ts >> 24);
    h[5] = (uint8_t)(ts >> 16);
    h[6] = (uint8_t)(ts >> 8);
    h[7] = (uint8_t)ts;
    h[8] = (uint8_t)(ssrc >> 24);
    h[9] = (uint8_t)(ssrc >> 16);
    h[10] = (uint8_t)(ssrc >> 8);
    h[11] = (uint8_t)ssrc;
}

/* Send one datagram on a channel; a full buffer or error drops it and is counted. */
static int32_t transmit(rtp_pump *p, rtp_channel *c, const uint8_t *data, int32_t n,
                        const struct sockaddr_storage *to, socklen_t to_len)
{
    ssize_t r = sendto(c->fd, data, (size_t)n, MSG_DONTWAIT, (const struct sockaddr *)to, to_len);
    if (r == n)
        return RTP_OK;
    c->stat[RTP_STAT_SEND_DROPPED]++;
    c->stat[RTP_STAT_LAST_ERRNO] = errno;
    p->last_errno = errno;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS ? RTP_ERR_WOULDBLOCK : RTP_ERR_SOCKET;
}

/* One frame for each channel of [lo, hi) (the pump's lock held). */
int32_t rtp_send_range(rtp_pump *p, const int16_t *frames, const uint8_t *mask, int32_t lo, int32_t hi)
{
    int32_t sent = 0;
    for (int32_t ch = lo; ch < hi; ch++) {
        rtp_channel *c = &p->ch[ch];
        if (c->fd < 0)
            continue;
        if ((mask != NULL && !mask[ch]) || !c->remote_len) {
            c->tx_ts += FRAME; /* a pause: the clock runs on, the next packet starts a talkspurt */
            c->talkspurt = 1;
            continue;
        }
        write_header(p->tx, c->tx_pt, c->talkspurt, c->tx_seq, c->tx_ts, c->tx_ssrc);
        rtp_g711_encode(c->tx_law, frames + (size_t)ch * FRAME, p->tx + 12, FRAME);
        c->tx_seq = (c->tx_seq + 1) & 0xFFFF;
        c->tx_ts += FRAME;
        c->talkspurt = 0;
        c->stat[RTP_STAT_PACKETS_SENT]++;
        c->stat[RTP_STAT_OCTETS_SENT] += FRAME;
        if (transmit(p, c, p->tx, 12 + FRAME, &c->remote, c->remote_len) == RTP_OK)
            sent++;
    }
    return sent;
}

int32_t rtp_pump_send(rtp_pump *p, const int16_t *frames, const uint8_t *mask)
{
    if (frames == NULL)
        return RTP_ERR_ARGUMENT;
    rtp_pump_send_wait(p); /* a background send first: frames go out in tick order */
    PUMP_LOCK(p);
    int32_t sent = rtp_send_range(p, frames, mask, 0, p->n);
    PUMP_UNLOCK(p);
    return sent;
}

int32_t rtp_pump_exchange(rtp_pump *p, const int16_t *frames, const uint8_t *mask, int16_t *out, uint8_t *kinds,
                          int64_t arrival_ts)
{
    rtp_pump_receive(p, arrival_ts);
    rtp_pump_tick(p, out, kinds);
    return rtp_pump_send(p, frames, mask);
}

static int32_t send_rtp_unlocked(rtp_pump *p, int32_t ch, int32_t pt, int32_t marker, uint32_t ts, const uint8_t *payload,
                          int32_t length)
{
    int32_t rc;
    rtp_channel *c = channel(p, ch, &rc);
    if (c == NULL)
        return rc;
    if (pt < 0 || pt > 127 || length < 0 || length > RTP_PUMP_MAX_PACKET - 12)
        return RTP_ERR_ARGUMENT;
    if (c->fd < 0)
        return RTP_ERR_CLOSED;
    if (!c->remote_len)
        return RTP_ERR_NO_REMOTE;
    write_header(p->tx, pt, marker, c->tx_seq, ts, c->tx_ssrc);
    memcpy(p->tx + 12, payload, (size_t)length);
    c->tx_seq = (c->tx_seq + 1) & 0xFFFF;
    c->stat[RTP_STAT_PACKETS_SENT]++;
    c->stat[RTP_STAT_OCTETS_SENT] += length;
    return transmit(p, c, p->tx, 12 + length, &c->remote, c->remote_len);
}

static int32_t send_raw_unlocked(rtp_pump *p, int32_t ch, const uint8_t *data, int32_t length, int32_t family,
                          const uint8_t *addr, int32_t port)
{
    int32_t rc;
    rtp_channel *c = channel(p, ch, &rc);
    if (c == NULL)
        return rc;
    if (length < 0 || length > RTP_PUMP_MAX_PACKET)
        return RTP_ERR_ARGUMENT;
    if (c->fd < 0)
        return RTP_ERR_CLOSED;
    if (family == 0) {
        if (!c->remote_len)
            return RTP_ERR_NO_REMOTE;
        return transmit(p, c, data, length, &c->remote, c->remote_len);
    }
    struct sockaddr_storage to;
    socklen_t to_len;
    if (family != c->family || (rc = make_addr(family, addr, port, &to, &to_len)) != RTP_OK)
        return RTP_ERR_ARGUMENT;
    return transmit(p, c, data, length, &to, to_len);
}

static int32_t stats_unlocked(const rtp_pump *p, int64_t *out)
{
    for (int32_t ch = 0; ch < p->n; ch++) {
        const rtp_channel *c = &p->ch[ch];
        int64_t *row = out + (size_t)ch * RTP_STAT_COUNT;
        memcpy(row, c->stat, sizeof c->stat);
        int valid = c->has_ssrc && c->seq.probation == 0;
        int64_t ext_max = c->seq.cycles + c->seq.max_seq;
        row[RTP_STAT_RECEIVED] = valid ? c->seq.received : 0;
        row[RTP_STAT_EXTENDED_MAX] = valid ? ext_max : 0;
        row[RTP_STAT_BASE_SEQUENCE] = valid ? c->seq.base_seq : 0;
        row[RTP_STAT_LOST] = valid ? ext_max - c->seq.base_seq + 1 - c->seq.received : 0;
        row[RTP_STAT_JITTER] = c->seq.jitter_q4 >> 4;
        row[RTP_STAT_BUFFERED] = c->jb.held;
    }
    return RTP_OK;
}

/* ------------------------------------------------------------------ the locked entry points
 * A background send (rtp_async.c) runs beside the caller's thread: every entry point that
 * touches a channel takes the pump's lock, which the sender holds one block of channels at a
 * time. */
#define LOCKED(call)          \
    do {                      \
        PUMP_LOCK(p);         \
        int32_t rc_ = (call); \
        PUMP_UNLOCK(p);       \
        return rc_;           \
    } while (0)

int32_t rtp_pump_open(rtp_pump *p, int32_t ch, int32_t family, const uint8_t *addr, int32_t port)
{ LOCKED(open_unlocked(p, ch, family, addr, port)); }
int32_t rtp_pump_close(rtp_pump *p, int32_t ch) { LOCKED(close_unlocked(p, ch)); }
int32_t rtp_pump_set_remote(rtp_pump *p, int32_t ch, int32_t family, const uint8_t *addr, int32_t port)
{ LOCKED(set_remote_unlocked(p, ch, family, addr, port)); }
int32_t rtp_pump_set_strict(rtp_pump *p, int32_t ch, int32_t strict) { LOCKED(set_strict_unlocked(p, ch, strict)); }
int32_t rtp_pump_set_rx_payload(rtp_pump *p, int32_t ch, int32_t pt, int32_t kind)
{ LOCKED(set_rx_payload_unlocked(p, ch, pt, kind)); }
int32_t rtp_pump_set_rx_payloads(rtp_pump *p, int32_t ch, const uint8_t *kinds)
{ LOCKED(set_rx_payloads_unlocked(p, ch, kinds)); }
int32_t rtp_pump_set_tx(rtp_pump *p, int32_t ch, int32_t pt, int32_t law, uint32_t ssrc, uint32_t seq, uint32_t ts)
{ LOCKED(set_tx_unlocked(p, ch, pt, law, ssrc, seq, ts)); }
int32_t rtp_pump_get_tx(const rtp_pump *p, int32_t ch, uint32_t *out3) { LOCKED(get_tx_unlocked(p, ch, out3)); }
int32_t rtp_pump_reset_rx(rtp_pump *p, int32_t ch) { LOCKED(reset_rx_unlocked(p, ch)); }
int32_t rtp_pump_tick(rtp_pump *p, int16_t *out, uint8_t *kinds) { LOCKED(tick_unlocked(p, out, kinds)); }
int32_t rtp_pump_send_rtp(rtp_pump *p, int32_t ch, int32_t pt, int32_t marker, uint32_t ts, const uint8_t *payload,
                          int32_t length)
{ LOCKED(send_rtp_unlocked(p, ch, pt, marker, ts, payload, length)); }
int32_t rtp_pump_send_raw(rtp_pump *p, int32_t ch, const uint8_t *data, int32_t length, int32_t family,
                          const uint8_t *addr, int32_t port)
{ LOCKED(send_raw_unlocked(p, ch, data, length, family, addr, port)); }
int32_t rtp_pump_stats(const rtp_pump *p, int64_t *out) { LOCKED(stats_unlocked(p, out)); }
int32_t rtp_pump_receive(rtp_pump *p, int64_t arrival_ts) { LOCKED(rtp_receive_unlocked(p, arrival_ts)); }
