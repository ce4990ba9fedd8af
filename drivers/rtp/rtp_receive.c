/* Receive path of the RTP pump: recvmmsg drain, RFC 3550 header checks, sequence/duplicate
 * handling, the side queue (see rtp_pump.c for the whole picture).
 *
 * Per packet, in the order of pycti.rtp.stream.ReceiveStream: RTCP on the RTP port (RFC 5761
 * section 4) -> side queue; malformed header (RFC 3550 A.1 checks) -> counted; payload type
 * not negotiated -> side queue; strict channel and foreign source -> rejected; new source
 * address -> reported; new SSRC -> the stream restarts on it (RFC 3550 section 8.2) and is
 * reported; A.1 update_seq (probation packets held and filed once the source is valid);
 * duplicates dropped; audio -> A.8 jitter and the playout buffer; telephone-event -> side queue.
 */
#include <errno.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>
#include "rtp_internal.h"
#ifdef RTP_HAVE_EPOLL
#include <sys/epoll.h>
#endif

#define FRAME RTP_PUMP_FRAME_SAMPLES

/* ------------------------------------------------------------------ side queue */

static void side_push(rtp_pump *p, int32_t ch, int kind, uint32_t arrival, const struct sockaddr_storage *src,
                      const uint8_t *data, int32_t n)
{
    if (p->side_count == p->cfg.side_capacity) {
        p->ch[ch].stat[RTP_STAT_SIDE_DROPPED]++;
        return;
    }
    int32_t slot = (p->side_head + p->side_count) % p->cfg.side_capacity;
    rtp_side_entry *e = &p->side[slot];
    p->side_count++;
    e->channel = ch;
    e->kind = kind;
    e->arrival_ts = arrival;
    e->length = n;
    memset(e->addr, 0, sizeof e->addr);
    if (src->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const void *)src;
        e->family = 6;
        e->port = ntohs(a->sin6_port);
        memcpy(e->addr, &a->sin6_addr, 16);
    } else {
        const struct sockaddr_in *a = (const void *)src;
        e->family = 4;
        e->port = ntohs(a->sin_port);
        memcpy(e->addr, &a->sin_addr, 4);
    }
    memcpy(e->data, data, (size_t)n);
}

int32_t rtp_pump_side_pending(const rtp_pump *p) { return p->side_count; }

int32_t rtp_pump_side_drain(rtp_pump *p, rtp_side_entry *out, int32_t max_entries)
{
    int32_t k = 0;
    while (k < max_entries && p->side_count > 0) {
        out[k++] = p->side[p->side_head];
        p->side_head = (p->side_head + 1) % p->cfg.side_capacity;
        p->side_count--;
    }
    return k;
}

/* ------------------------------------------------------------------ receive */

int rtp_parse(const uint8_t *d, int32_t n, rtp_view *v)
{
    if (n < 12)
        return 0;
    int32_t offset = 12, end = n;
    if (d[0] != 0x80) {
        if (d[0] >> 6 != 2)
            return 0;
        offset += 4 * (d[0] & 0x0F);
        if (offset > n)
            return 0;
        if (d[0] & 0x10) {
            if (offset + 4 > n)
                return 0;
            offset += 4 + 4 * ((d[offset + 2] << 8) | d[offset + 3]);
            if (offset > n)
                return 0;
        }
        if (d[0] & 0x20) {
            int pad = d[n - 1];
            if (pad == 0 || offset + pad > n)
                return 0;
            end = n - pad;
        }
    }
    v->pt = d[1] & 0x7F;
    v->marker = d[1] >> 7;
    v->seq = (uint32_t)(d[2] << 8 | d[3]);
    v->ts = (uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 | (uint32_t)d[6] << 8 | d[7];
    v->ssrc = (uint32_t)d[8] << 24 | (uint32_t)d[9] << 16 | (uint32_t)d[10] << 8 | d[11];
    v->payload = d + offset;
    v->payload_len = end - offset;
    return 1;
}

/* Duplicate check over the last 1024 extended sequence numbers: 1 when seen before. */
static int seen_before(rtp_channel *c, int64_t ext)
{
    const int64_t window = 64 * RTP_SEEN_WORDS;
    if (!c->has_seen) {
        memset(c->seen, 0, sizeof c->seen);
        c->has_seen = 1;
        c->seen_hi = ext;
    } else if (ext > c->seen_hi) {
        int64_t shift = ext - c->seen_hi;
        if (shift >= window) {
            memset(c->seen, 0, sizeof c->seen);
        } else {
            for (int64_t s = c->seen_hi + 1; s <= ext; s++) {
                uint64_t bit = (uint64_t)s & (uint64_t)(window - 1);
                c->seen[bit >> 6] &= ~(1ull << (bit & 63));
            }
        }
        c->seen_hi = ext;
    } else if (ext <= c->seen_hi - window) {
        return 1; /* older than the window: a duplicate or hopelessly late */
    }
    uint64_t bit = (uint64_t)ext & (uint64_t)(window - 1);
    uint64_t mask = 1ull << (bit & 63);
    if (c->seen[bit >> 6] & mask)
        return 1;
    c->seen[bit >> 6] |= mask;
    return 0;
}

/* File one packet that update_seq accepted (pycti.rtp.stream.ReceiveStream._file).  Every
 * datagram is counted once, under one outcome: a held packet filed later (held = 1) was
 * already counted as PROBATION. */
static void file_packet(rtp_pump *p, int32_t ch, const rtp_view *v, int64_t ext_seq, uint32_t arrival,
                        const struct sockaddr_storage *src, const uint8_t *raw, int32_t raw_len, int held)
{
    rtp_channel *c = &p->ch[ch];
    int64_t *count = held ? NULL : c->stat;
    if (seen_before(c, ext_seq)) {
        if (count)
            count[RTP_STAT_DUPLICATE]++;
        return;
    }
    int kind = c->pt_kind[v->pt];
    if (kind == RTP_PT_EVENT) {
        if (count)
            count[RTP_STAT_EVENT]++;
        side_push(p, ch, RTP_SIDE_EVENT, arrival, src, raw, raw_len);
        return;
    }
    int64_t ext_ts;
    if (!c->has_ts_ref) {
        ext_ts = c->ts_ref = v->ts;
        c->has_ts_ref = 1;
    } else {
        uint32_t delta = v->ts - (uint32_t)c->ts_ref;
        ext_ts = c->ts_ref + (delta >= 0x80000000u ? (int64_t)delta - 0x100000000ll : (int64_t)delta);
        if (ext_ts > c->ts_ref)
            c->ts_ref = ext_ts;
    }
    rtp_seq_jitter(&c->seq, v->ts, arrival);
    int law = kind == RTP_PT_PCMA ? RTP_LAW_PCMA : RTP_LAW_PCMU;
    int late = rtp_jitter_insert(&c->jb, ext_ts, v->payload, v->payload_len, law, v->marker, &c->stat[RTP_STAT_RESYNC]);
    if (count)
        count[late ? RTP_STAT_LATE : RTP_STAT_AUDIO]++;
}

/* The validated source's held probation packets, oldest first (ReceiveStream._receive). */
static void file_held(rtp_pump *p, int32_t ch, uint32_t seq, uint32_t arrival, const struct sockaddr_storage *src)
{
    rtp_channel *c = &p->ch[ch];
    int32_t n = c->n_held;
    c->n_held = 0;
    int used[RTP_HELD_MAX] = {0};
    for (int32_t round = 0; round < n; round++) {
        int32_t best = -1;
        uint32_t best_key = 0;
        rtp_view hv;
        for (int32_t i = 0; i < n; i++) {
            if (used[i] || !rtp_parse(c->held[i].data, c->held[i].length, &hv))
                continue;
            uint32_t key = (hv.seq - seq) & 0xFFFF;
            if (best < 0 || key < best_key) {
                best = i;
                best_key = key;
            }
        }
        if (best < 0)
            break;
        used[best] = 1;
        rtp_parse(c->held[best].data, c->held[best].length, &hv);
        uint32_t back = (seq - hv.seq) & 0xFFFF;
        if (back > 0 && back <= 100 && rtp_seq_update(&c->seq, hv.seq)) {
            if ((hv.seq - (uint32_t)c->seq.base_seq) & 0x8000)
                c->seq.base_seq = rtp_seq_extend(&c->seq, hv.seq);
            file_packet(p, ch, &hv, rtp_seq_extend(&c->seq, hv.seq), arrival, src, c->held[best].data,
                        c->held[best].length, 1);
        }
    }
}

static void receive_packet(rtp_pump *p, int32_t ch, const uint8_t *d, int32_t n, uint32_t arrival,
                           const struct sockaddr_storage *src, socklen_t src_len)
{
    rtp_channel *c = &p->ch[ch];
    if (n >= 2 && d[1] >= 192 && d[1] <= 223) {
        c->stat[RTP_STAT_RTCP]++;
        side_push(p, ch, RTP_SIDE_RTCP, arrival, src, d, n);
        return;
    }
    rtp_view v;
    if (!rtp_parse(d, n, &v)) {
        c->stat[RTP_STAT_MALFORMED]++;
        return;
    }
    int kind = c->pt_kind[v.pt];
    if (kind == RTP_PT_NONE) {
        c->stat[RTP_STAT_UNKNOWN_PT]++;
        side_push(p, ch, RTP_SIDE_UNKNOWN_PT, arrival, src, d, n);
        return;
    }
    if (kind != RTP_PT_EVENT && v.payload_len <= 0) {
        c->stat[RTP_STAT_MALFORMED]++;
        return;
    }
    if (c->strict && c->remote_len && !rtp_same_addr(src, &c->remote)) {
        c->stat[RTP_STAT_REJECTED]++;
        if (!c->last_rejected_len || !rtp_same_addr(src, &c->last_rejected)) {
            c->last_rejected = *src;
            c->last_rejected_len = src_len;
            side_push(p, ch, RTP_SIDE_REJECTED, arrival, src, d, n);
        }
        return;
    }
    if (!c->last_src_len || !rtp_same_addr(src, &c->last_src)) {
        c->last_src = *src;
        c->last_src_len = src_len;
        side_push(p, ch, RTP_SIDE_SOURCE_ADDRESS, arrival, src, d, n);
    }
    if (!c->has_ssrc || v.ssrc != c->ssrc) {
        rtp_reset_rx(p, c);
        c->last_src = *src; /* reset_rx forgot it; this packet was just reported */
        c->last_src_len = src_len;
        c->has_ssrc = 1;
        c->ssrc = v.ssrc;
        c->stat[RTP_STAT_NEW_SOURCES]++;
        c->stat[RTP_STAT_SSRC] = v.ssrc;
        rtp_seq_start(&c->seq, v.seq, p->cfg.min_sequential);
        side_push(p, ch, RTP_SIDE_NEW_SOURCE, arrival, src, d, n);
    }
    int on_probation = c->seq.probation > 0;
    int counted = rtp_seq_update(&c->seq, v.seq);
    if (counted == 2)
        c->has_seen = 0; /* a restart renumbers the extended sequence: a new duplicate window */
    if (!counted) {
        if (c->seq.probation) {
            if (c->held == NULL)
                c->held = malloc(RTP_HELD_MAX * sizeof(rtp_held)); /* NULL: the packet is not held */
            if (c->held != NULL && c->n_held < RTP_HELD_MAX) {
                c->held[c->n_held].length = n;
                memcpy(c->held[c->n_held].data, d, (size_t)n);
                c->n_held++;
            }
            c->stat[RTP_STAT_PROBATION]++;
        } else {
            c->stat[RTP_STAT_INVALID_SEQUENCE]++;
        }
        return;
    }
    if (on_probation && c->n_held)
        file_held(p, ch, v.seq, arrival, src);
    if (on_probation)
        rtp_drop_held(c);
    file_packet(p, ch, &v, rtp_seq_extend(&c->seq, v.seq), arrival, src, d, n, 0);
}

static uint32_t now_8khz(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (uint32_t)((uint64_t)t.tv_sec * 8000u + (uint64_t)t.tv_nsec / 125000u);
}

static uint32_t kernel_arrival(struct msghdr *h, uint32_t fallback)
{
#ifdef RTP_HAVE_RECVMMSG
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(h); cm != NULL; cm = CMSG_NXTHDR(h, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec t;
            memcpy(&t, CMSG_DATA(cm), sizeof t);
            return (uint32_t)((uint64_t)t.tv_sec * 8000u + (uint64_t)t.tv_nsec / 125000u);
        }
    }
#else
    (void)h;
#endif
    return fallback;
}

/* Up to ``want`` datagrams into p->msgs: recvmmsg, or recvmsg one by one. */
static int read_batch(rtp_pump *p, int fd, int32_t want)
{
#ifdef RTP_HAVE_RECVMMSG
    return recvmmsg(fd, p->msgs, (unsigned)want, MSG_DONTWAIT, NULL);
#else
    int32_t got = 0;
    while (got < want) {
        ssize_t r = recvmsg(fd, &p->msgs[got].msg_hdr, MSG_DONTWAIT);
        if (r < 0)
            return got > 0 ? got : -1;
        p->msgs[got++].msg_len = (unsigned)r;
    }
    return got;
#endif
}

static int32_t drain_channel(rtp_pump *p, int32_t ch, int64_t arrival_ts, uint32_t fallback)
{
    rtp_channel *c = &p->ch[ch];
    int32_t got = 0;
    while (got < p->cfg.recv_budget) {
        int32_t want = p->cfg.recv_budget - got;
        if (want > BATCH)
            want = BATCH;
        for (int32_t i = 0; i < want; i++) {
            struct msghdr *h = &p->msgs[i].msg_hdr;
            p->iov[i].iov_base = p->bufs[i];
            p->iov[i].iov_len = RTP_PUMP_MAX_PACKET;
            h->msg_name = &p->names[i];
            h->msg_namelen = sizeof p->names[i];
            h->msg_iov = &p->iov[i];
            h->msg_iovlen = 1;
            h->msg_control = p->control[i];
            h->msg_controllen = CMSG_BYTES;
            h->msg_flags = 0;
        }
        int r = read_batch(p, c->fd, want);
        if (r < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                c->stat[RTP_STAT_RECV_ERRORS]++;
                c->stat[RTP_STAT_LAST_ERRNO] = errno;
                p->last_errno = errno;
            }
            break;
        }
        for (int32_t i = 0; i < r; i++) {
            struct msghdr *h = &p->msgs[i].msg_hdr;
            uint32_t arrival = arrival_ts >= 0 ? (uint32_t)arrival_ts : kernel_arrival(h, fallback);
            if (h->msg_flags & MSG_TRUNC)
                c->stat[RTP_STAT_MALFORMED]++;
            else
                receive_packet(p, ch, p->bufs[i], (int32_t)p->msgs[i].msg_len, arrival, &p->names[i],
                               h->msg_namelen);
        }
        got += r;
        if (r < want)
            break;
    }
    return got;
}

static int ascending(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* The channels with something to read (errors included), ascending: how many, or -1 when the
 * pump has no epoll set (or it failed) and every open channel is to be tried. */
static int32_t readable_channels(rtp_pump *p)
{
#ifdef RTP_HAVE_EPOLL
    if (p->epfd < 0)
        return -1;
    struct epoll_event *events = p->events;
    int r;
    do
        r = epoll_wait(p->epfd, events, p->n, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        p->last_errno = errno;
        return -1;
    }
    int32_t k = 0;
    for (int i = 0; i < r; i++) {
        uint32_t ch = events[i].data.u32;
        if (ch < (uint32_t)p->n && p->ch[ch].fd >= 0)
            p->ready[k++] = (int32_t)ch;
    }
    if (k > 1) /* the same order as a scan: side-queue entries stay in channel order */
        qsort(p->ready, (size_t)k, sizeof p->ready[0], ascending);
    return k;
#else
    (void)p;
    return -1;
#endif
}

int32_t rtp_receive_unlocked(rtp_pump *p, int64_t arrival_ts)
{
    uint32_t fallback = arrival_ts >= 0 ? (uint32_t)arrival_ts : now_8khz();
    int32_t total = 0;
    int32_t k = readable_channels(p);
    if (k >= 0) {
        for (int32_t i = 0; i < k; i++)
            total += drain_channel(p, p->ready[i], arrival_ts, fallback);
        return total;
    }
    for (int32_t ch = 0; ch < p->n; ch++)
        if (p->ch[ch].fd >= 0)
            total += drain_channel(p, ch, arrival_ts, fallback);
    return total;
}

