/* The pump's lock and its background sender.
 *
 * rtp_pump_send_start copies one tick's frames (and mask) and hands them to a thread of the
 * pump's own, which sends them a block of channels at a time under the pump's lock: the
 * caller's thread goes on (cffi releases the GIL during the call, so Python goes on too) and
 * the kernel's work of the sends -- most of a busy pump's cost -- runs on another core.  Every
 * other entry point that touches a channel takes the same lock, so it waits at most for one
 * block; a change made meanwhile applies from the next channel the sender reaches, as if it had
 * been made just before the tick.  rtp_pump_send, send_start and send_wait wait for a job under
 * way, so frames always leave in tick order.
 *
 * The thread starts with the first job and stops in rtp_pump_free.  Without threads
 * (-DRTP_PUMP_NO_THREADS) or when the thread cannot start, send_start sends at once.
 */
#include <stdlib.h>
#include <string.h>
#include "rtp_internal.h"

#define FRAME RTP_PUMP_FRAME_SAMPLES
#define BLOCK 64 /* channels sent per hold of the lock */

int rtp_async_init(rtp_pump *p)
{
    p->sender_started = 0;
    p->job_pending = p->job_quit = p->job_has_mask = 0;
    p->job_sent = 0;
    p->job_frames = NULL;
    p->job_mask = NULL;
#ifndef RTP_PUMP_NO_THREADS
    if (pthread_mutex_init(&p->lock, NULL) != 0)
        return RTP_ERR_NOMEM;
    if (pthread_mutex_init(&p->job_lock, NULL) != 0) {
        pthread_mutex_destroy(&p->lock);
        return RTP_ERR_NOMEM;
    }
    if (pthread_cond_init(&p->job_cv, NULL) != 0) {
        pthread_mutex_destroy(&p->job_lock);
        pthread_mutex_destroy(&p->lock);
        return RTP_ERR_NOMEM;
    }
#endif
    return RTP_OK;
}

#ifndef RTP_PUMP_NO_THREADS
static void *sender_main(void *arg)
{
    rtp_pump *p = arg;
    pthread_mutex_lock(&p->job_lock);
    for (;;) {
        while (!p->job_pending && !p->job_quit)
            pthread_cond_wait(&p->job_cv, &p->job_lock);
        if (!p->job_pending) /* quit, with nothing left to send */
            break;
        pthread_mutex_unlock(&p->job_lock);
        const uint8_t *mask = p->job_has_mask ? p->job_mask : NULL;
        int32_t sent = 0;
        for (int32_t lo = 0; lo < p->n; lo += BLOCK) {
            int32_t hi = lo + BLOCK < p->n ? lo + BLOCK : p->n;
            PUMP_LOCK(p);
            sent += rtp_send_range(p, p->job_frames, mask, lo, hi);
            PUMP_UNLOCK(p);
        }
        pthread_mutex_lock(&p->job_lock);
        p->job_sent = sent;
        p->job_pending = 0;
        pthread_cond_broadcast(&p->job_cv);
    }
    pthread_mutex_unlock(&p->job_lock);
    return NULL;
}
#endif

void rtp_async_free(rtp_pump *p)
{
#ifndef RTP_PUMP_NO_THREADS
    if (p->sender_started) {
        pthread_mutex_lock(&p->job_lock);
        p->job_quit = 1;
        pthread_cond_broadcast(&p->job_cv);
        pthread_mutex_unlock(&p->job_lock);
        pthread_join(p->sender, NULL);
        p->sender_started = 0;
    }
    pthread_cond_destroy(&p->job_cv);
    pthread_mutex_destroy(&p->job_lock);
    pthread_mutex_destroy(&p->lock);
#endif
    free(p->job_frames);
    free(p->job_mask);
    p->job_frames = NULL;
    p->job_mask = NULL;
}

int32_t rtp_pump_send_wait(rtp_pump *p)
{
#ifndef RTP_PUMP_NO_THREADS
    if (!p->sender_started)
        return p->job_sent;
    pthread_mutex_lock(&p->job_lock);
    while (p->job_pending)
        pthread_cond_wait(&p->job_cv, &p->job_lock);
    int32_t sent = p->job_sent;
    pthread_mutex_unlock(&p->job_lock);
    return sent;
#else
    return p->job_sent;
#endif
}

int32_t rtp_pump_send_start(rtp_pump *p, const int16_t *frames, const uint8_t *mask)
{
    if (frames == NULL)
        return RTP_ERR_ARGUMENT;
    rtp_pump_send_wait(p);
#ifndef RTP_PUMP_NO_THREADS
    if (p->job_frames == NULL) {
        p->job_frames = malloc((size_t)p->n * FRAME * sizeof(int16_t));
        p->job_mask = malloc((size_t)p->n);
    }
    if (p->job_frames != NULL && p->job_mask != NULL) {
        memcpy(p->job_frames, frames, (size_t)p->n * FRAME * sizeof(int16_t));
        p->job_has_mask = mask != NULL;
        if (mask != NULL)
            memcpy(p->job_mask, mask, (size_t)p->n);
        if (!p->sender_started && pthread_create(&p->sender, NULL, sender_main, p) == 0)
            p->sender_started = 1;
        if (p->sender_started) {
            pthread_mutex_lock(&p->job_lock);
            p->job_pending = 1;
            pthread_cond_broadcast(&p->job_cv);
            pthread_mutex_unlock(&p->job_lock);
            return RTP_OK;
        }
    }
#endif
    p->job_sent = rtp_pump_send(p, frames, mask); /* no thread: send now */
    return p->job_sent < 0 ? p->job_sent : RTP_OK;
}

int32_t rtp_pump_exchange_start(rtp_pump *p, const int16_t *frames, const uint8_t *mask, int16_t *out,
                                uint8_t *kinds, int64_t arrival_ts)
{
    if (frames == NULL)
        return RTP_ERR_ARGUMENT;
    rtp_pump_send_wait(p);
    rtp_pump_receive(p, arrival_ts);
    rtp_pump_tick(p, out, kinds);
    return rtp_pump_send_start(p, frames, mask);
}
