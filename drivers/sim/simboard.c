/*
 * simboard.c - the simulated analog voice board: ports, scripts, events, audio exchange.
 *
 * Each port runs its script as a sequence of ops.  An op renders audio toward the board
 * for a stretch of samples and completes on its own (durations, timeouts), on a board
 * action (answer, release, nudge) or at once (marks, hook changes).  Everything is counted
 * in samples of board time; sim_board_exchange is the only thing that advances it.
 */
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

/* Station ring cadence: 1 s on, 4 s off. */
#define STATION_RING_ON_SAMPLES (1000 * SIM_SAMPLES_PER_MS)
#define STATION_RING_CYCLE_SAMPLES (5000 * SIM_SAMPLES_PER_MS)

/* ---------------------------------------------------------------- events ---- */

static void push_event(sim_board *b, const sim_event *ev)
{
    if (b->count == b->cap) {
        b->overflow++;
        return;
    }
    b->events[(b->head + b->count) % b->cap] = *ev;
    b->count++;
}

void sim_emit(sim_board *b, int type, int port, int arg, int64_t sample)
{
    sim_event ev;
    ev.type = type;
    ev.port = port;
    ev.arg = arg;
    ev.sample = sample;
    if (!b->in_exchange) {
        push_event(b, &ev);
    } else if (b->batch_n < b->cap) {
        b->batch[b->batch_n++] = ev;
    } else {
        b->overflow++;
    }
}

/* Stable bottom-up merge sort of the exchange batch by sample, then into the ring. */
static void flush_batch(sim_board *b)
{
    sim_event *src = b->batch, *dst = b->batch_tmp;
    int n = b->batch_n;
    for (int width = 1; width < n; width *= 2) {
        for (int lo = 0; lo < n; lo += 2 * width) {
            int mid = lo + width < n ? lo + width : n;
            int hi = lo + 2 * width < n ? lo + 2 * width : n;
            int i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = src[j].sample < src[i].sample ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        sim_event *t = src;
        src = dst;
        dst = t;
    }
    for (int i = 0; i < n; i++)
        push_event(b, &src[i]);
    b->batch_n = 0;
}

/* ------------------------------------------------------------- lifecycle ---- */

sim_board *sim_board_new(int n_trunks, int n_stations, uint64_t seed)
{
    if (n_trunks < 0 || n_stations < 0 || n_trunks + n_stations < 1 ||
        n_trunks > 1000000 || n_stations > 1000000)
        return NULL;
    sim_board *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->n_trunks = n_trunks;
    b->n_ports = n_trunks + n_stations;
    b->cap = 1024 + 64 * b->n_ports;
    b->ports = calloc((size_t)b->n_ports, sizeof *b->ports);
    b->events = calloc((size_t)b->cap, sizeof *b->events);
    b->batch = calloc((size_t)b->cap, sizeof *b->batch);
    b->batch_tmp = calloc((size_t)b->cap, sizeof *b->batch_tmp);
    if (!b->ports || !b->events || !b->batch || !b->batch_tmp) {
        sim_board_free(b);
        return NULL;
    }
    b->inter_digit_ms = 3000;
    b->first_digit_ms = 10000;
    for (int i = 0; i < b->n_ports; i++) {
        b->ports[i].is_station = i >= n_trunks;
        b->ports[i].rng = sim_rng_seed(seed, (uint64_t)i);
    }
    return b;
}

void sim_port_clear_script(sim_port *p)
{
    free(p->ops);
    free(p->pool);
    p->ops = NULL;
    p->pool = NULL;
    p->n_ops = 0;
    p->running = 0;
    p->op_idx = 0;
    p->ring_burst = 0;
    p->nudge_pending = 0;
}

void sim_board_free(sim_board *board)
{
    if (!board)
        return;
    if (board->ports)
        for (int i = 0; i < board->n_ports; i++)
            sim_port_clear_script(&board->ports[i]);
    free(board->ports);
    free(board->events);
    free(board->batch);
    free(board->batch_tmp);
    sim_routes_free(board);
    free(board);
}

int sim_board_port_count(const sim_board *board) { return board ? board->n_ports : SIM_EINVAL; }
int sim_board_trunk_count(const sim_board *board) { return board ? board->n_trunks : SIM_EINVAL; }
int64_t sim_board_time(const sim_board *board) { return board ? board->now : SIM_EINVAL; }
int64_t sim_board_event_overflow(const sim_board *board)
{
    return board ? board->overflow : SIM_EINVAL;
}
int sim_board_event_capacity(const sim_board *board) { return board ? board->cap : SIM_EINVAL; }

/* Port lookup shared by the per-port calls: EINVAL for a bad port, EFAIL for a failed one. */
static int get_port(const sim_board *b, int port, sim_port **out)
{
    if (!b || port < 0 || port >= b->n_ports)
        return SIM_EINVAL;
    *out = &b->ports[port];
    return (*out)->failed ? SIM_EFAIL : SIM_OK;
}

/* --------------------------------------------------------- exchange/poll ---- */

int sim_board_exchange(sim_board *board, const int16_t *to_ports, int16_t *from_ports,
                       int n_samples)
{
    if (!board || !to_ports || !from_ports || n_samples < 1)
        return SIM_EINVAL;
    board->in_exchange = 1;
    for (int pi = 0; pi < board->n_ports; pi++) {
        sim_port *p = &board->ports[pi];
        const int16_t *in = to_ports + (size_t)pi * (size_t)n_samples;
        int16_t *out = from_ports + (size_t)pi * (size_t)n_samples;
        if (p->failed)
            memset(out, 0, (size_t)n_samples * sizeof *out);
        else
            sim_port_run(board, pi, p, in, out, n_samples);
    }
    board->in_exchange = 0;
    flush_batch(board);
    board->now += n_samples;
    return SIM_OK;
}

int sim_board_poll(sim_board *board, sim_event *events, int max_events)
{
    if (!board || max_events < 0 || (!events && max_events > 0))
        return SIM_EINVAL;
    int n = board->count < max_events ? board->count : max_events;
    for (int i = 0; i < n; i++)
        events[i] = board->events[(board->head + i) % board->cap];
    board->head = (board->head + n) % board->cap;
    board->count -= n;
    return n;
}

/* ---------------------------------------------------------- port control ---- */

int sim_ops_copy(const sim_op *ops, int n_ops, int is_station, sim_op **out_ops,
                 int16_t **out_pool)
{
    if (n_ops < 0 || (n_ops > 0 && !ops))
        return SIM_EINVAL;
    size_t pool_len = 0;
    for (int i = 0; i < n_ops; i++) {
        if (!sim_op_valid(&ops[i], is_station, n_ops))
            return SIM_EINVAL;
        if (ops[i].type == SIM_OP_RING)
            pool_len += (size_t)ops[i].u.ring.cid_len;
        else if (ops[i].type == SIM_OP_PLAY)
            pool_len += (size_t)ops[i].u.play.n;
    }
    sim_op *new_ops = NULL;
    int16_t *pool = NULL;
    if (n_ops > 0 && !(new_ops = malloc((size_t)n_ops * sizeof *new_ops)))
        return SIM_ENOMEM;
    if (pool_len > 0 && !(pool = malloc(pool_len * sizeof *pool))) {
        free(new_ops);
        return SIM_ENOMEM;
    }
    size_t used = 0;
    for (int i = 0; i < n_ops; i++) {
        new_ops[i] = ops[i];
        if (ops[i].type == SIM_OP_RING && ops[i].u.ring.cid_len > 0) {
            memcpy(pool + used, ops[i].u.ring.cid_samples,
                   (size_t)ops[i].u.ring.cid_len * sizeof *pool);
            new_ops[i].u.ring.cid_samples = pool + used;
            used += (size_t)ops[i].u.ring.cid_len;
        } else if (ops[i].type == SIM_OP_PLAY && ops[i].u.play.n > 0) {
            memcpy(pool + used, ops[i].u.play.samples, (size_t)ops[i].u.play.n * sizeof *pool);
            new_ops[i].u.play.samples = pool + used;
            used += (size_t)ops[i].u.play.n;
        }
    }
    *out_ops = new_ops;
    *out_pool = pool;
    return SIM_OK;
}

int sim_port_script(sim_board *board, int port, const sim_op *ops, int n_ops)
{
    sim_port *p;
    int rc = get_port(board, port, &p);
    if (rc)
        return rc;
    sim_op *new_ops = NULL;
    int16_t *pool = NULL;
    rc = sim_ops_copy(ops, n_ops, p->is_station, &new_ops, &pool);
    if (rc)
        return rc;
    sim_port_clear_script(p);
    p->called[0] = '\0';
    if (!p->is_station && p->dial_state != SIM_DIALSTATE_IDLE)
        p->dial_state = SIM_DIALSTATE_ROUTED; /* the new script takes over the call */
    p->ops = new_ops;
    p->pool = pool;
    p->n_ops = n_ops;
    if (n_ops > 0) {
        p->running = 1;
        sim_op_start(board, port, p, board->now);
    }
    return SIM_OK;
}

int sim_port_hook(sim_board *board, int port, int offhook)
{
    sim_port *p;
    int rc = get_port(board, port, &p);
    if (rc)
        return rc;
    offhook = offhook != 0;
    if (p->is_station) {
        sim_station_set_hook(board, port, p, offhook, board->now);
        return SIM_OK;
    }
    if (p->offhook == offhook)
        return SIM_OK;
    p->offhook = offhook;
    if (!offhook) { /* the call ends */
        p->called[0] = '\0';
        sim_co_release(p);
    }
    if (!p->running) {
        if (offhook) /* an outgoing call: dial tone */
            sim_co_seize(p);
        return SIM_OK;
    }
    int type = p->ops[p->op_idx].type;
    if (offhook && type == SIM_OP_RING) { /* answer: ring trip, the call goes on */
        if (p->ring_burst)
            sim_emit(board, SIM_EV_RING_OFF, port, 0, board->now);
        sim_goto_op(board, port, p, p->op_idx + 1, board->now);
    } else if (!offhook) {
        sim_end_script(board, port, p,
                   type == SIM_OP_HANGUP ? SIM_DONE_COMPLETED : SIM_DONE_RELEASED_BY_BOARD,
                   board->now);
    }
    return SIM_OK;
}

int sim_station_ring(sim_board *board, int port, int on)
{
    sim_port *p;
    int rc = get_port(board, port, &p);
    if (rc)
        return rc;
    if (!p->is_station)
        return SIM_EINVAL;
    on = on != 0;
    if (on && p->offhook)
        return SIM_ESTATE;
    if (on && !p->station_ring)
        p->station_ring_start = board->now;
    p->station_ring = on;
    return SIM_OK;
}

int sim_port_nudge(sim_board *board, int port)
{
    sim_port *p;
    int rc = get_port(board, port, &p);
    if (rc)
        return rc;
    if (!p->running)
        return SIM_ESTATE;
    p->nudge_pending = 1;
    return SIM_OK;
}

int sim_port_set_failed(sim_board *board, int port, int failed)
{
    if (!board || port < 0 || port >= board->n_ports)
        return SIM_EINVAL;
    sim_port *p = &board->ports[port];
    failed = failed != 0;
    if (failed && !p->failed) {
        sim_port_clear_script(p);
        sim_co_release(p);
        p->called[0] = '\0';
        p->offhook = 0;
        p->station_ring = 0;
        sim_emit(board, SIM_EV_PORT_FAILED, port, 0, board->now);
    }
    p->failed = failed;
    return SIM_OK;
}

int sim_port_report_loop_drop(sim_board *board, int port, int on)
{
    sim_port *p;
    int rc = get_port(board, port, &p);
    if (rc)
        return rc;
    p->report_loop_drop = on != 0;
    return SIM_OK;
}

int sim_port_state(const sim_board *board, int port, sim_port_info *out)
{
    if (!board || !out || port < 0 || port >= board->n_ports)
        return SIM_EINVAL;
    const sim_port *p = &board->ports[port];
    memset(out, 0, sizeof *out);
    out->is_station = p->is_station;
    out->offhook = p->offhook;
    out->failed = p->failed;
    out->report_loop_drop = p->report_loop_drop;
    out->script_running = p->running;
    out->script_index = p->op_idx;
    out->script_len = p->n_ops;
    out->nudge_pending = p->nudge_pending;
    out->dial_state = p->dial_state;
    out->answered = p->answered;
    if (p->is_station) {
        out->ringing = p->station_ring;
        out->ring_burst = p->station_ring &&
                          (board->now - p->station_ring_start) % STATION_RING_CYCLE_SAMPLES <
                              STATION_RING_ON_SAMPLES;
    } else {
        out->ringing = p->running && p->ops[p->op_idx].type == SIM_OP_RING;
        out->ring_burst = p->ring_burst;
    }
    return SIM_OK;
}

/* ------------------------------------------------------------- numbers ---- */

static int copy_number(const char *src, char *buf, int cap)
{
    if (!buf || cap < 1)
        return SIM_EINVAL;
    int len = (int)strlen(src);
    int k = len < cap - 1 ? len : cap - 1;
    memcpy(buf, src, (size_t)k);
    buf[k] = '\0';
    return len;
}

static const sim_port *get_trunk(const sim_board *b, int port)
{
    if (!b || port < 0 || port >= b->n_trunks)
        return NULL;
    return &b->ports[port];
}

int sim_port_set_number(sim_board *board, int port, const char *number)
{
    if (!get_trunk(board, port))
        return SIM_EINVAL;
    if (number && !sim_number_valid(number, SIM_NUMBER_CAP))
        return SIM_EINVAL;
    strcpy(board->ports[port].number, number ? number : "");
    return SIM_OK;
}

int sim_port_number(const sim_board *board, int port, char *buf, int cap)
{
    const sim_port *p = get_trunk(board, port);
    return p ? copy_number(p->number, buf, cap) : SIM_EINVAL;
}

int sim_port_called_number(const sim_board *board, int port, char *buf, int cap)
{
    const sim_port *p = get_trunk(board, port);
    return p ? copy_number(p->called, buf, cap) : SIM_EINVAL;
}

int sim_port_dialled_number(const sim_board *board, int port, char *buf, int cap)
{
    const sim_port *p = get_trunk(board, port);
    return p ? copy_number(p->dialled, buf, cap) : SIM_EINVAL;
}
